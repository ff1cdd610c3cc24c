-- Deleting an issue archives it first: it leaves the lists, the board and the dashboard's
-- figures, and can be restored until an Owner or Admin deletes it for good. The indexes those
-- reads use hold only the issues that are not archived, so they still read nothing else.
drop index issues_by_status;
create index issues_by_status on issues (org_id, status, priority, number) where archived_at is null;

drop index issues_open_summary;
create index issues_open_summary on issues (org_id, business_id, priority) include (due_on)
    where issue_is_open(status) and archived_at is null;

drop index issues_resolved_summary;
create index issues_resolved_summary on issues (org_id, resolved_at) include (created_at, business_id)
    where resolved_at is not null and archived_at is null;

drop index issues_by_created;
create index issues_by_created on issues (org_id, created_at) include (business_id)
    where archived_at is null;

-- The archive, newest first.
create index issues_archived on issues (org_id, archived_at desc) where archived_at is not null;
