-- The board's columns, read in their own order straight from an index: open work most urgent
-- first, done work newest first, so a column's first page reads its fifty-odd rows however many
-- issues the column holds, instead of sorting all of them. They also serve every filter and
-- count by status, which the index they replace did.
drop index issues_by_status;
create index issues_column_urgent on issues (org_id, status, priority_rank(priority), number desc)
    where archived_at is null;
create index issues_column_newest on issues (org_id, status, number desc)
    where archived_at is null;
