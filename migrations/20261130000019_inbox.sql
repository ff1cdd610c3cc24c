-- The inbox: customer email that arrives through SendGrid Inbound Parse at an organisation's
-- inbound address, threaded, linked to businesses and issues, and answered from Ops Intel.
-- Every table belongs to one organisation, with the same policies as 0005.

-- Each organisation's receiving address: `<local_part>@<OPS_INBOUND_DOMAIN>`. Regenerating one
-- retires the old (mail to it is dropped) and adds a new one; local parts are never reused.
create table inbound_addresses (
    local_part text primary key check (local_part ~ '^[a-z0-9][a-z0-9-]{2,40}$'),
    org_id     uuid not null references organisations on delete cascade,
    created_at timestamptz not null default now(),
    retired_at timestamptz
);
create unique index inbound_addresses_current on inbound_addresses (org_id) where retired_at is null;
create index inbound_addresses_org on inbound_addresses (org_id, created_at);

-- The owner's functions below create and look up addresses across organisations.
create policy owner_reads on inbound_addresses for select to current_user using (true);
create policy owner_adds on inbound_addresses for insert to current_user with check (true);

-- A new local part: the slug's first letters (readable in a forwarding rule) and 8 random hex
-- digits, so an address cannot be guessed from the organisation's name.
create function inbound_local_part(p_slug text) returns text
language sql volatile set search_path = pg_catalog, public, pg_temp as $$
    select coalesce(nullif(left(trim(both '-' from regexp_replace(lower(p_slug), '[^a-z0-9]+', '-', 'g')), 20), ''), 'org')
           || '-' || left(replace(gen_random_uuid()::text, '-', ''), 8)
$$;

-- Every organisation has an address from its creation.
create function organisation_inbound_address() returns trigger
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    insert into inbound_addresses (local_part, org_id) values (inbound_local_part(new.slug::text), new.org_id);
    return null;
end $$;
revoke all on function organisation_inbound_address() from public;
create trigger organisations_inbound_address after insert on organisations
    for each row execute function organisation_inbound_address();
insert into inbound_addresses (local_part, org_id)
select inbound_local_part(slug::text), org_id from organisations;

-- The webhook knows no organisation until it reads the address a message was sent to: this
-- answers that one question (the current address's organisation, or null) and nothing else.
create function app_inbound_organisation(p_local_part text) returns uuid
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select org_id from inbound_addresses where local_part = lower(p_local_part) and retired_at is null
$$;
revoke all on function app_inbound_organisation(text) from public;
grant execute on function app_inbound_organisation(text) to ops_app;

-- A conversation with one customer. `awaiting_reply`: the customer spoke last and nobody has
-- answered. `reply_token` is in the Reply-To of every answer, so the customer's next message
-- finds the thread even when their mail program drops the threading headers.
create table inbox_threads (
    org_id            uuid not null references organisations on delete cascade,
    thread_id         uuid not null default gen_random_uuid(),
    reply_token       text not null default left(replace(gen_random_uuid()::text, '-', ''), 16)
                          check (reply_token ~ '^[0-9a-f]{16}$'),
    subject           text not null check (length(subject) <= 500),
    customer_address  text not null check (length(customer_address) between 3 and 320),
    customer_name     text not null default '' check (length(customer_name) <= 200),
    status            text not null default 'open' check (status in ('open', 'waiting', 'closed')),
    awaiting_reply    boolean not null default true,
    assignee_id       uuid references users on delete set null,
    business_id       uuid,
    issue_id          uuid,
    created_at        timestamptz not null default now(),
    last_message_at   timestamptz not null default now(),
    first_response_at timestamptz,
    primary key (org_id, thread_id),
    unique (reply_token),
    foreign key (org_id, business_id) references businesses (org_id, business_id) on delete set null (business_id),
    foreign key (org_id, issue_id) references issues (org_id, issue_id) on delete set null (issue_id)
);
create index inbox_threads_latest on inbox_threads (org_id, status, last_message_at desc, thread_id);
create index inbox_threads_assignee on inbox_threads (org_id, assignee_id, last_message_at desc);
create index inbox_threads_business on inbox_threads (org_id, business_id, last_message_at desc);
create index inbox_threads_created on inbox_threads (org_id, created_at);

-- Each message of a thread: what arrived (`in`), what a member answered (`out`, delivered
-- through SendGrid by a job) and internal notes (`note`, never sent).
create table inbox_messages (
    org_id          uuid not null references organisations on delete cascade,
    message_id      uuid not null default gen_random_uuid(),
    thread_id       uuid not null,
    direction       text not null check (direction in ('in', 'out', 'note')),
    -- The RFC 5322 Message-ID, without its angle brackets: ours for answers.
    rfc_message_id  text check (length(rfc_message_id) <= 998),
    in_reply_to     text check (length(in_reply_to) <= 998),
    refs            text[] not null default '{}',
    from_address    text not null default '' check (length(from_address) <= 320),
    from_name       text not null default '' check (length(from_name) <= 200),
    to_addresses    text[] not null default '{}',
    subject         text not null default '' check (length(subject) <= 500),
    text_body       text not null default '',
    -- As received: sanitised each time it is shown (app/src/inbox/sanitise.rs).
    html_body       text,
    author_id       uuid references users on delete set null,
    -- Answers only: queued until SendGrid accepts it, failed when it refused for good.
    delivery        text check (delivery in ('queued', 'sent', 'failed')),
    delivery_error  text,
    spf             text not null default '',
    dkim            text not null default '',
    spam_score      real,
    -- Attachments the storage allowance had no room for.
    attachments_dropped integer not null default 0,
    created_at      timestamptz not null default now(),
    sent_at         timestamptz,
    primary key (org_id, message_id),
    foreign key (org_id, thread_id) references inbox_threads on delete cascade,
    check ((direction = 'out') = (delivery is not null))
);
-- A message SendGrid delivers again (it retries for three days) is stored once.
create unique index inbox_messages_rfc_id on inbox_messages (org_id, rfc_message_id);
create index inbox_messages_thread on inbox_messages (org_id, thread_id, created_at);

-- Files that came with a message, kept in the database beside it: the same row-level security,
-- backups, export and erasure as the message itself, and gone with it.
create table inbox_attachments (
    org_id        uuid not null references organisations on delete cascade,
    attachment_id uuid not null default gen_random_uuid(),
    message_id    uuid not null,
    position      integer not null,
    file_name     text not null check (length(file_name) between 1 and 255),
    content_type  text not null check (length(content_type) between 3 and 255),
    size_bytes    integer not null check (size_bytes >= 0),
    content       bytea not null,
    primary key (org_id, attachment_id),
    foreign key (org_id, message_id) references inbox_messages on delete cascade
);
create index inbox_attachments_message on inbox_attachments (org_id, message_id, position);

do $$
declare t text;
begin
    foreach t in array array['inbound_addresses', 'inbox_threads', 'inbox_messages', 'inbox_attachments'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant on %I using (org_id = app_org_id()) with check (org_id = app_org_id())', t);
    end loop;
end $$;
grant select, insert, update on inbound_addresses to ops_app;
grant select, insert, update, delete on inbox_threads, inbox_messages, inbox_attachments to ops_app;

-- Inbox changes move the organisation's data version like issues do (dashboard figures).
create trigger inbox_threads_moved after insert or update or delete on inbox_threads
    for each row execute function org_data_moved();

-- A website's host without scheme, `www.` or path, lower case: what a sender's email domain is
-- compared with to link a new thread to its business.
create function website_domain(p_website text) returns text
language sql immutable set search_path = pg_catalog, public, pg_temp as $$
    select nullif(lower(regexp_replace(trim(p_website), '^([a-z]+://)?(www\.)?([^/:?#]+).*$', '\3', 'i')), '')
$$;
