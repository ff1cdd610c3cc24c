-- Two-factor sign-in: a TOTP secret per user (RFC 6238) and single-use recovery codes; the
-- organisation rule that requires it of every member; and, per sign-in, when the person last
-- proved who they are, which dangerous actions ask to be recent.

create table user_two_factor (
    user_id           uuid primary key references users on delete cascade,
    -- The TOTP secret, encrypted with XChaCha20-Poly1305 under a key the database never sees
    -- (OPS_TOTP_KEY), with the user id as associated data: a copy of the database gives no
    -- usable secret, and a row moved to another user does not decrypt.
    secret_nonce      bytea not null check (length(secret_nonce) = 24),
    secret_ciphertext bytea not null,
    -- Null while being set up: two-factor is on only once a correct code has confirmed it.
    enabled_at        timestamptz,
    -- The time step (Unix time / 30 s) of the last code accepted. Only a later step is accepted,
    -- so a code seen once (over a shoulder, in a proxy's log) never works again.
    last_step         bigint,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create trigger user_two_factor_updated_at before update on user_two_factor
    for each row execute function set_updated_at();

-- Ten per user, each usable once in place of a TOTP code. Only a keyed hash is kept.
create table two_factor_recovery_codes (
    user_id    uuid not null references users on delete cascade,
    code_hash  bytea not null,
    used_at    timestamptz,
    created_at timestamptz not null default now(),
    primary key (user_id, code_hash)
);

-- Set by an Owner or Admin: members without two-factor see none of the organisation's data.
alter table organisations add column require_two_factor boolean not null default false;

-- When this sign-in last gave a password or a second factor; signing in counts.
alter table user_sessions add column proved_at timestamptz not null default now();

grant select, insert, update, delete on user_two_factor, two_factor_recovery_codes to ops_app;
