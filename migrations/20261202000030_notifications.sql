-- Notifications: what happened that a member should know of (an issue assigned to them, a
-- comment on an issue they follow, a mention, ...), in the app and, batched, by email, as each
-- person chooses per kind.

create table notifications (
    org_id          uuid not null,
    notification_id bigint generated always as identity,
    user_id         uuid not null,
    kind            text not null check (kind in ('assigned', 'commented', 'mentioned', 'overdue',
                                                  'thread_assigned', 'invitation_accepted')),
    actor_id        uuid references users on delete set null,
    -- What happened, as a sentence, and where to see it (a path inside the organisation).
    title           text not null check (length(title) between 1 and 400),
    link            text not null check (link like '/o/%'),
    created_at      timestamptz not null default now(),
    -- Shown in the app (the person's choice for its kind when it was made).
    in_app          boolean not null,
    read_at         timestamptz,
    -- Waiting for the person's next batched email.
    email_due       boolean not null,
    primary key (org_id, notification_id),
    -- A member's notifications go when they leave the organisation.
    foreign key (org_id, user_id) references memberships (org_id, user_id) on delete cascade
);
create index notifications_listed on notifications (org_id, user_id, notification_id desc) where in_app;
create index notifications_unread on notifications (org_id, user_id) where in_app and read_at is null;
create index notifications_email_due on notifications (user_id) where email_due;

-- Made inside the organisation by whoever acted; read and marked only by the person they are
-- for: in their organisation, or (their batched email) across their organisations.
alter table notifications enable row level security;
alter table notifications force row level security;
create policy tenant on notifications using (org_id = app_org_id()) with check (org_id = app_org_id());
create policy own on notifications for select using (user_id = app_user_id());
create policy own_marks on notifications for update using (user_id = app_user_id());
create policy only_own_read on notifications as restrictive for select
    using (app_user_id() is null or user_id = app_user_id());
create policy only_own_marks on notifications as restrictive for update
    using (app_user_id() is null or user_id = app_user_id());
create policy owner_reads on notifications for select to current_user using (true);
grant select, insert, update, delete on notifications to ops_app;

-- Each person's choice per kind; a kind without a row has its default (see app::notify).
create table notification_preferences (
    user_id uuid not null references users on delete cascade,
    kind    text not null check (kind in ('assigned', 'commented', 'mentioned', 'overdue',
                                          'thread_assigned', 'invitation_accepted')),
    channel text not null check (channel in ('app', 'email', 'both', 'none')),
    primary key (user_id, kind)
);
alter table notification_preferences enable row level security;
alter table notification_preferences force row level security;
create policy own on notification_preferences using (user_id = app_user_id()) with check (user_id = app_user_id());
create policy owner_reads on notification_preferences for select to current_user using (true);
grant select, insert, update, delete on notification_preferences to ops_app;

-- How a fellow member of the current organisation wants a kind of notification: the member
-- acting reads only this of the other's choices. Null for anyone who is not a member.
create function app_notification_channel(p_user_id uuid, p_kind text) returns text
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select coalesce(
        (select p.channel from notification_preferences p where p.user_id = p_user_id and p.kind = p_kind),
        case p_kind when 'commented' then 'app' else 'both' end)
    where exists (select 1 from memberships m where m.org_id = app_org_id() and m.user_id = p_user_id)
$$;
revoke all on function app_notification_channel(uuid, text) from public;
grant execute on function app_notification_channel(uuid, text) to ops_app;

-- Following an issue: its comments are notified to its followers. Whoever opens, is assigned
-- or comments on an issue follows it; anyone may stop.
create table issue_followers (
    org_id   uuid not null,
    issue_id uuid not null,
    user_id  uuid not null,
    primary key (org_id, issue_id, user_id),
    foreign key (org_id, issue_id) references issues on delete cascade,
    foreign key (org_id, user_id) references memberships (org_id, user_id) on delete cascade
);
alter table issue_followers enable row level security;
alter table issue_followers force row level security;
create policy tenant on issue_followers using (org_id = app_org_id()) with check (org_id = app_org_id());
create policy owner_reads on issue_followers for select to current_user using (true);
grant select, insert, delete on issue_followers to ops_app;

-- An overdue issue is notified to its assignee once per due date.
alter table issues add column overdue_notified_on date;
