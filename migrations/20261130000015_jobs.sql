-- Background jobs: one durable queue for the whole application (server/src/jobs/ explains the
-- design and why it is our own).
--
-- A job is queued, then running under a lease one worker holds, then done, or dead after its
-- last attempt. A worker that stops or dies without finishing loses its lease and the job is
-- queued again, so every job runs at least once and handlers are written to be idempotent.
--
-- Fairness: each job gets a `slot` in its lane (its organisation, or the kind for work that
-- belongs to none) one after the lane's last queued job, and never before the queue's front.
-- Workers take the lowest slot first, so one organisation's 10,000 queued jobs take their turns
-- with another's one, rather than all going first.
create table jobs (
    job_id       bigint generated always as identity primary key,
    kind         text not null check (kind ~ '^[a-z][a-z0-9_.]{0,59}$'),
    org_id       uuid references organisations on delete cascade,
    lane         text not null,
    payload      jsonb not null default '{}',
    state        text not null default 'queued' check (state in ('queued', 'running', 'done', 'dead')),
    slot         bigint not null,
    run_at       timestamptz not null default now(),
    attempts     integer not null default 0 check (attempts >= 0),
    max_attempts integer not null check (max_attempts between 1 and 100),
    dedupe_key   text,
    worker       text,
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz not null default now(),
    finished_at  timestamptz,
    check ((state = 'running') = (locked_until is not null))
);
create index jobs_ready on jobs (kind, slot) where state = 'queued';
create index jobs_lane on jobs (lane, slot) where state = 'queued';
create index jobs_leases on jobs (locked_until) where state = 'running';
create index jobs_finished on jobs (finished_at) where state in ('done', 'dead');
create index jobs_org on jobs (org_id, created_at desc) where org_id is not null;
-- At most one live job per kind and key (enrich this business, send this email).
create unique index jobs_dedupe on jobs (kind, dedupe_key)
    where dedupe_key is not null and state in ('queued', 'running');

comment on column jobs.lane is 'the fairness lane: the organisation''s id, or the kind for jobs of none';
comment on column jobs.slot is 'the fair order: workers take the lowest due slot first';
comment on column jobs.dedupe_key is 'while a job with this kind and key is queued or running, another is not added';
comment on column jobs.worker is 'the worker that holds, or last held, the lease';

-- The fair order's clock: the highest slot a worker has taken. A lane that was empty starts
-- here, so it neither jumps the queue nor waits behind what was queued long before it.
create table job_clock (
    one  boolean primary key default true check (one),
    slot bigint not null default 0
);
insert into job_clock default values;

-- An organisation sees its own jobs (a page shows their progress). Workers and the jobs command
-- see all of them: through the owner's functions below on the hot path, and otherwise in
-- transactions that say so (`app.jobs` = 'work', set only by the job runner and the jobs
-- command). Jobs are added only through app_enqueue_job.
alter table jobs enable row level security;
alter table jobs force row level security;
create policy tenant on jobs for select using (org_id = app_org_id());
create policy worker on jobs using (current_setting('app.jobs', true) = 'work')
    with check (current_setting('app.jobs', true) = 'work');
create policy owner_runs on jobs to current_user using (true) with check (true);
grant select, update, delete on jobs to ops_app;
alter table job_clock enable row level security;
alter table job_clock force row level security;
create policy owner_runs on job_clock to current_user using (true) with check (true);
-- The clock says nothing about anyone; the jobs command reads it to queue dead jobs again.
create policy readable on job_clock for select using (true);
grant select on job_clock to ops_app;

-- The slot for a job joining LANE now: one after the lane's last queued job, and not before
-- the clock.
create function job_next_slot(p_lane text) returns bigint
language sql stable set search_path = pg_catalog, public, pg_temp as $$
    select greatest(
        (select coalesce(max(slot), 0) + 1 from jobs where lane = p_lane and state = 'queued'),
        (select slot + 1 from job_clock))
$$;
revoke all on function job_next_slot(text) from public;
grant execute on function job_next_slot(text) to ops_app;

-- Queues a job and returns its id, or null when a live job already has its kind and dedupe key.
-- A job of an organisation can be queued only in that organisation's transaction.
create function app_enqueue_job(
    p_kind text, p_org_id uuid, p_payload jsonb, p_run_at timestamptz, p_max_attempts integer,
    p_dedupe_key text
) returns bigint
language plpgsql volatile security definer set search_path = pg_catalog, public, pg_temp
as $$
declare
    v_lane text := coalesce(p_org_id::text, p_kind);
    v_id bigint;
begin
    if p_org_id is not null and p_org_id is distinct from app_org_id() then
        raise exception 'a job for organisation % queued outside its transaction', p_org_id
            using errcode = 'insufficient_privilege';
    end if;
    insert into jobs (kind, org_id, lane, payload, slot, run_at, max_attempts, dedupe_key)
    values (p_kind, p_org_id, v_lane, coalesce(p_payload, '{}'), job_next_slot(v_lane),
            coalesce(p_run_at, now()), p_max_attempts, p_dedupe_key)
    on conflict (kind, dedupe_key) where dedupe_key is not null and state in ('queued', 'running')
    do nothing
    returning job_id into v_id;
    return v_id;
end $$;

-- Takes up to N due jobs of each KIND, lowest slot first, for WORKER, leased for LEASE seconds,
-- and moves the clock on to the highest slot taken.
create function app_claim_jobs(p_kinds text[], p_limits integer[], p_worker text, p_lease double precision)
returns table (job_id bigint, kind text, org_id uuid, payload jsonb, attempts integer, max_attempts integer)
language sql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
    with picked as (
        select p.job_id from unnest(p_kinds, p_limits) as k(kind, n)
        cross join lateral (
            select j.job_id from jobs j
            where j.state = 'queued' and j.kind = k.kind and j.run_at <= now()
            order by j.slot limit k.n
            for update skip locked
        ) p
    ), claimed as (
        update jobs j set state = 'running', attempts = j.attempts + 1, worker = p_worker,
            locked_until = now() + make_interval(secs => p_lease)
        from picked where j.job_id = picked.job_id
        returning j.job_id, j.kind, j.org_id, j.payload, j.attempts, j.max_attempts, j.slot
    ), tick as (
        update job_clock set slot = (select max(c.slot) from claimed c)
        where slot < (select max(c.slot) from claimed c)
    )
    select c.job_id, c.kind, c.org_id, c.payload, c.attempts, c.max_attempts from claimed c
$$;

-- The outcome of one attempt, recorded only while WORKER still holds the job's lease on that
-- attempt (a job whose lease ran out may be another worker's by now). Each returns whether it
-- recorded anything.
create function app_job_done(p_job_id bigint, p_worker text, p_attempt integer) returns boolean
language sql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
    with done as (
        update jobs set state = 'done', locked_until = null, finished_at = now(), last_error = null
        where job_id = p_job_id and worker = p_worker and attempts = p_attempt and state = 'running'
        returning 1)
    select exists (select 1 from done)
$$;

-- A failed attempt: queued again after DELAY seconds at the back of its lane, or dead when
-- DEAD (the handler said so, or it was the last attempt).
create function app_job_failed(p_job_id bigint, p_worker text, p_attempt integer, p_error text,
                               p_delay double precision, p_dead boolean) returns boolean
language sql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
    with failed as (
        update jobs set
            state = case when p_dead or attempts >= max_attempts then 'dead' else 'queued' end,
            finished_at = case when p_dead or attempts >= max_attempts then now() end,
            run_at = now() + make_interval(secs => p_delay),
            slot = job_next_slot(lane),
            locked_until = null,
            last_error = left(p_error, 2000)
        where job_id = p_job_id and worker = p_worker and attempts = p_attempt and state = 'running'
        returning 1)
    select exists (select 1 from failed)
$$;

-- Jobs WORKER holds go back to the queue, their attempt not counted (it stopped before they
-- finished); returns how many.
create function app_release_jobs(p_worker text, p_job_ids bigint[]) returns integer
language sql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
    with released as (
        update jobs set state = 'queued', locked_until = null, attempts = greatest(attempts - 1, 0),
            slot = job_next_slot(lane)
        where job_id = any(p_job_ids) and worker = p_worker and state = 'running'
        returning 1)
    select count(*)::integer from released
$$;

-- Extends the leases WORKER holds on JOB_IDS.
create function app_extend_leases(p_worker text, p_job_ids bigint[], p_lease double precision) returns integer
language sql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
    with extended as (
        update jobs set locked_until = now() + make_interval(secs => p_lease)
        where job_id = any(p_job_ids) and worker = p_worker and state = 'running'
        returning 1)
    select count(*)::integer from extended
$$;

-- Jobs whose worker stopped renewing their lease (it died) are queued again, or dead if that
-- was their last attempt; returns how many.
create function app_reclaim_expired_jobs() returns integer
language sql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
    with expired as (
        update jobs set
            state = case when attempts >= max_attempts then 'dead' else 'queued' end,
            finished_at = case when attempts >= max_attempts then now() end,
            locked_until = null, slot = job_next_slot(lane),
            last_error = 'the worker stopped before it finished (lease expired)'
        where job_id in (select job_id from jobs where state = 'running' and locked_until < now()
                         for update skip locked)
        returning 1)
    select count(*)::integer from expired
$$;

revoke all on function app_enqueue_job(text, uuid, jsonb, timestamptz, integer, text),
    app_claim_jobs(text[], integer[], text, double precision),
    app_job_done(bigint, text, integer),
    app_job_failed(bigint, text, integer, text, double precision, boolean),
    app_release_jobs(text, bigint[]),
    app_extend_leases(text, bigint[], double precision),
    app_reclaim_expired_jobs() from public;
grant execute on function app_enqueue_job(text, uuid, jsonb, timestamptz, integer, text),
    app_claim_jobs(text[], integer[], text, double precision),
    app_job_done(bigint, text, integer),
    app_job_failed(bigint, text, integer, text, double precision, boolean),
    app_release_jobs(text, bigint[]),
    app_extend_leases(text, bigint[], double precision),
    app_reclaim_expired_jobs() to ops_app;

-- A rate limit per kind shared by every worker process: a token bucket, refilled at PER_SECOND
-- up to BURST. Takes up to WANT tokens and returns how many it took; GIVE returns unused ones.
create table job_rates (
    kind        text primary key,
    tokens      double precision not null,
    refilled_at timestamptz not null default clock_timestamp()
);
alter table job_rates enable row level security;
alter table job_rates force row level security;
create policy owner_runs on job_rates to current_user using (true) with check (true);

create function app_take_job_tokens(p_kind text, p_want integer, p_per_second double precision,
                                    p_burst integer) returns integer
language plpgsql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
declare
    v_available double precision;
    v_taken integer;
begin
    insert into job_rates (kind, tokens) values (p_kind, p_burst) on conflict (kind) do nothing;
    select least(p_burst, r.tokens + extract(epoch from clock_timestamp() - r.refilled_at) * p_per_second)
    into v_available from job_rates r where r.kind = p_kind for update;
    v_taken := greatest(0, least(p_want, floor(v_available)::integer));
    update job_rates set tokens = v_available - v_taken, refilled_at = clock_timestamp()
    where kind = p_kind;
    return v_taken;
end $$;

create function app_give_job_tokens(p_kind text, p_count integer, p_burst integer) returns boolean
language sql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
    with given as (
        update job_rates set tokens = least(p_burst, tokens + p_count) where kind = p_kind
        returning 1)
    select exists (select 1 from given)
$$;

revoke all on function app_take_job_tokens(text, integer, double precision, integer),
    app_give_job_tokens(text, integer, integer) from public;
grant execute on function app_take_job_tokens(text, integer, double precision, integer),
    app_give_job_tokens(text, integer, integer) to ops_app;

-- Recurring jobs: when each next falls due. Whichever worker moves `next_run_at` on queues the
-- run, so each run is queued once however many workers there are.
create table job_schedules (
    name        text primary key,
    next_run_at timestamptz not null
);
alter table job_schedules enable row level security;
alter table job_schedules force row level security;
create policy owner_runs on job_schedules to current_user using (true) with check (true);

-- Whether the schedule NAME is due; if so it moves on to NEXT (after now), and the caller queues
-- the run in the same transaction. A schedule seen for the first time is due at FIRST.
create function app_take_scheduled_run(p_name text, p_first timestamptz, p_next timestamptz)
returns boolean
language plpgsql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    insert into job_schedules (name, next_run_at) values (p_name, p_first) on conflict (name) do nothing;
    update job_schedules set next_run_at = p_next where name = p_name and next_run_at <= now();
    return found;
end $$;
revoke all on function app_take_scheduled_run(text, timestamptz, timestamptz) from public;
grant execute on function app_take_scheduled_run(text, timestamptz, timestamptz) to ops_app;

-- The email outbox is delivered by jobs: each email queues its own (app::email::SendEmail) in
-- the transaction that adds it, and those waiting now get theirs.
create function email_outbox_queued() returns trigger
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    perform app_enqueue_job('email.send', null, jsonb_build_object('email_id', new.email_id),
                            new.next_attempt_at, 12, new.email_id::text);
    return null;
end $$;
create trigger email_outbox_queued after insert on email_outbox
    for each row execute function email_outbox_queued();

select app_enqueue_job('email.send', null, jsonb_build_object('email_id', email_id), next_attempt_at,
                       12, email_id::text)
from email_outbox where sent_at is null order by email_id;
