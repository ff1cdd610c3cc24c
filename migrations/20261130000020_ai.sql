-- AI triage and reply drafts through Anthropic's Messages API, under each organisation's
-- control and on its record. What is kept: the suggestion, the draft, and a record of each call
-- (who or what started it, the model, the token counts, the outcome and a hash of what was sent),
-- never the prompt or the raw response.

-- The organisation's plan decides its monthly allowance of AI requests (app/src/plans.rs);
-- billing sets it. AI is off until an Owner or Admin switches it on.
alter table organisations
    add column plan         text not null default 'free' check (plan in ('free', 'team', 'business')),
    add column ai_enabled   boolean not null default false,
    add column ai_tone      text not null default 'friendly' check (ai_tone in ('friendly', 'formal', 'brief')),
    add column ai_signature text not null default '' check (length(ai_signature) <= 300);

-- AI requests are counted like enrichments.
alter table usage_meters drop constraint usage_meters_meter_check;
alter table usage_meters add constraint usage_meters_meter_check check (meter in ('enrichment', 'ai'));

-- Triage of a conversation: where it stands, the suggestion as the model made it (validated
-- against our types), and what a member accepted or chose, which the list filters by.
alter table inbox_threads
    add column triage_state text not null default 'none'
        check (triage_state in ('none', 'pending', 'done', 'failed', 'skipped')),
    add column triage       jsonb,
    -- Why there is no suggestion, in words a member reads ("could not triage", the allowance).
    add column triage_note  text check (length(triage_note) <= 300),
    add column category     text check (category in ('complaint', 'booking', 'supplier', 'billing', 'praise', 'spam', 'other')),
    add column urgency      text check (urgency in ('urgent', 'high', 'normal', 'low'));
create index inbox_threads_category on inbox_threads (org_id, category, last_message_at desc);

-- An answer records whether it began as an AI draft and whether the person changed it.
alter table inbox_messages
    add column ai_draft  boolean not null default false,
    add column ai_edited boolean,
    add constraint inbox_messages_ai_edited check (ai_draft = (ai_edited is not null));

-- A reply drafted for one member on one thread: asked for, then ready (or failed), until that
-- member sends an answer or asks again.
create table ai_drafts (
    org_id     uuid not null references organisations on delete cascade,
    thread_id  uuid not null,
    user_id    uuid not null references users on delete cascade,
    state      text not null default 'pending' check (state in ('pending', 'ready', 'failed')),
    body       text check (length(body) <= 10000),
    -- Links, addresses and numbers in the draft that the thread does not contain.
    unseen     text[] not null default '{}',
    note       text check (length(note) <= 300),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (org_id, thread_id, user_id),
    foreign key (org_id, thread_id) references inbox_threads on delete cascade
);

-- Every call to Anthropic: its purpose, model, who or what started it, what it cost and how it
-- ended, and a SHA-256 of exactly what was sent (not the content). `sent` until it ends: a call
-- whose process stopped mid-way stays so.
create table ai_requests (
    org_id         uuid not null references organisations on delete cascade,
    request_id     uuid not null default gen_random_uuid(),
    thread_id      uuid,
    purpose        text not null check (purpose in ('triage', 'draft')),
    model          text not null check (length(model) between 1 and 100),
    started_by     uuid references users on delete set null,
    trigger        text not null check (trigger in ('new_message', 'member')),
    content_sha256 text not null check (content_sha256 ~ '^[0-9a-f]{64}$'),
    input_tokens   integer check (input_tokens >= 0),
    output_tokens  integer check (output_tokens >= 0),
    latency_ms     integer check (latency_ms >= 0),
    outcome        text not null default 'sent'
        check (outcome in ('sent', 'ok', 'invalid', 'rate_limited', 'overloaded', 'unavailable', 'refused')),
    created_at     timestamptz not null default now(),
    finished_at    timestamptz,
    primary key (org_id, request_id),
    foreign key (org_id, thread_id) references inbox_threads on delete set null (thread_id)
);
create index ai_requests_latest on ai_requests (org_id, created_at desc, request_id);
create index ai_requests_thread on ai_requests (org_id, thread_id);

do $$
declare t text;
begin
    foreach t in array array['ai_drafts', 'ai_requests'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant on %I using (org_id = app_org_id()) with check (org_id = app_org_id())', t);
    end loop;
end $$;
grant select, insert, update, delete on ai_drafts to ops_app;
-- The record is appended to and its call's ending filled in; never deleted but with its
-- organisation.
grant select, insert, update on ai_requests to ops_app;
