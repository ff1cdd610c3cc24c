-- The operations workspace: businesses (the organisation's own sites and the outside businesses
-- it deals with), issues with per-organisation numbers, their comments and the timeline of every
-- change. Every table belongs to one organisation, with the same policies as 0005.

-- Lets one GIN index start with org_id, so full-text search stays within a tenant's entries.
create extension if not exists btree_gin;

-- Issue numbers come from the organisation's own counter, taken under the row lock in the
-- creating transaction: concurrent creations queue, and a rolled-back one leaves no gap.
alter table organisations add column next_issue_number integer not null default 1;

create table businesses (
    org_id        uuid not null references organisations on delete cascade,
    business_id   uuid not null default gen_random_uuid(),
    name          text not null check (length(name) between 1 and 200),
    relationship  text not null check (relationship in ('own_site', 'customer', 'supplier', 'competitor', 'partner')),
    address       text not null default '' check (length(address) <= 500),
    phone         text not null default '' check (length(phone) <= 50),
    website       text not null default '' check (length(website) <= 500),
    notes         text not null default '' check (length(notes) <= 10000),
    tags          text[] not null default '{}',
    -- What enrichment from Google Maps brings (filled in by enrichment).
    place_id          text,
    formatted_address text,
    latitude          double precision,
    longitude         double precision,
    maps_phone        text,
    maps_website      text,
    opening_hours     jsonb,
    rating            numeric(2, 1),
    rating_count      integer,
    business_status   text,
    maps_url          text,
    enriched_at       timestamptz,
    archived_at   timestamptz,
    -- Bumped by every edit; an edit made from an older copy is refused.
    version       integer not null default 1,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    search        tsvector generated always as (
                      to_tsvector('simple', name || ' ' || address || ' ' || coalesce(formatted_address, '') || ' ' || notes)
                  ) stored,
    primary key (org_id, business_id)
);
create trigger businesses_updated_at before update on businesses
    for each row execute function set_updated_at();
create index businesses_by_name on businesses (org_id, lower(name), business_id);
create index businesses_search on businesses using gin (org_id, search);
create index businesses_tags on businesses using gin (org_id, tags);

create table issues (
    org_id       uuid not null references organisations on delete cascade,
    issue_id     uuid not null default gen_random_uuid(),
    number       integer not null,
    title        text not null check (length(title) between 1 and 200),
    description  text not null default '' check (length(description) <= 20000),
    kind         text not null check (kind in ('incident', 'task', 'maintenance', 'complaint')),
    priority     text not null check (priority in ('urgent', 'high', 'normal', 'low')),
    status       text not null check (status in ('open', 'in_progress', 'blocked', 'resolved', 'closed')),
    business_id  uuid,
    assignee_id  uuid references users on delete set null,
    due_on       date,
    created_by   uuid references users on delete set null,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    resolved_at  timestamptz,
    archived_at  timestamptz,
    version      integer not null default 1,
    primary key (org_id, issue_id),
    constraint issues_number_key unique (org_id, number),
    foreign key (org_id, business_id) references businesses (org_id, business_id) on delete set null (business_id)
);
create trigger issues_updated_at before update on issues
    for each row execute function set_updated_at();
create index issues_by_status on issues (org_id, status, priority, number);
create index issues_by_created on issues (org_id, created_at);
create index issues_by_resolved on issues (org_id, resolved_at) where resolved_at is not null;
create index issues_by_business on issues (org_id, business_id, number);
create index issues_by_assignee on issues (org_id, assignee_id, number);
create index issues_overdue on issues (org_id, due_on) where status in ('open', 'in_progress', 'blocked');

create table issue_comments (
    org_id     uuid not null,
    comment_id uuid not null default gen_random_uuid(),
    issue_id   uuid not null,
    author_id  uuid references users on delete set null,
    body       text not null check (length(body) between 1 and 10000),
    created_at timestamptz not null default now(),
    primary key (org_id, comment_id),
    foreign key (org_id, issue_id) references issues on delete cascade
);
create index issue_comments_by_issue on issue_comments (org_id, issue_id, created_at);

-- The timeline: one row per changed field, with who changed it from what to what.
create table issue_events (
    org_id     uuid not null,
    event_id   bigint generated always as identity,
    issue_id   uuid not null,
    actor_id   uuid references users on delete set null,
    field      text not null,
    old_value  text,
    new_value  text,
    created_at timestamptz not null default now(),
    primary key (org_id, event_id),
    foreign key (org_id, issue_id) references issues on delete cascade
);
create index issue_events_by_issue on issue_events (org_id, issue_id, event_id);

do $$
declare t text;
begin
    foreach t in array array['businesses', 'issues', 'issue_comments', 'issue_events'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant on %I using (org_id = app_org_id()) with check (org_id = app_org_id())', t);
    end loop;
end $$;

grant select, insert, update, delete on businesses, issues, issue_comments to ops_app;
-- The timeline is history: added to, never rewritten.
grant select, insert on issue_events to ops_app;
