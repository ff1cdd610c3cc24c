-- Billing through Stripe. Stripe holds the card; we keep what the billing page shows (the card's
-- brand, last four digits and expiry) and the subscription's state, taken from Stripe's own
-- objects. No column here can hold a card number or a security code: the card's columns are
-- checked to their exact shape.

-- Where the organisation's subscription stands. `plan` (from the AI migration) is the plan it
-- pays for; after a failed payment it holds until `grace_ends_at`, and then Free limits apply to
-- new things (app/src/plans.rs).
alter table organisations
    add column billing_status text not null default 'none'
        check (billing_status in ('none', 'incomplete', 'incomplete_expired', 'trialing', 'active',
                                  'past_due', 'canceled', 'unpaid', 'paused')),
    add column grace_ends_at timestamptz;

-- The organisation's Stripe customer and subscription, as last read from Stripe.
create table billing_accounts (
    org_id               uuid primary key references organisations on delete cascade,
    customer_id          text not null constraint billing_accounts_customer_key unique
                             check (customer_id ~ '^cus_[A-Za-z0-9_]{1,250}$'),
    subscription_id      text check (subscription_id ~ '^sub_[A-Za-z0-9_]{1,250}$'),
    price_id             text check (price_id ~ '^price_[A-Za-z0-9_]{1,250}$'),
    current_period_end   timestamptz,
    cancel_at_period_end boolean not null default false,
    card_brand           text check (card_brand ~ '^[a-z_]{1,20}$'),
    card_last4           text check (card_last4 ~ '^[0-9]{4}$'),
    card_exp_month       smallint check (card_exp_month between 1 and 12),
    card_exp_year        smallint check (card_exp_year between 2000 and 2200),
    synced_at            timestamptz,
    created_at           timestamptz not null default now()
);

-- Invoices as Stripe reported them, for the billing page's list (links to Stripe's hosted pages).
create table billing_invoices (
    org_id             uuid not null references organisations on delete cascade,
    invoice_id         text not null check (invoice_id ~ '^in_[A-Za-z0-9_]{1,250}$'),
    number             text check (length(number) <= 60),
    status             text not null check (status in ('draft', 'open', 'paid', 'uncollectible', 'void')),
    amount_due         integer not null check (amount_due >= 0),
    amount_paid        integer not null check (amount_paid >= 0),
    currency           text not null check (currency ~ '^[a-z]{3}$'),
    hosted_invoice_url text check (hosted_invoice_url ~ '^https?://' and length(hosted_invoice_url) <= 2000),
    created            timestamptz not null,
    primary key (org_id, invoice_id)
);
create index billing_invoices_latest on billing_invoices (org_id, created desc);

-- A Checkout or customer portal session asked for by an Owner: made by a job (it is a call to
-- Stripe), then its address handed to that Owner's browser, once.
create table billing_sessions (
    org_id     uuid not null references organisations on delete cascade,
    session_id uuid not null default gen_random_uuid(),
    user_id    uuid not null references users on delete cascade,
    kind       text not null check (kind in ('checkout', 'portal')),
    plan       text check (plan in ('team', 'business')),
    state      text not null default 'pending' check (state in ('pending', 'ready', 'failed', 'used')),
    url        text check (url ~ '^https?://' and length(url) <= 2000),
    note       text check (length(note) <= 300),
    created_at timestamptz not null default now(),
    primary key (org_id, session_id),
    check ((kind = 'checkout') = (plan is not null))
);

do $$
declare t text;
begin
    foreach t in array array['billing_accounts', 'billing_invoices', 'billing_sessions'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant on %I using (org_id = app_org_id()) with check (org_id = app_org_id())', t);
    end loop;
end $$;
grant select, insert, update on billing_accounts, billing_invoices to ops_app;
grant select, insert, update, delete on billing_sessions to ops_app;

-- Every Stripe event received, by Stripe's id: a redelivery finds its id here and changes
-- nothing. `applied_at` is set in the transaction that applies the event's effect. Not a tenant
-- table: an event names its organisation only once it is read (a job does that). It holds
-- Stripe's ids and the event's type, and no content: the job reads the object the event is
-- about from Stripe, as it is now, so events that arrive out of order end in the right state.
create table stripe_events (
    event_id    text primary key check (event_id ~ '^evt_[A-Za-z0-9_]{1,250}$'),
    type        text not null check (length(type) between 1 and 100),
    created     timestamptz not null,
    object_type text not null check (length(object_type) between 1 and 60),
    object_id   text not null check (object_id ~ '^[a-z]{2,6}_[A-Za-z0-9_]{1,250}$'),
    customer_id text check (customer_id ~ '^cus_[A-Za-z0-9_]{1,250}$'),
    received_at timestamptz not null default now(),
    applied_at  timestamptz,
    -- The organisation it was applied to (not `org_id`: this is no tenant's table).
    applied_to  uuid references organisations on delete set null,
    -- Why the event changed nothing (an organisation we do not know), for an operator.
    note        text check (length(note) <= 300)
);
grant select, insert, update on stripe_events to ops_app;

-- A Stripe event names a customer; this answers which organisation that customer is, and
-- nothing else, for the job that applies the event before it enters an organisation.
create function app_billing_organisation(p_customer_id text) returns uuid
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select org_id from billing_accounts where customer_id = p_customer_id
$$;
revoke all on function app_billing_organisation(text) from public;
grant execute on function app_billing_organisation(text) to ops_app;

-- Entering an organisation also reads how its payments stand, so every function knows the plan
-- in force (app/src/limits.rs) and every page can say when a payment is owed, without another
-- statement. Otherwise as before.
drop function app_enter_organisation(text, uuid, uuid, float8);
create function app_enter_organisation(p_slug text, p_user_id uuid, p_user_session_id uuid,
                                       p_lifetime_secs float8)
returns table (sign_in text, org_id uuid, slug text, name text, role text,
               require_two_factor boolean, verified boolean, has_two_factor boolean,
               data_version bigint, plan text, billing_status text, grace_ends_at timestamptz)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    sign_in := null;
    if p_user_session_id is not null then
        select 'current' into sign_in
        from user_sessions s
        where s.user_session_id = p_user_session_id and s.user_id = p_user_id
          and s.created_at > now() - make_interval(secs => p_lifetime_secs);
        if not found then
            sign_in := 'ended';
            return next;
            return;
        end if;
    end if;
    select o.org_id, o.slug::text, o.name, m.role, o.require_two_factor,
           u.email_verified_at is not null,
           exists (select 1 from user_two_factor t where t.user_id = p_user_id and t.enabled_at is not null),
           coalesce((select v.version from org_data_versions v where v.org_id = o.org_id), 0),
           o.plan, o.billing_status, o.grace_ends_at
    into org_id, slug, name, role, require_two_factor, verified, has_two_factor, data_version,
         plan, billing_status, grace_ends_at
    from organisation_slugs s
    join organisations o on o.org_id = s.org_id
    join memberships m on m.org_id = o.org_id and m.user_id = p_user_id
    join users u on u.user_id = p_user_id
    where s.slug = p_slug::citext;
    if found then
        perform set_config('app.org_id', org_id::text, true);
        perform set_config('app.user_id', p_user_id::text, true);
    end if;
    return next;
end $$;
revoke all on function app_enter_organisation(text, uuid, uuid, float8) from public;
grant execute on function app_enter_organisation(text, uuid, uuid, float8) to ops_app;
