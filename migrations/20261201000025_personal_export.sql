-- A person's copy of their data includes their account's security events, which the
-- application may otherwise not read (the account log is append-only and unreadable to it): this
-- function returns those of the user the transaction acts for, and no one else's.
create function app_my_account_events()
returns table (occurred_at timestamptz, action text, ip text, user_agent text)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select e.occurred_at, e.action, host(e.ip), e.user_agent
    from audit_events e
    where e.actor_user_id = app_user_id() and app_user_id() is not null
    order by e.audit_event_id
$$;
revoke all on function app_my_account_events() from public;
grant execute on function app_my_account_events() to ops_app;
