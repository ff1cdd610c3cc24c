-- Issues are found by the words of their title, description and comments, as businesses are by
-- theirs: each text is indexed where it is kept, with the organisation first in the index so a
-- search reads only its own tenant's entries.
alter table issues add column search tsvector generated always as (
    to_tsvector('simple', title || ' ' || description)
) stored;
create index issues_search on issues using gin (org_id, search);

alter table issue_comments add column search tsvector generated always as (
    to_tsvector('simple', body)
) stored;
create index issue_comments_search on issue_comments using gin (org_id, search);

-- Conversations are found by their subject and their customer's name and address, from the
-- organisation's search box.
alter table inbox_threads add column search tsvector generated always as (
    to_tsvector('simple', subject || ' ' || customer_name || ' ' || customer_address)
) stored;
create index inbox_threads_search on inbox_threads using gin (org_id, search);
