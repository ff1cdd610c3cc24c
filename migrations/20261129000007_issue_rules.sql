-- The issue rules every query needs, said once: which statuses are open, which are done, the
-- order of urgency and where issues without a due date sort. They state in SQL what the Rust
-- enums say (app::work::Status::is_done, the order of app::work::Priority::ALL); a test checks
-- that both agree for every value.
--
-- Each is one immutable SQL expression with no settings of its own, so the planner inlines it:
-- a query that says `issue_is_open(status)` is planned exactly as if it spelled the list out,
-- including the proof that it may use a partial index whose predicate says the same.
--
-- The overdue index's predicate is built on `issue_is_open`. Changing what is open therefore
-- means a new migration that replaces the function and rebuilds that index in one go.

create function issue_is_open(status text) returns boolean
    language sql immutable parallel safe
    as $$ select status in ('open', 'in_progress', 'blocked') $$;

create function issue_is_done(status text) returns boolean
    language sql immutable parallel safe
    as $$ select not issue_is_open(status) $$;

-- 1 for the most urgent; the lists' "most urgent first" order sorts by it.
create function priority_rank(priority text) returns integer
    language sql immutable parallel safe
    as $$ select array_position(array['urgent', 'high', 'normal', 'low'], priority) $$;

-- Issues with no due date sort after every dated one.
create function issue_due_key(due_on date) returns date
    language sql immutable parallel safe
    as $$ select coalesce(due_on, date '9999-12-31') $$;

drop index issues_overdue;
create index issues_overdue on issues (org_id, due_on) where issue_is_open(status);
