-- Accounts: users, single-use email tokens, the email outbox, sign-in throttling and the audit log.

create table users (
    user_id           uuid primary key default gen_random_uuid(),
    -- citext: emails are unique and compared without regard to case.
    email             citext not null constraint users_email_key unique,
    name              text not null,
    -- Django's encoding: pbkdf2_sha256$<iterations>$<salt>$<base64>; '!' marks an unusable one.
    password_hash     text not null,
    email_verified_at timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create trigger users_updated_at before update on users
    for each row execute function set_updated_at();

-- Links sent by email. Only a SHA-256 of the token is kept, so a database leak yields no usable link.
create table email_tokens (
    token_hash  bytea primary key,
    user_id     uuid not null references users on delete cascade,
    purpose     text not null check (purpose in ('verify_email', 'reset_password')),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    created_at  timestamptz not null default now()
);
create index email_tokens_user_id on email_tokens (user_id, purpose);

-- Written in the same transaction as the change that causes the email; a worker delivers it.
create table email_outbox (
    email_id        bigint generated always as identity primary key,
    to_address      text not null,
    subject         text not null,
    text_body       text not null,
    html_body       text not null,
    created_at      timestamptz not null default now(),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    sent_at         timestamptz,
    last_error      text
);
create index email_outbox_pending on email_outbox (next_attempt_at) where sent_at is null;

-- Failed attempts per scope and key (an account, an IP address), for back-off and lock-out.
create table auth_throttle (
    scope           text not null,
    key             text not null,
    failures        integer not null default 0,
    last_failure_at timestamptz not null default now(),
    locked_until    timestamptz,
    primary key (scope, key)
);

-- Security-relevant events. Organisation events join it later.
create table audit_events (
    audit_event_id bigint generated always as identity primary key,
    occurred_at    timestamptz not null default now(),
    actor_user_id  uuid references users on delete set null,
    action         text not null,
    target         text,
    ip             inet,
    user_agent     text,
    details        jsonb not null default '{}'
);
create index audit_events_actor on audit_events (actor_user_id, occurred_at desc);
