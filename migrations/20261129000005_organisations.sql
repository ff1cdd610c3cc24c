-- Organisations (the tenants), their members and invitations, and each organisation's audit log.
--
-- Two database roles: whoever runs these migrations owns every object; the application connects
-- as `ops_app`, which owns nothing, is no superuser and cannot bypass row-level security. Every
-- table that belongs to an organisation has `org_id` leading its key, and a policy that shows the
-- application only the rows of the organisation named by the transaction-local setting
-- `app.org_id`; with no organisation set it sees none. FORCE applies the policies to the owner too.

do $$ begin
    if not exists (select 1 from pg_roles where rolname = 'ops_app') then
        raise exception 'the application role ops_app does not exist; create it first (README, "Database roles")';
    end if;
end $$;

-- The organisation the current transaction works for, or null.
create function app_org_id() returns uuid language sql stable
    as $$ select nullif(current_setting('app.org_id', true), '')::uuid $$;

create table organisations (
    org_id     uuid primary key,
    name       text not null check (length(name) between 1 and 100),
    slug       citext not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger organisations_updated_at before update on organisations
    for each row execute function set_updated_at();

-- Every slug an organisation has had: old links keep working (they redirect), and nobody else can
-- take a slug someone once used, so an old link never lands in a stranger's organisation.
create table organisation_slugs (
    org_id     uuid not null references organisations on delete cascade,
    slug       citext not null constraint organisation_slugs_slug_key unique
               check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) between 2 and 40),
    created_at timestamptz not null default now(),
    primary key (org_id, slug)
);

create table memberships (
    org_id     uuid not null references organisations on delete cascade,
    user_id    uuid not null references users on delete cascade,
    role       text not null check (role in ('owner', 'admin', 'manager', 'viewer')),
    created_at timestamptz not null default now(),
    primary key (org_id, user_id)
);
-- At most one Owner; the trigger below makes it exactly one.
create unique index memberships_one_owner on memberships (org_id) where role = 'owner';
create index memberships_user_id on memberships (user_id, org_id);

create table invitations (
    org_id        uuid not null references organisations on delete cascade,
    invitation_id uuid not null default gen_random_uuid(),
    email         citext not null,
    role          text not null check (role in ('admin', 'manager', 'viewer')),
    -- Only a SHA-256 of the token is kept.
    token_hash    bytea not null constraint invitations_token_hash_key unique,
    invited_by    uuid references users on delete set null,
    created_at    timestamptz not null default now(),
    sent_at       timestamptz not null default now(),
    expires_at    timestamptz not null,
    accepted_at   timestamptz,
    accepted_by   uuid references users on delete set null,
    revoked_at    timestamptz,
    primary key (org_id, invitation_id)
);
create unique index invitations_one_pending on invitations (org_id, email)
    where accepted_at is null and revoked_at is null;

-- Append-only: the application may read and add, never change or remove. Rows go only with their
-- organisation. The actor's email is copied so the record still says who after an account is gone.
create table org_audit_events (
    org_id        uuid not null references organisations on delete cascade,
    event_id      bigint generated always as identity,
    occurred_at   timestamptz not null default now(),
    actor_user_id uuid references users on delete set null,
    actor_email   text,
    action        text not null,
    target        text,
    summary       text not null,
    ip            inet,
    user_agent    text,
    primary key (org_id, event_id)
);
create index org_audit_events_time on org_audit_events (org_id, occurred_at desc, event_id desc);

do $$
declare t text;
begin
    foreach t in array array['organisations', 'organisation_slugs', 'memberships', 'invitations', 'org_audit_events'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant on %I using (org_id = app_org_id()) with check (org_id = app_org_id())', t);
        -- The owner reads across organisations only through the narrow functions below.
        execute format('create policy owner_reads on %I for select to current_user using (true)', t);
    end loop;
end $$;

-- The few reads that must cross organisations, each answering one question for one caller.
-- They run as the owner; the application may call them but not read the tables around its policies.

-- The organisations a user belongs to, for the switcher.
create function app_user_organisations(p_user_id uuid)
returns table (org_id uuid, slug text, name text, role text)
language sql stable security definer set search_path = pg_catalog, public as $$
    select o.org_id, o.slug::text, o.name, m.role
    from memberships m join organisations o on o.org_id = m.org_id
    where m.user_id = p_user_id
    order by lower(o.name), o.org_id
$$;

-- An organisation by any slug it has had, only if the user is a member of it.
create function app_resolve_organisation(p_slug text, p_user_id uuid)
returns table (org_id uuid, slug text, name text, role text)
language sql stable security definer set search_path = pg_catalog, public as $$
    select o.org_id, o.slug::text, o.name, m.role
    from organisation_slugs s
    join organisations o on o.org_id = s.org_id
    join memberships m on m.org_id = o.org_id and m.user_id = p_user_id
    where s.slug = p_slug::citext
$$;

-- A pending, unexpired invitation by the hash of its token: knowing the token is the capability.
create function app_invitation_by_token(p_token_hash bytea)
returns table (org_id uuid, invitation_id uuid, org_name text, org_slug text, email text, role text, inviter_name text)
language sql stable security definer set search_path = pg_catalog, public as $$
    select i.org_id, i.invitation_id, o.name, o.slug::text, i.email::text, i.role, u.name
    from invitations i
    join organisations o on o.org_id = i.org_id
    left join users u on u.user_id = i.invited_by
    where i.token_hash = p_token_hash
      and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
$$;

-- Whether a user is the Owner of an organisation that has other members (they must transfer first).
create function app_owns_shared_organisation(p_user_id uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
    select exists (
        select 1 from memberships m
        where m.user_id = p_user_id and m.role = 'owner'
          and exists (select 1 from memberships o where o.org_id = m.org_id and o.user_id <> p_user_id)
    )
$$;

-- Exactly one Owner while the organisation exists, checked when the transaction commits so a
-- transfer can demote and promote in either order.
create function memberships_keep_an_owner() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
    if exists (select 1 from organisations where org_id = old.org_id)
       and not exists (select 1 from memberships where org_id = old.org_id and role = 'owner') then
        raise exception 'an organisation must keep exactly one owner' using errcode = 'check_violation';
    end if;
    return null;
end $$;
create constraint trigger memberships_keep_an_owner after update or delete on memberships
    deferrable initially deferred for each row execute function memberships_keep_an_owner();

revoke all on function app_user_organisations(uuid), app_resolve_organisation(text, uuid),
    app_invitation_by_token(bytea), app_owns_shared_organisation(uuid),
    memberships_keep_an_owner() from public;
grant execute on function app_user_organisations(uuid), app_resolve_organisation(text, uuid),
    app_invitation_by_token(bytea), app_owns_shared_organisation(uuid) to ops_app;

-- Sessions: the store's own table, created here so the application never needs to create objects.
create schema if not exists tower_sessions;
create table if not exists tower_sessions.session (
    id          text primary key not null,
    data        bytea not null,
    expiry_date timestamptz not null
);

-- What the application may do. Audit records are append-only for it.
grant usage on schema public, tower_sessions to ops_app;
grant select on _sqlx_migrations to ops_app;
grant select, insert, update, delete on users, email_tokens, email_outbox, auth_throttle,
    user_sessions, tower_sessions.session to ops_app;
grant select, insert on audit_events, org_audit_events to ops_app;
grant select, insert, update, delete on organisations, organisation_slugs, memberships, invitations to ops_app;
