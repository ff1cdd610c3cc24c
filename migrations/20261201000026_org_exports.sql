-- An organisation's whole export: asked for by an Owner or Admin, built by a background job
-- (`export.build`) as a ZIP written in chunks of at most a mebibyte (so neither the job nor the
-- download ever holds it whole, and any server process can serve it), downloaded once through a
-- link whose token only the asker saw, and deleted 24 hours after it was ready (`export.expire`).
create table org_exports (
    org_id        uuid not null references organisations on delete cascade,
    export_id     uuid not null default gen_random_uuid(),
    requested_by  uuid references users on delete set null,
    status        text not null default 'queued'
        check (status in ('queued', 'building', 'ready', 'downloaded', 'expired')),
    -- Progress: rows written of the rows counted when the build started.
    items_total   bigint not null default 0 check (items_total >= 0),
    items_done    bigint not null default 0 check (items_done >= 0),
    size_bytes    bigint check (size_bytes >= 0),
    -- The download link: only a SHA-256 of its token is kept; it works once, until
    -- link_expires_at, and only for the export it was made for.
    token_hash    bytea constraint org_exports_token_hash_key unique,
    link_made_by  uuid references users on delete set null,
    link_expires_at timestamptz,
    created_at    timestamptz not null default now(),
    ready_at      timestamptz,
    expires_at    timestamptz,
    downloaded_at timestamptz,
    primary key (org_id, export_id),
    check ((status in ('ready', 'downloaded', 'expired')) = (ready_at is not null))
);
-- One export in the making at a time per organisation.
create unique index org_exports_one_building on org_exports (org_id)
    where status in ('queued', 'building');
create index org_exports_latest on org_exports (org_id, created_at desc);

create table org_export_chunks (
    org_id    uuid not null,
    export_id uuid not null,
    seq       integer not null check (seq >= 0),
    bytes     bytea not null check (length(bytes) <= 1048576 + 65536),
    primary key (org_id, export_id, seq),
    foreign key (org_id, export_id) references org_exports on delete cascade
);

do $$
declare t text;
begin
    foreach t in array array['org_exports', 'org_export_chunks'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant on %I using (org_id = app_org_id()) with check (org_id = app_org_id())', t);
    end loop;
end $$;
grant select, insert, update on org_exports to ops_app;
grant select, insert, delete on org_export_chunks to ops_app;

-- A download link names no organisation: this finds the export its token was made for, and uses
-- the token up in the same statement, so a link works once however many ask at once. Only a
-- ready export within its day, through a link within its minutes.
create policy owner_reads on org_exports for select to current_user using (true);
create function app_claim_export_link(p_token_hash bytea)
returns table (org_id uuid, export_id uuid, slug text, size_bytes bigint, made_by uuid)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare
    found_org uuid;
begin
    select e.org_id into found_org from org_exports e where e.token_hash = p_token_hash;
    if found_org is null then
        return;
    end if;
    perform set_config('app.org_id', found_org::text, true);
    return query
        update org_exports e set token_hash = null, link_expires_at = null
        from organisations o
        where e.token_hash = p_token_hash and o.org_id = e.org_id
          and e.status = 'ready' and e.expires_at > now() and e.link_expires_at > now()
        returning e.org_id, e.export_id, o.slug::text, e.size_bytes, e.link_made_by;
end $$;
revoke all on function app_claim_export_link(bytea) from public;
grant execute on function app_claim_export_link(bytea) to ops_app;
