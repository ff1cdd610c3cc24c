-- Time zones: each person's, in which the app shows them every time (guessed from their browser
-- at sign-up), and each organisation's, in which its days begin and end ("overdue" is computed
-- in it). IANA names, checked by the application against its bundled time zone database.

alter table users add column time_zone text not null default 'UTC'
    check (length(time_zone) between 1 and 64);
alter table organisations add column time_zone text not null default 'UTC'
    check (length(time_zone) between 1 and 64);

-- Entering an organisation also reads both zones, so every function shows times in the
-- caller's zone and counts days in the organisation's without another statement. Otherwise as
-- before.
drop function app_enter_organisation(text, uuid, uuid, float8);
create function app_enter_organisation(p_slug text, p_user_id uuid, p_user_session_id uuid,
                                       p_lifetime_secs float8)
returns table (sign_in text, org_id uuid, slug text, name text, role text,
               require_two_factor boolean, verified boolean, has_two_factor boolean,
               data_version bigint, plan text, billing_status text, grace_ends_at timestamptz,
               user_time_zone text, org_time_zone text)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    sign_in := null;
    if p_user_session_id is not null then
        select 'current' into sign_in
        from user_sessions s
        where s.user_session_id = p_user_session_id and s.user_id = p_user_id
          and s.created_at > now() - make_interval(secs => p_lifetime_secs);
        if not found then
            sign_in := 'ended';
            return next;
            return;
        end if;
    end if;
    select o.org_id, o.slug::text, o.name, m.role, o.require_two_factor,
           u.email_verified_at is not null,
           exists (select 1 from user_two_factor t where t.user_id = p_user_id and t.enabled_at is not null),
           coalesce((select v.version from org_data_versions v where v.org_id = o.org_id), 0),
           o.plan, o.billing_status, o.grace_ends_at, u.time_zone, o.time_zone
    into org_id, slug, name, role, require_two_factor, verified, has_two_factor, data_version,
         plan, billing_status, grace_ends_at, user_time_zone, org_time_zone
    from organisation_slugs s
    join organisations o on o.org_id = s.org_id
    join memberships m on m.org_id = o.org_id and m.user_id = p_user_id
    join users u on u.user_id = p_user_id
    where s.slug = p_slug::citext;
    if found then
        perform set_config('app.org_id', org_id::text, true);
        perform set_config('app.user_id', p_user_id::text, true);
    end if;
    return next;
end $$;
revoke all on function app_enter_organisation(text, uuid, uuid, float8) from public;
grant execute on function app_enter_organisation(text, uuid, uuid, float8) to ops_app;

-- What is overdue follows the organisation's zone: a change of zone changes what its lists and
-- figures show, so it moves the organisation's data version like a change of its issues.
create trigger organisations_zone_moved after update of time_zone on organisations
    for each row when (new.time_zone is distinct from old.time_zone)
    execute function org_data_moved();
