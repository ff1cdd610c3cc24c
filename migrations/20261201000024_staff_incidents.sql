-- The operator side: staff accounts, and the register of personal-data breaches (UK GDPR
-- articles 33 and 34) with the notices sent to the people affected.
--
-- Staff are named only from the command line (`server staff grant|revoke EMAIL`), which connects
-- as the owner: the application may read whether its own caller is staff and nothing more, so no
-- web request can make anyone staff. The register is append-only: the application may add to it
-- and read it (when its caller is staff), never change or delete a row, so what the regulator is
-- shown is what was recorded at the time.

create table staff_members (
    user_id    uuid primary key references users on delete cascade,
    granted_at timestamptz not null default now()
);
alter table staff_members enable row level security;
alter table staff_members force row level security;
create policy own on staff_members for select using (user_id = app_user_id());
create policy owner_manages on staff_members to current_user using (true) with check (true);
grant select on staff_members to ops_app;

-- Whether the user the transaction acts for is staff.
create function app_is_staff() returns boolean
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select exists (select 1 from staff_members where user_id = app_user_id())
$$;
revoke all on function app_is_staff() from public;
grant execute on function app_is_staff() to ops_app;

create table incidents (
    incident_id   uuid primary key default gen_random_uuid(),
    -- INC-<number>, what staff and the regulator's correspondence call it.
    number        bigint generated always as identity unique,
    title         text not null check (length(title) between 1 and 200),
    description   text not null check (length(description) between 1 and 10000),
    discovered_at timestamptz not null,
    opened_at     timestamptz not null default now(),
    -- Who opened it, as they were then: the register outlives staff accounts.
    opened_by     text not null,
    categories    text[] not null check (cardinality(categories) between 1 and 20),
    -- Everyone with an account; otherwise the organisations and people of incident_affected.
    affects_all   boolean not null
);

-- Who is affected, when not everyone: an organisation (its members) or one person. The name is
-- kept as it was, so the record reads the same after the organisation or account is gone.
-- (Not a tenant table: the register belongs to the operator, not to the organisation.)
create table incident_affected (
    incident_id      uuid not null references incidents,
    affected_org_id  uuid,
    affected_user_id uuid,
    label            text not null,
    check ((affected_org_id is null) <> (affected_user_id is null))
);
create index incident_affected_incident on incident_affected (incident_id);

-- Each step of the response, in order.
create table incident_steps (
    incident_id   uuid not null references incidents,
    step_id       bigint generated always as identity primary key,
    at            timestamptz not null default now(),
    by_staff      text not null,
    kind          text not null check (kind in ('note', 'assessment', 'decision', 'ico_report',
                                                'notice', 'closed')),
    summary       text not null check (length(summary) between 1 and 10000),
    -- A decision: whether it must be reported to the ICO and people told.
    must_report   boolean,
    -- The ICO's reference for the report, and when it was made.
    ico_reference text,
    reported_at   timestamptz,
    -- A notice: its subject (the text is the summary).
    subject       text,
    check ((kind = 'decision') = (must_report is not null)),
    check ((kind = 'ico_report') = (ico_reference is not null and reported_at is not null)),
    check ((kind = 'notice') = (subject is not null))
);
create index incident_steps_incident on incident_steps (incident_id, step_id);
-- One notice per incident: written once, then sent to everyone affected.
create unique index incident_steps_one_notice on incident_steps (incident_id) where kind = 'notice';
-- Nothing is added after closing.
create function incident_step_open() returns trigger
language plpgsql set search_path = pg_catalog, public, pg_temp as $$
begin
    if exists (select 1 from incident_steps s where s.incident_id = new.incident_id and s.kind = 'closed') then
        raise exception 'the incident is closed' using errcode = 'check_violation';
    end if;
    return new;
end $$;
create trigger incident_steps_open before insert on incident_steps
    for each row execute function incident_step_open();

-- The notice each affected person was sent: at most one per person per incident. The email's
-- delivery is the outbox's row.
create table incident_notices (
    incident_id uuid not null references incidents,
    user_id     uuid not null,
    email       text not null,
    email_id    bigint not null,
    queued_at   timestamptz not null default now(),
    primary key (incident_id, user_id)
);

do $$
declare t text;
begin
    foreach t in array array['incidents', 'incident_affected', 'incident_steps', 'incident_notices'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy staff on %I using (app_is_staff()) with check (app_is_staff())', t);
        execute format('create policy owner_reads on %I for select to current_user using (true)', t);
        execute format('grant select, insert on %I to ops_app', t);
    end loop;
end $$;

-- The people an incident affects, with their address.
create function app_incident_people(p_incident uuid)
returns table (user_id uuid, name text, email text)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select u.user_id, u.name, u.email::text
    from users u, incidents i
    where i.incident_id = p_incident and app_is_staff()
      and (i.affects_all
           or exists (select 1 from incident_affected a
                      where a.incident_id = i.incident_id
                        and (a.affected_user_id = u.user_id
                             or exists (select 1 from memberships m
                                        where m.org_id = a.affected_org_id and m.user_id = u.user_id))))
$$;
revoke all on function app_incident_people(uuid) from public;
grant execute on function app_incident_people(uuid) to ops_app;

create function app_html_escape(p text) returns text
language sql immutable set search_path = pg_catalog, public, pg_temp as $$
    select replace(replace(replace(replace(replace(p, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;

-- Queues the incident's notice to every affected person not yet sent one, in one statement:
-- `{{name}}` in the text and HTML becomes the person's name (escaped in the HTML). Safe to call
-- again: whoever has a notice is skipped, so each person gets exactly one. The number queued.
create function app_send_incident_notices(p_incident uuid, p_subject text, p_text text, p_html text)
returns integer
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare
    n integer;
begin
    if not app_is_staff() then
        raise exception 'only staff send incident notices' using errcode = 'insufficient_privilege';
    end if;
    perform pg_advisory_xact_lock(hashtextextended('incident-notices:' || p_incident::text, 0));
    with recipients as materialized (
        select p.user_id, p.name, p.email from app_incident_people(p_incident) p
        where not exists (select 1 from incident_notices n
                          where n.incident_id = p_incident and n.user_id = p.user_id)
    ), queued as (
        insert into email_outbox (kind, to_address, subject, text_body, html_body)
        select 'breach_notice', r.email, p_subject, replace(p_text, '{{name}}', r.name),
               replace(p_html, '{{name}}', app_html_escape(r.name))
        from recipients r
        returning email_id, to_address
    )
    insert into incident_notices (incident_id, user_id, email, email_id)
    select p_incident, r.user_id, r.email, q.email_id
    from recipients r join queued q on q.to_address = r.email;
    get diagnostics n = row_count;
    return n;
end $$;
revoke all on function app_send_incident_notices(uuid, text, text, text) from public;
grant execute on function app_send_incident_notices(uuid, text, text, text) to ops_app;

-- Each notice of an incident with how its delivery stands.
create function app_incident_notice_deliveries(p_incident uuid)
returns table (email text, queued_at timestamptz, sent_at timestamptz, attempts integer, retrying boolean)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select n.email, n.queued_at, o.sent_at, coalesce(o.attempts, 0),
           o.sent_at is null and o.last_error is not null
    from incident_notices n left join email_outbox o on o.email_id = n.email_id
    where n.incident_id = p_incident and app_is_staff()
    order by n.queued_at, n.email
$$;
revoke all on function app_incident_notice_deliveries(uuid) from public;
grant execute on function app_incident_notice_deliveries(uuid) to ops_app;

-- Organisations for staff: what they are, never what they hold. The search is a plain substring
-- (no pattern characters), ignoring case.
create function app_staff_organisations(p_search text)
returns table (org_id uuid, name text, slug text, plan text, billing_status text, members bigint,
               created_at timestamptz)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select o.org_id, o.name, o.slug::text, o.plan, o.billing_status,
           (select count(*) from memberships m where m.org_id = o.org_id), o.created_at
    from organisations o
    where app_is_staff()
      and (p_search = '' or strpos(lower(o.name), lower(p_search)) > 0 or strpos(lower(o.slug::text), lower(p_search)) > 0)
    order by o.created_at desc
    limit 50
$$;
revoke all on function app_staff_organisations(text) from public;
grant execute on function app_staff_organisations(text) to ops_app;

create function app_staff_users(p_search text)
returns table (user_id uuid, name text, email text, verified boolean, two_factor boolean,
               staff boolean, organisations bigint, created_at timestamptz)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select u.user_id, u.name, u.email::text, u.email_verified_at is not null,
           exists (select 1 from user_two_factor t where t.user_id = u.user_id and t.enabled_at is not null),
           exists (select 1 from staff_members s where s.user_id = u.user_id),
           (select count(*) from memberships m where m.user_id = u.user_id), u.created_at
    from users u
    where app_is_staff()
      and (p_search = '' or strpos(lower(u.name), lower(p_search)) > 0 or strpos(lower(u.email::text), lower(p_search)) > 0)
    order by u.created_at desc
    limit 50
$$;
revoke all on function app_staff_users(text) from public;
grant execute on function app_staff_users(text) to ops_app;

-- Whether the caller has two-factor sign-in on: staff must.
create function app_has_two_factor() returns boolean
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select exists (select 1 from user_two_factor where user_id = app_user_id() and enabled_at is not null)
$$;
revoke all on function app_has_two_factor() from public;
grant execute on function app_has_two_factor() to ops_app;

-- One organisation for staff, by id or by its current address; one account by its address.
create function app_staff_organisation_name(p_org_id uuid) returns text
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select name from organisations where org_id = p_org_id and app_is_staff()
$$;
revoke all on function app_staff_organisation_name(uuid) from public;
grant execute on function app_staff_organisation_name(uuid) to ops_app;

create function app_staff_organisation_by_slug(p_slug text) returns table (org_id uuid, name text)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select org_id, name from organisations where slug = p_slug::citext and app_is_staff()
$$;
revoke all on function app_staff_organisation_by_slug(text) from public;
grant execute on function app_staff_organisation_by_slug(text) to ops_app;

create function app_staff_user_by_email(p_email text) returns uuid
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select user_id from users where email = p_email::citext and app_is_staff()
$$;
revoke all on function app_staff_user_by_email(text) from public;
grant execute on function app_staff_user_by_email(text) to ops_app;
