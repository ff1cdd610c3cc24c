-- Each sign-in, so a user can see where they are signed in and end any of those sessions.
-- The session cookie's data names its row; a sign-in whose row is gone is signed out.
create table user_sessions (
    user_session_id uuid primary key,
    user_id         uuid not null references users on delete cascade,
    created_at      timestamptz not null default now(),
    last_seen_at    timestamptz not null default now(),
    ip              inet,
    user_agent      text
);
create index user_sessions_user_id on user_sessions (user_id, last_seen_at desc);
