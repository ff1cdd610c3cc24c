-- An overdue issue is notified to its assignee once per due date: what was notified is kept
-- apart from the issue, so telling of it changes neither the issue nor its version.
alter table issues drop column overdue_notified_on;

create table overdue_notices (
    org_id   uuid not null,
    issue_id uuid not null,
    due_on   date not null,
    primary key (org_id, issue_id, due_on),
    foreign key (org_id, issue_id) references issues on delete cascade
);
alter table overdue_notices enable row level security;
alter table overdue_notices force row level security;
create policy tenant on overdue_notices using (org_id = app_org_id()) with check (org_id = app_org_id());
create policy owner_reads on overdue_notices for select to current_user using (true);
grant select, insert on overdue_notices to ops_app;

-- Functions with the owner's rights may read issues across organisations, as they may the
-- organisations themselves; the application's role still sees only its tenant's.
create policy owner_reads on issues for select to current_user using (true);

-- The organisations with assigned open work that may have become overdue and is not yet
-- notified, with their addresses and time zones: the job works out each one's date and looks inside it as
-- that tenant. Before tomorrow in UTC covers every zone's today.
create function app_orgs_with_due_work()
returns table (org_id uuid, slug text, time_zone text)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select o.org_id, o.slug::text, o.time_zone from organisations o
    where exists (
        select 1 from issues i
        where i.org_id = o.org_id and issue_is_open(i.status) and i.archived_at is null
          and i.assignee_id is not null and i.due_on < (now() at time zone 'UTC')::date + 1
          and not exists (select 1 from overdue_notices n
                          where n.org_id = i.org_id and n.issue_id = i.issue_id and n.due_on = i.due_on))
$$;
revoke all on function app_orgs_with_due_work() from public;
grant execute on function app_orgs_with_due_work() to ops_app;
