//! Two organisations with a member of every role, for tests of tenancy and membership rules.

use std::collections::BTreeMap;

use app::{
    auth::{
        forms::SignInForm,
        functions::SignIn,
        password::{DjangoHash, DEFAULT_ITERATIONS},
    },
    roles::Role,
};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::{browser::Browser, TestApp};

pub const PASSWORD: &str = "tangerine lighthouse";

/// Two organisations. A has a member of every role plus one more Viewer to act on; B has an
/// Owner and a Viewer. Every name in B contains "bravo", so a response that leaks B says so.
pub struct Fixture {
    pub a: Uuid,
    pub b: Uuid,
    pub users: BTreeMap<&'static str, Uuid>,
    pub invitation_a: Uuid,
    pub invitation_b: Uuid,
    pub business_a: Uuid,
    pub business_b: Uuid,
    pub issue_a: Uuid,
    pub issue_b: Uuid,
    pub thread_a: Uuid,
    pub thread_b: Uuid,
    pub attachment_a: Uuid,
    pub attachment_b: Uuid,
    /// Each Owner's trip to Stripe, ready to be taken.
    pub billing_session_a: Uuid,
    pub billing_session_b: Uuid,
}

pub const A_SLUG: &str = "alpha-cafes";
pub const B_SLUG: &str = "bravo-bakeries";

pub const USERS: [(&str, &str); 7] = [
    ("a-owner", "owner@alpha.test"),
    ("a-admin", "admin@alpha.test"),
    ("a-manager", "manager@alpha.test"),
    ("a-viewer", "viewer@alpha.test"),
    ("a-target", "target@alpha.test"),
    ("b-owner", "owner@bravo.test"),
    ("b-member", "member@bravo.test"),
];

pub fn email_of(key: &str) -> &'static str {
    USERS.iter().find(|(k, _)| *k == key).unwrap().1
}

pub fn role_user(role: Role) -> &'static str {
    match role {
        Role::Owner => "a-owner",
        Role::Admin => "a-admin",
        Role::Manager => "a-manager",
        Role::Viewer => "a-viewer",
    }
}

impl Fixture {
    /// Users, verified, all with the same password.
    pub async fn create(db: &PgPool) -> Self {
        let mut users = BTreeMap::new();
        for (key, email) in USERS {
            users.insert(key, create_user(db, email, true).await);
        }
        let fixture = Self {
            a: Uuid::new_v4(),
            b: Uuid::new_v4(),
            users,
            invitation_a: Uuid::new_v4(),
            invitation_b: Uuid::new_v4(),
            business_a: Uuid::new_v4(),
            business_b: Uuid::new_v4(),
            issue_a: Uuid::new_v4(),
            issue_b: Uuid::new_v4(),
            thread_a: Uuid::new_v4(),
            thread_b: Uuid::new_v4(),
            attachment_a: Uuid::new_v4(),
            attachment_b: Uuid::new_v4(),
            billing_session_a: Uuid::new_v4(),
            billing_session_b: Uuid::new_v4(),
        };
        fixture.reset(db).await;
        fixture
    }

    /// Puts both organisations back as they started, whatever the last call did to them. Runs
    /// as the superuser, past row-level security.
    pub async fn reset(&self, db: &PgPool) {
        let u = |k: &str| self.users[k];
        let mut tx = db.begin().await.unwrap();
        sqlx::query("delete from organisations")
            .execute(&mut *tx)
            .await
            .unwrap();
        for (org, name, slug) in [
            (self.a, "Alpha Cafés", A_SLUG),
            (self.b, "Bravo Bakeries", B_SLUG),
        ] {
            // On the Business plan, as development's default is: the plans' limits are tested
            // on organisations put on Free (tests/api/billing.rs).
            sqlx::query(
                "insert into organisations (org_id, name, slug, plan) values ($1, $2, $3, 'business')",
            )
            .bind(org)
                .bind(name)
                .bind(slug)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query("insert into organisation_slugs (org_id, slug) values ($1, $2)")
                .bind(org)
                .bind(slug)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for (org, user, role) in [
            (self.a, u("a-owner"), "owner"),
            (self.a, u("a-admin"), "admin"),
            (self.a, u("a-manager"), "manager"),
            (self.a, u("a-viewer"), "viewer"),
            (self.a, u("a-target"), "viewer"),
            (self.b, u("b-owner"), "owner"),
            (self.b, u("b-member"), "viewer"),
        ] {
            sqlx::query("insert into memberships (org_id, user_id, role) values ($1, $2, $3)")
                .bind(org)
                .bind(user)
                .bind(role)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for (org, id, email, inviter) in [
            (
                self.a,
                self.invitation_a,
                "invitee@alpha.test",
                u("a-owner"),
            ),
            (
                self.b,
                self.invitation_b,
                "invitee@bravo.test",
                u("b-owner"),
            ),
        ] {
            sqlx::query(
                "insert into invitations (org_id, invitation_id, email, role, token_hash, invited_by, expires_at)
                 values ($1, $2, $3, 'viewer', $4, $5, now() + interval '7 days')",
            )
            .bind(org)
            .bind(id)
            .bind(email)
            .bind(Sha256::digest(id.as_bytes()).to_vec())
            .bind(inviter)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        for (org, business, name, address, issue, title) in [
            (
                self.a,
                self.business_a,
                "Quay Street Coffee",
                "1 Quay St, Leeds",
                self.issue_a,
                "Boiler leak",
            ),
            (
                self.b,
                self.business_b,
                "Bravo Flour Mill",
                "Bravo Lane",
                self.issue_b,
                "Bravo oven fault",
            ),
        ] {
            sqlx::query(
                "insert into businesses (org_id, business_id, name, relationship, address, tags)
                 values ($1, $2, $3, 'supplier', $4, '{flour}')",
            )
            .bind(org)
            .bind(business)
            .bind(name)
            .bind(address)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into issues (org_id, issue_id, number, title, kind, priority, status, business_id)
                 values ($1, $2, 1, $3, 'maintenance', 'high', 'open', $4)",
            )
            .bind(org)
            .bind(issue)
            .bind(title)
            .bind(business)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into issue_comments (org_id, issue_id, body) values ($1, $2, 'First look')",
            )
            .bind(org)
            .bind(issue)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into issue_events (org_id, issue_id, field, new_value) values ($1, $2, 'created', '#1')",
            )
            .bind(org)
            .bind(issue)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query("update organisations set next_issue_number = 2 where org_id = $1")
                .bind(org)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        // The owner follows the issue, and has heard it was assigned to them.
        for (org, owner, issue, slug) in [
            (self.a, u("a-owner"), self.issue_a, A_SLUG),
            (self.b, u("b-owner"), self.issue_b, B_SLUG),
        ] {
            sqlx::query(
                "insert into issue_followers (org_id, issue_id, user_id) values ($1, $2, $3)",
            )
            .bind(org)
            .bind(issue)
            .bind(owner)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into notifications (org_id, user_id, kind, title, link, in_app, email_due)
                 values ($1, $2, 'assigned', 'assigned #1 to you', $3, true, false)",
            )
            .bind(org)
            .bind(owner)
            .bind(format!("/o/{slug}/issues/1"))
            .execute(&mut *tx)
            .await
            .unwrap();
            // Told once that an earlier due date passed; sent last week's digest.
            sqlx::query(
                "insert into overdue_notices (org_id, issue_id, due_on) values ($1, $2, '2026-11-01')",
            )
            .bind(org)
            .bind(issue)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into digest_sends (org_id, user_id, week) values ($1, $2, '2026-11-23')",
            )
            .bind(org)
            .bind(owner)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        for (org, owner, summary) in [
            (self.a, u("a-owner"), "alpha history"),
            (self.b, u("b-owner"), "bravo secret history"),
        ] {
            sqlx::query(
                "insert into org_audit_events (org_id, actor_user_id, action, summary)
                 values ($1, $2, 'organisation.created', $3)",
            )
            .bind(org)
            .bind(owner)
            .bind(summary)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        // A place each business might be, waiting for its organisation's choice.
        for (org, business) in [(self.a, self.business_a), (self.b, self.business_b)] {
            sqlx::query(
                "insert into business_place_candidates (org_id, business_id, position, place_id, name, address)
                 values ($1, $2, 0, 'ChIJfixture', 'Fixture place', '1 Fixture Street')",
            )
            .bind(org)
            .bind(business)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        // An enrichment run and a month's use of the enrichment allowance each.
        for org in [self.a, self.b] {
            sqlx::query(
                "insert into enrichment_runs (org_id, total, started_at) values ($1, 1, now() - interval '2 days')",
            )
            .bind(org)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into usage_meters (org_id, meter, month, used)
                 values ($1, 'enrichment', date_trunc('month', now() at time zone 'UTC')::date - interval '1 month', 3)",
            )
            .bind(org)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        // A conversation each: a customer's message with an attachment, and a note.
        for (org, thread, attachment, subject) in [
            (
                self.a,
                self.thread_a,
                self.attachment_a,
                "Alpha cold coffee",
            ),
            (
                self.b,
                self.thread_b,
                self.attachment_b,
                "Bravo secret complaint",
            ),
        ] {
            sqlx::query(
                "insert into inbox_threads (org_id, thread_id, subject, customer_address, customer_name)
                 values ($1, $2, $3, 'customer@example.com', 'Casey Customer')",
            )
            .bind(org)
            .bind(thread)
            .bind(subject)
            .execute(&mut *tx)
            .await
            .unwrap();
            let message: Uuid = sqlx::query_scalar(
                "insert into inbox_messages (org_id, thread_id, direction, rfc_message_id, from_address, subject, text_body)
                 values ($1, $2, 'in', $3, 'customer@example.com', $4, $4) returning message_id",
            )
            .bind(org)
            .bind(thread)
            .bind(format!("{thread}@customer.example"))
            .bind(subject)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into inbox_attachments (org_id, attachment_id, message_id, position, file_name, content_type, size_bytes, content)
                 values ($1, $2, $3, 0, 'receipt.pdf', 'application/pdf', 4, '%PDF')",
            )
            .bind(org)
            .bind(attachment)
            .bind(message)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        // A draft each thread's first member asked for, and a call to the AI service on record.
        for (org, thread, owner) in [
            (self.a, self.thread_a, u("a-owner")),
            (self.b, self.thread_b, u("b-owner")),
        ] {
            sqlx::query(
                "insert into ai_drafts (org_id, thread_id, user_id, state, body) values ($1, $2, $3, 'ready', 'Hello Casey,')",
            )
            .bind(org)
            .bind(thread)
            .bind(owner)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into ai_requests (org_id, thread_id, purpose, model, trigger, content_sha256, outcome)
                 values ($1, $2, 'triage', 'claude-haiku-4-5', 'new_message', repeat('ab', 32), 'ok')",
            )
            .bind(org)
            .bind(thread)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        // A Stripe customer each, with its card and an invoice, and an Owner's trip to Stripe.
        for (org, tag, session, owner) in [
            (self.a, "Alpha", self.billing_session_a, u("a-owner")),
            (self.b, "Bravo", self.billing_session_b, u("b-owner")),
        ] {
            sqlx::query(
                "insert into billing_accounts (org_id, customer_id, subscription_id, price_id, card_brand, card_last4, card_exp_month, card_exp_year)
                 values ($1, 'cus_fixture' || $2, 'sub_fixture' || $2, 'price_fixtureTeam', 'visa', '4242', 4, 2030)",
            )
            .bind(org)
            .bind(tag)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into billing_invoices (org_id, invoice_id, number, status, amount_due, amount_paid, currency, hosted_invoice_url, created)
                 values ($1, 'in_fixture' || $2, $2 || '-0001', 'paid', 2900, 2900, 'gbp', 'https://invoice.stripe.test/' || $2, now())",
            )
            .bind(org)
            .bind(tag)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into billing_sessions (org_id, session_id, user_id, kind, state, url)
                 values ($1, $2, $3, 'portal', 'ready', 'https://billing.stripe.test/' || $4)",
            )
            .bind(org)
            .bind(session)
            .bind(owner)
            .bind(tag)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        // An export each, downloaded two days ago, with its one piece.
        for org in [self.a, self.b] {
            sqlx::query(
                "with e as (
                     insert into org_exports (org_id, status, items_total, items_done, size_bytes,
                                              created_at, ready_at, expires_at, downloaded_at)
                     values ($1, 'downloaded', 1, 1, 4, now() - interval '2 days', now() - interval '2 days',
                             now() - interval '1 day', now() - interval '2 days')
                     returning org_id, export_id)
                 insert into org_export_chunks (org_id, export_id, seq, bytes)
                 select org_id, export_id, 0, '\\x504b0506'::bytea from e",
            )
            .bind(org)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        // A background job each, queued as a request working for the organisation would.
        for org in [self.a, self.b] {
            sqlx::query(
                "select set_config('app.org_id', $1::text, true),
                        app_enqueue_job('fixture.noop', $1, '{}', null, 1, null)",
            )
            .bind(org)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// Every field any organisation function takes, naming objects of `org`.
    pub fn fields(&self, slug: &str, org: Uuid) -> Vec<(&'static str, String)> {
        let in_a = org == self.a;
        let (target, invitation, business, issue, thread, attachment, session) = if in_a {
            (
                self.users["a-target"],
                self.invitation_a,
                self.business_a,
                self.issue_a,
                self.thread_a,
                self.attachment_a,
                self.billing_session_a,
            )
        } else {
            (
                self.users["b-member"],
                self.invitation_b,
                self.business_b,
                self.issue_b,
                self.thread_b,
                self.attachment_b,
                self.billing_session_b,
            )
        };
        vec![
            ("slug", slug.to_string()),
            ("user_id", target.to_string()),
            ("invitation_id", invitation.to_string()),
            ("role", "manager".into()),
            ("email", "newcomer@example.com".into()),
            ("name", "Renamed Organisation".into()),
            ("new_slug", "renamed-organisation".into()),
            ("confirm", slug.to_string()),
            ("action", String::new()),
            ("actor", String::new()),
            ("from", String::new()),
            ("to", String::new()),
            ("token", "no-such-token".into()),
            ("password", PASSWORD.into()),
            ("business_id", business.to_string()),
            ("issue_id", issue.to_string()),
            ("version", "1".into()),
            ("number", "1".into()),
            ("title", "Boiler leak fixed".into()),
            ("description", "Plumber booked.".into()),
            ("kind", "maintenance".into()),
            ("priority", "high".into()),
            ("status", "in_progress".into()),
            ("assignee_id", String::new()),
            ("due_on", "2026-12-31".into()),
            ("body", "On it.".into()),
            ("q", String::new()),
            ("relationship", "supplier".into()),
            ("tag", String::new()),
            ("archived", "false".into()),
            ("follow", "true".into()),
            ("channel", "app".into()),
            ("user", target.to_string()),
            ("address", "2 Quay St, Leeds".into()),
            ("phone", "0113 496 0000".into()),
            ("website", "quay.example".into()),
            ("notes", String::new()),
            ("tags", "coffee".into()),
            ("overdue", "false".into()),
            ("order", "priority".into()),
            ("after", String::new()),
            ("numbers", "1".into()),
            ("site", String::new()),
            ("days", "30".into()),
            (
                "csv",
                "name,relationship,address,phone,website,notes,tags\nNew Place,customer,,,,,\n"
                    .into(),
            ),
            ("commit", "false".into()),
            ("place_id", "ChIJfixture".into()),
            ("field", "phone".into()),
            ("run_id", String::new()),
            ("required", "false".into()),
            ("code", String::new()),
            ("thread_id", thread.to_string()),
            ("attachment_id", attachment.to_string()),
            ("images", "false".into()),
            ("who", String::new()),
            ("category", "complaint".into()),
            ("urgency", "high".into()),
            ("tone", "friendly".into()),
            ("signature", String::new()),
            ("enabled", "false".into()),
            ("purpose", String::new()),
            ("outcome", String::new()),
            ("from_draft", "false".into()),
            ("plan", "team".into()),
            ("session_id", session.to_string()),
            ("on", "false".into()),
            ("time_zone", "Europe/London".into()),
        ]
    }

    /// Everything stored about B, to prove calls made from A change none of it.
    pub async fn snapshot_b(&self, db: &PgPool) -> String {
        sqlx::query_scalar(
            "select concat_ws(' | ',
                (select string_agg(o::text, ',') from organisations o where org_id = $1),
                (select string_agg(m::text, ',' order by user_id) from memberships m where org_id = $1),
                (select string_agg(i::text, ',' order by invitation_id) from invitations i where org_id = $1),
                (select string_agg(s::text, ',' order by slug) from organisation_slugs s where org_id = $1),
                (select string_agg(b::text, ',') from businesses b where org_id = $1),
                (select string_agg(i::text, ',') from issues i where org_id = $1),
                (select count(*)::text from issue_comments where org_id = $1),
                (select string_agg(t::text, ',') from inbox_threads t where org_id = $1),
                (select string_agg(m::text, ',' order by message_id) from inbox_messages m where org_id = $1),
                (select count(*)::text from inbox_attachments where org_id = $1),
                (select string_agg(a::text, ',' order by local_part) from inbound_addresses a where org_id = $1),
                (select string_agg(d::text, ',' order by user_id) from ai_drafts d where org_id = $1),
                (select string_agg(r::text, ',' order by request_id) from ai_requests r where org_id = $1),
                (select string_agg(u::text, ',' order by meter, month) from usage_meters u where org_id = $1),
                (select string_agg(a::text, ',') from billing_accounts a where org_id = $1),
                (select string_agg(i::text, ',' order by invoice_id) from billing_invoices i where org_id = $1),
                (select string_agg(s::text, ',' order by session_id) from billing_sessions s where org_id = $1),
                (select next_issue_number::text from organisations where org_id = $1))",
        )
        .bind(self.b)
        .fetch_one(db)
        .await
        .unwrap()
    }
}

pub async fn sign_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    sign_in_with(app, email, PASSWORD).await
}

/// The sign-in form's call, as a browser sends it.
pub fn sign_in_as(email: &str, password: &str) -> SignIn {
    SignIn {
        form: SignInForm {
            email: email.into(),
            password: password.into(),
            next: None,
        },
    }
}

pub async fn sign_in_with<'a>(app: &'a TestApp, email: &str, password: &str) -> Browser<'a> {
    let mut b = Browser::new(app);
    b.open("/sign-in").await;
    b.ok(sign_in_as(email, password)).await;
    b
}

/// A user whose password is [`PASSWORD`], created once (or found again) by email.
pub async fn create_user(db: &PgPool, email: &str, verified: bool) -> Uuid {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = HASH.get_or_init(|| DjangoHash::new(PASSWORD, DEFAULT_ITERATIONS).to_string());
    sqlx::query_scalar(
        "insert into users (email, name, password_hash, email_verified_at)
         values ($1, 'User ' || split_part($1, '@', 1), $2, case when $3 then now() end)
         on conflict (email) do update set password_hash = $2
         returning user_id",
    )
    .bind(email)
    .bind(hash)
    .bind(verified)
    .fetch_one(db)
    .await
    .unwrap()
}

/// A verified user who belongs to no organisation, freshly signed in.
pub async fn probe_browser<'a>(app: &'a TestApp, db: &PgPool) -> Browser<'a> {
    create_user(db, "probe@example.com", true).await;
    sign_in(app, "probe@example.com").await
}

/// A transaction on `conn` in which row-level security shows organisation `org`.
pub async fn tenant_tx(
    conn: &mut sqlx::PgConnection,
    org: Uuid,
) -> sqlx::Transaction<'_, sqlx::Postgres> {
    use sqlx::Connection as _;
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("select set_config('app.org_id', $1, true)")
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}
