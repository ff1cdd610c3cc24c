-- Enrichment as people use it: runs over a whole register or an import, with progress; monthly
-- allowances; and Google's 30-day limit on keeping Places content.

-- `expired`: Google's content passed 30 days without a refresh and was dropped; the place ID stays.
alter table businesses drop constraint businesses_enrichment_check;
alter table businesses add constraint businesses_enrichment_check
    check (enrichment in ('queued', 'matched', 'needs_choice', 'not_found', 'delayed', 'expired'));
comment on column businesses.enrichment is
    'null: never enriched; queued; matched (the maps_* columns hold Google''s values); needs_choice (business_place_candidates); not_found; delayed (Google failed, a retry is queued); expired (Google''s content was older than 30 days and dropped)';

-- "Enrich all" over the register, or over the rows of an import: its businesses carry its id, so
-- its progress is a count of their states.
create table enrichment_runs (
    org_id     uuid not null references organisations on delete cascade,
    run_id     uuid not null default gen_random_uuid(),
    started_at timestamptz not null default now(),
    started_by uuid references users on delete set null,
    total      integer not null check (total > 0),
    primary key (org_id, run_id)
);
create index enrichment_runs_latest on enrichment_runs (org_id, started_at desc);
alter table enrichment_runs enable row level security;
alter table enrichment_runs force row level security;
create policy tenant on enrichment_runs using (org_id = app_org_id()) with check (org_id = app_org_id());
grant select, insert on enrichment_runs to ops_app;

alter table businesses add column enrichment_run uuid;
create index businesses_enrichment_run on businesses (org_id, enrichment_run) where enrichment_run is not null;

-- What each organisation has used of a monthly allowance (app/src/allowance.rs takes from it
-- atomically: one statement that adds only while the sum stays within the allowance).
create table usage_meters (
    org_id uuid not null references organisations on delete cascade,
    meter  text not null check (meter in ('enrichment')),
    month  date not null check (extract(day from month) = 1),
    used   integer not null check (used >= 0),
    primary key (org_id, meter, month)
);
alter table usage_meters enable row level security;
alter table usage_meters force row level security;
create policy tenant on usage_meters using (org_id = app_org_id()) with check (org_id = app_org_id());
grant select, insert, update on usage_meters to ops_app;

-- The daily refresh (server/src/enrichment.rs), for every organisation at once, so it runs as
-- the owner. Google's terms allow keeping the place ID indefinitely and other Places content
-- for at most 30 days: content 29 days old is queued for a refresh (one job per business, in
-- its organisation's lane); content past 30 days is dropped, keeping the place ID.
create policy owner_reads_for_refresh on businesses for select to current_user using (true);
create policy owner_refreshes on businesses for update to current_user using (true) with check (true);

create function app_refresh_enrichments(p_max_attempts integer)
returns table (queued bigint, expired bigint)
language plpgsql volatile security definer set search_path = pg_catalog, public, pg_temp
as $$
declare
    v_queued bigint := 0;
    v_expired bigint;
    b record;
begin
    for b in
        select org_id, business_id from businesses
        where enrichment = 'matched' and place_id is not null
          and enriched_at < now() - interval '29 days'
        order by enriched_at
        limit 10000
    loop
        insert into jobs (kind, org_id, lane, payload, slot, max_attempts, dedupe_key)
        values ('business.enrich', b.org_id, b.org_id::text,
                jsonb_build_object('business_id', b.business_id, 'refresh', true),
                job_next_slot(b.org_id::text), p_max_attempts, b.business_id::text)
        on conflict (kind, dedupe_key) where dedupe_key is not null and state in ('queued', 'running')
        do nothing;
        if found then
            v_queued := v_queued + 1;
        end if;
    end loop;
    update businesses set enrichment = case when enrichment = 'matched' then 'expired' else enrichment end,
           formatted_address = null, latitude = null, longitude = null, maps_phone = null,
           maps_website = null, opening_hours = null, rating = null, rating_count = null,
           business_status = null, maps_url = null
    where enriched_at < now() - interval '30 days'
      and num_nonnulls(formatted_address, latitude, longitude, maps_phone, maps_website,
                       opening_hours, rating, rating_count, business_status, maps_url) > 0;
    get diagnostics v_expired = row_count;
    return query select v_queued, v_expired;
end $$;
revoke all on function app_refresh_enrichments(integer) from public;
grant execute on function app_refresh_enrichments(integer) to ops_app;
