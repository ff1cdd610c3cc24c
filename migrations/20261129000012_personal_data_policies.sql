-- Personal data behind row-level security, as organisations' data already is.
--
-- A transaction names the user it acts for in the transaction-local setting `app.user_id`, as
-- it names its organisation in `app.org_id`. Accounts, sign-ins, email links and two-factor
-- secrets show the application only that user's rows; an account is also visible to the members
-- of the current organisation it belongs to (names on issues and member lists). A query that
-- forgets its filter therefore reaches nobody else's account. The few questions asked before
-- anyone is known (which account has this address, is this sign-in still alive, whose is this
-- link) are answered by narrow functions below. The account log is append-only and unreadable to
-- the application; the email outbox is writable by anyone and readable only by its deliverer.

-- The user the current transaction acts for, or null.
create function app_user_id() returns uuid language sql stable
    as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

do $$
declare t text;
begin
    foreach t in array array['users', 'user_sessions', 'email_tokens', 'user_two_factor',
                             'two_factor_recovery_codes', 'audit_events', 'email_outbox'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        -- The owner reads across users for operators' commands, as with organisations' tables.
        execute format('create policy owner_reads on %I for select to current_user using (true)', t);
    end loop;
    foreach t in array array['users', 'user_sessions', 'email_tokens', 'user_two_factor',
                             'two_factor_recovery_codes'] loop
        execute format('create policy own on %I using (user_id = app_user_id()) with check (user_id = app_user_id())', t);
    end loop;
end $$;

-- Fellow members of the current organisation see each other's accounts (their names, on issues
-- and member lists). Memberships' own policy keeps this to the current organisation.
create policy fellow_members on users for select using (
    exists (select 1 from memberships m where m.user_id = users.user_id and m.org_id = app_org_id())
);

-- The account log: anyone may add to it, the application may read or change none of it.
create policy record on audit_events for insert with check (true);
revoke select on audit_events from ops_app;

-- The outbox: any change may queue an email; only the deliverer (the worker, or the development
-- mailbox that stands in for it) reads, marks or clears them, by naming itself.
create policy queue on email_outbox for insert with check (true);
create policy deliver on email_outbox
    using (current_setting('app.outbox', true) = 'deliver')
    with check (current_setting('app.outbox', true) = 'deliver');

-- Which account, if any, has this address: what signing in, a reset link and an address change
-- need to know before anyone is signed in.
create function app_account_by_email(p_email text)
returns table (user_id uuid, email text, name text, password_hash text)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select u.user_id, u.email::text, u.name, u.password_hash
    from users u where u.email = p_email::citext
$$;

-- Whether a sign-in still stands: its row exists for this user and is within its absolute
-- lifetime. Null when it does not (and the row, if any, is removed); otherwise whether "last
-- seen" was written now, which happens at most once a minute. It acts for the user the browser's
-- session names, so it can touch no one else's sign-ins.
create function app_session_alive(p_user_session_id uuid, p_user_id uuid, p_lifetime_secs float8, p_ip text)
returns boolean
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare touched boolean;
begin
    perform set_config('app.user_id', p_user_id::text, true);
    if not exists (select 1 from user_sessions
                   where user_session_id = p_user_session_id and user_id = p_user_id
                     and created_at > now() - make_interval(secs => p_lifetime_secs)) then
        delete from user_sessions where user_session_id = p_user_session_id;
        return null;
    end if;
    update user_sessions set last_seen_at = now(), ip = coalesce(p_ip::inet, ip)
    where user_session_id = p_user_session_id and last_seen_at < now() - interval '1 minute';
    get diagnostics touched = row_count;
    return touched;
end $$;

-- Uses an email link once: knowing the token is the capability. The rest of the transaction acts
-- for the link's user, so what the link does next (verify, reset, change the address) sees that
-- user's rows and no one else's. Of two redemptions at once, one wins.
create function app_redeem_token(p_token_hash bytea, p_purpose text)
returns table (user_id uuid, new_email text)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare
    link record;
    used integer;
begin
    select t.user_id, t.new_email::text as new_email into link from email_tokens t
    where t.token_hash = p_token_hash and t.purpose = p_purpose and t.used_at is null and t.expires_at > now();
    if not found then
        return;
    end if;
    perform set_config('app.user_id', link.user_id::text, true);
    update email_tokens t set used_at = now() where t.token_hash = p_token_hash and t.used_at is null;
    get diagnostics used = row_count;
    if used = 1 then
        user_id := link.user_id;
        new_email := link.new_email;
        return next;
    end if;
end $$;

-- Which members of the current organisation have two-factor sign-in on, for its member list,
-- without showing anyone's secret.
create function app_members_with_two_factor()
returns setof uuid
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select t.user_id from user_two_factor t
    join memberships m on m.user_id = t.user_id and m.org_id = app_org_id()
    where t.enabled_at is not null
$$;

-- The member check and the tenant settings in one statement: the caller's membership of the
-- organisation a slug names (any slug it has had), with what the access check needs, and, when
-- there is one, the rest of the transaction acts for the caller in that organisation. A request
-- runs it once, inside the one transaction its functions share.
drop function app_resolve_organisation(text, uuid);

create function app_enter_organisation(p_slug text, p_user_id uuid)
returns table (org_id uuid, slug text, name text, role text, require_two_factor boolean,
               verified boolean, has_two_factor boolean)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    for org_id, slug, name, role, require_two_factor, verified, has_two_factor in
        select o.org_id, o.slug::text, o.name, m.role, o.require_two_factor,
               u.email_verified_at is not null,
               exists (select 1 from user_two_factor t where t.user_id = p_user_id and t.enabled_at is not null)
        from organisation_slugs s
        join organisations o on o.org_id = s.org_id
        join memberships m on m.org_id = o.org_id and m.user_id = p_user_id
        join users u on u.user_id = p_user_id
        where s.slug = p_slug::citext
    loop
        perform set_config('app.org_id', org_id::text, true);
        perform set_config('app.user_id', p_user_id::text, true);
        return next;
    end loop;
end $$;

revoke all on function app_account_by_email(text), app_session_alive(uuid, uuid, float8, text),
    app_redeem_token(bytea, text), app_members_with_two_factor(),
    app_enter_organisation(text, uuid) from public;
grant execute on function app_account_by_email(text), app_session_alive(uuid, uuid, float8, text),
    app_redeem_token(bytea, text), app_members_with_two_factor(),
    app_enter_organisation(text, uuid) to ops_app;
