-- Enrichment of businesses from Google Maps, run as background jobs (server/src/enrichment.rs).
--
-- Where each business's enrichment stands, apart from the user's own fields, which enrichment
-- never overwrites: its values sit in the columns the workspace migration made for them.
alter table businesses add column enrichment text
    check (enrichment in ('queued', 'matched', 'needs_choice', 'not_found', 'delayed'));
comment on column businesses.enrichment is
    'null: never enriched; queued; matched (the maps_* columns hold Google''s values); needs_choice (business_place_candidates); not_found; delayed (Google failed, a retry is queued)';

-- When Text Search finds several places and none is plainly the business, the user chooses.
create table business_place_candidates (
    org_id      uuid not null,
    business_id uuid not null,
    position    smallint not null check (position between 0 and 19),
    place_id    text not null,
    name        text not null,
    address     text not null,
    found_at    timestamptz not null default now(),
    primary key (org_id, business_id, position),
    foreign key (org_id, business_id) references businesses on delete cascade
);
alter table business_place_candidates enable row level security;
alter table business_place_candidates force row level security;
create policy tenant on business_place_candidates
    using (org_id = app_org_id()) with check (org_id = app_org_id());
grant select, insert, update, delete on business_place_candidates to ops_app;
