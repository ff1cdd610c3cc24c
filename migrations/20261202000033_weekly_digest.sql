-- The weekly digest: each person who opts in gets, on Monday morning where they are, an email
-- per organisation of the week's figures (with a short AI summary where the organisation has
-- AI on). Each one is sent once per person, organisation and week.

alter table users add column weekly_digest boolean not null default false;

create table digest_sends (
    org_id  uuid not null,
    user_id uuid not null,
    -- The Monday (in the person's zone) of the week it was sent for.
    week    date not null check (extract(isodow from week) = 1),
    sent_at timestamptz not null default now(),
    primary key (org_id, user_id, week),
    foreign key (org_id, user_id) references memberships (org_id, user_id) on delete cascade
);
alter table digest_sends enable row level security;
alter table digest_sends force row level security;
create policy tenant on digest_sends using (org_id = app_org_id()) with check (org_id = app_org_id());
create policy owner_reads on digest_sends for select to current_user using (true);
grant select, insert on digest_sends to ops_app;

-- Every opted-in, verified person with each of their organisations, their zone, and the last
-- week a digest went out for: the hourly job picks those whose Monday morning has come.
create function app_digest_subscribers()
returns table (user_id uuid, org_id uuid, time_zone text, last_week date)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select u.user_id, m.org_id, u.time_zone,
           (select max(d.week) from digest_sends d where d.org_id = m.org_id and d.user_id = u.user_id)
    from users u join memberships m on m.user_id = u.user_id
    where u.weekly_digest and u.email_verified_at is not null
$$;
revoke all on function app_digest_subscribers() from public;
grant execute on function app_digest_subscribers() to ops_app;

-- "Ratings that changed": a business's Google rating before its latest change, and when it
-- changed. Google's content like the rating itself: gone when the rating is dropped (at 30
-- days without a refresh, or when the business is unlinked from its place).
alter table businesses add column previous_rating numeric(2, 1),
                       add column rating_changed_at timestamptz;
create function business_rating_moved() returns trigger
language plpgsql set search_path = pg_catalog, public, pg_temp as $$
begin
    if new.rating is null then
        new.previous_rating := null;
        new.rating_changed_at := null;
    elsif old.rating is not null and new.rating is distinct from old.rating then
        new.previous_rating := old.rating;
        new.rating_changed_at := now();
    end if;
    return new;
end $$;
create trigger businesses_rating_moved before update of rating on businesses
    for each row execute function business_rating_moved();
create index businesses_rating_changed on businesses (org_id, rating_changed_at)
    where rating_changed_at is not null;

-- The digest's summary is an AI call on the record like any other, made on a schedule.
alter table ai_requests drop constraint ai_requests_purpose_check;
alter table ai_requests add constraint ai_requests_purpose_check
    check (purpose in ('triage', 'draft', 'digest'));
alter table ai_requests drop constraint ai_requests_trigger_check;
alter table ai_requests add constraint ai_requests_trigger_check
    check (trigger in ('new_message', 'member', 'schedule'));
