//! Billing against Stripe's stand-in, through real HTTP: subscribing through Checkout raises the
//! plan's limits; Stripe's signatures are checked as Stripe specifies; an event redelivered is
//! applied once, and events out of order end in Stripe's state; a failed payment shows a notice,
//! holds through the grace period, then Free limits apply to new things with nothing deleted;
//! the limits hold at the last seat under parallel requests; and no column could hold a card.

use std::{net::SocketAddr, time::Duration};

use app::{
    billing::{
        BillingTrip, BillingView, CheckoutForm, GetBilling, OpenPortal, SessionRef, StartCheckout,
        Trip,
    },
    error::AppError,
    org::{
        forms::InviteMemberForm,
        functions::{CurrentOrg, InviteMember},
    },
    roles::Role,
    work::businesses::{BusinessForm, CreateBusiness},
};
use serde_json::{json, Value};
use server::{
    billing::signature,
    standins::stripe::{self, Options, Stripe},
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{
    browser::Browser,
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    wait::{columns_holding, wait_for},
    TestApp,
};

const KEY: &str = "sk_test_billing_tests";
const SECRET: &str = "whsec_billing_tests";
const CARD: &str = "4242424242424242";

struct Setup {
    app: TestApp,
    db: PgPool,
    f: Fixture,
    stripe: Stripe,
}

async fn setup() -> Setup {
    setup_with(&[]).await
}

async fn setup_with(extra: &[(&str, &str)]) -> Setup {
    let (stripe, addr) = Stripe::start(
        Options {
            key: KEY.into(),
            webhook: None,
            prices: stripe::development_prices(),
            delay: Duration::ZERO,
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let url = format!("http://{addr}");
    let mut vars = vec![
        ("STRIPE_SECRET_KEY", KEY),
        ("STRIPE_WEBHOOK_SECRET", SECRET),
        ("STRIPE_PRICE_TEAM", stripe::TEAM_PRICE),
        ("STRIPE_PRICE_BUSINESS", stripe::BUSINESS_PRICE),
        ("OPS_STRIPE_BASE_URL", url.as_str()),
        ("OPS_JOBS_POLL_MS", "20"),
    ];
    vars.extend_from_slice(extra);
    let app = TestApp::spawn_with(&vars).await;
    stripe.set_webhook(format!("{}/webhooks/stripe", app.base), vec![SECRET.into()]);
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    // Alpha starts as a new organisation in production does: Free, never at Stripe.
    for table in ["billing_accounts", "billing_invoices", "billing_sessions"] {
        sqlx::query(&format!("delete from {table} where org_id = $1"))
            .bind(f.a)
            .execute(&db)
            .await
            .unwrap();
    }
    sqlx::query("update organisations set plan = 'free' where org_id = $1")
        .bind(f.a)
        .execute(&db)
        .await
        .unwrap();
    Setup { app, db, f, stripe }
}

fn invite(email: &str) -> InviteMember {
    InviteMember {
        slug: A_SLUG.into(),
        form: InviteMemberForm {
            email: email.into(),
            role: Role::Viewer.as_str().into(),
        },
    }
}

fn billing() -> GetBilling {
    GetBilling {
        slug: A_SLUG.into(),
    }
}

/// Members and pending invitations of `org`.
async fn seats(db: &PgPool, org: Uuid) -> i64 {
    sqlx::query_scalar(
        "select (select count(*) from memberships where org_id = $1)
              + (select count(*) from invitations where org_id = $1 and accepted_at is null and revoked_at is null)",
    )
    .bind(org)
    .fetch_one(db)
    .await
    .unwrap()
}

/// Follows the Owner's trip to Stripe until its address is ready.
async fn trip(owner: &mut Browser<'_>, session_id: String) -> String {
    let mut url = None;
    wait_for("Stripe's session", async || {
        match owner
            .ok(BillingTrip {
                slug: A_SLUG.into(),
                form: SessionRef {
                    session_id: session_id.clone(),
                },
            })
            .await
        {
            Trip::Go(u) => {
                url = Some(u);
                true
            }
            Trip::Waiting => false,
            Trip::Failed(why) => panic!("the trip failed: {why}"),
        }
    })
    .await;
    url.unwrap()
}

/// Pays on the stand-in's Checkout page as a customer would; where it sends the browser.
async fn pay(checkout_url: &str, card: &str) -> (u16, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(checkout_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Subscribe to Team"));
    let r = client
        .post(checkout_url)
        .form(&[("card_number", card), ("expiry", "04 / 30"), ("cvc", "123")])
        .send()
        .await
        .unwrap();
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (r.status().as_u16(), to)
}

/// Subscribes Alpha to Team through Checkout and waits until the events are applied.
async fn subscribe(owner: &mut Browser<'_>) -> BillingView {
    let id = owner
        .ok(StartCheckout {
            slug: A_SLUG.into(),
            form: CheckoutForm {
                plan: "team".into(),
            },
        })
        .await;
    let url = trip(owner, id).await;
    let (status, to) = pay(&url, CARD).await;
    assert_eq!(status, 303);
    // Back to the billing page, at the server's public address.
    assert_eq!(
        to,
        format!("http://ops.test/o/{A_SLUG}/billing?checkout=done")
    );
    let mut page = None;
    wait_for("the subscription's events", async || {
        let p = owner.ok(billing()).await;
        let done = p.plan == "Team" && p.card.is_some() && !p.invoices.is_empty();
        page = Some(p);
        done
    })
    .await;
    page.unwrap()
}

async fn applied_events(db: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from stripe_events where applied_at is not null")
        .fetch_one(db)
        .await
        .unwrap()
}

async fn all_applied(db: &PgPool, s: &Stripe) {
    let made = s.events().len() as i64;
    wait_for("every event applied", async || {
        applied_events(db).await == made
    })
    .await;
}

async fn audit(db: &PgPool, org: Uuid, action: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select summary from org_audit_events where org_id = $1 and action = $2 order by event_id",
    )
    .bind(org)
    .bind(action)
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn subscribing_through_checkout_raises_the_limits_and_keeps_only_the_cards_description() {
    let s = setup().await;
    let mut owner = sign_in(&s.app, email_of("a-owner")).await;

    // Free: three seats, and Alpha has more already; nothing is written at the limit.
    let before = seats(&s.db, s.f.a).await;
    assert!(before >= 3, "{before}");
    let refused = owner.err(invite("fourth@example.com")).await;
    match &refused {
        AppError::OverAllowance(m) => assert_eq!(
            m,
            &format!("The Free plan allows 3 members (pending invitations included), and this would make {}. An Owner can change the plan on the billing page.", before + 1)
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(seats(&s.db, s.f.a).await, before, "nothing written");
    let page = owner.ok(billing()).await;
    assert_eq!(
        (page.plan.as_str(), page.in_force.as_str()),
        ("Free", "Free")
    );
    assert!(page.configured && page.can_manage && !page.subscribed);
    assert_eq!(page.choices.len(), 2);

    let page = subscribe(&mut owner).await;
    assert_eq!(page.status, "Active");
    assert!(page.subscribed && page.choices.is_empty());
    let card = page.card.unwrap();
    assert_eq!(
        (
            card.brand.as_str(),
            card.last4.as_str(),
            card.expires.as_str()
        ),
        ("visa", "4242", "04/2030")
    );
    assert_eq!(page.invoices[0].amount, "£29.00");
    assert_eq!(page.invoices[0].status, "paid");
    assert!(page.renews_on.is_some());
    let members = page
        .usage
        .iter()
        .find(|u| u.what.starts_with("Members"))
        .unwrap();
    assert_eq!(members.limit, Some(15));

    // Checkout was asked for as Stripe documents it, once, with an idempotency key.
    let creates: Vec<_> = s
        .stripe
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(creates.len(), 1, "{creates:?}");
    let c = &creates[0];
    assert_eq!(c.path, "/v1/checkout/sessions");
    assert!(c
        .idempotency_key
        .as_deref()
        .unwrap()
        .starts_with("checkout-"));
    let form = |k: &str| {
        c.form
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(form("mode"), Some("subscription"));
    assert_eq!(form("line_items[0][price]"), Some(stripe::TEAM_PRICE));
    assert_eq!(
        form("client_reference_id"),
        Some(s.f.a.to_string().as_str())
    );
    assert_eq!(
        form("subscription_data[metadata][org_id]"),
        Some(s.f.a.to_string().as_str())
    );
    assert_eq!(form("customer_email"), Some(email_of("a-owner")));
    // Every API call carried the key and the API version the types are written for.
    assert!(s.stripe.requests().iter().all(|r| r.status == 200));

    // The fourth seat now fits.
    owner.ok(invite("fourth@example.com")).await;
    assert_eq!(seats(&s.db, s.f.a).await, before + 1);
    assert_eq!(
        audit(&s.db, s.f.a, "billing.plan_changed").await,
        ["The plan changed from Free to Team"]
    );

    // The card went to Stripe's page only: its number is in no column of ours.
    assert!(columns_holding(&s.db, CARD).await.is_empty());
    assert!(columns_holding(&s.db, "424242424242").await.is_empty());
}

#[tokio::test]
async fn no_column_of_the_schema_could_hold_a_card_number_or_security_code() {
    let s = setup().await;
    // The only columns about cards are the four the billing page shows, each checked to its
    // shape; nothing is named for a number, a security code or a whole payment method.
    let card_columns: Vec<String> = sqlx::query_scalar(
        "select table_name || '.' || column_name from information_schema.columns
         where table_schema = 'public'
           and (column_name ~ '(card|pan|cvc|cvv|security_code|payment_method|account_number)')
         order by 1",
    )
    .fetch_all(&s.db)
    .await
    .unwrap();
    assert_eq!(
        card_columns,
        [
            "billing_accounts.card_brand",
            "billing_accounts.card_exp_month",
            "billing_accounts.card_exp_year",
            "billing_accounts.card_last4"
        ]
    );
    for (column, value) in [
        ("card_last4", "'4242424242424242'"),
        ("card_last4", "'42a2'"),
        ("card_brand", "'4242424242424242'"),
        ("card_exp_month", "13"),
    ] {
        let refused = sqlx::query(&format!(
            "update billing_accounts set {column} = {value} where org_id = $1"
        ))
        .bind(s.f.b)
        .execute(&s.db)
        .await;
        assert!(refused.is_err(), "{column} took {value}");
    }
}

/// A Stripe event as the stand-in makes it, posted with `signature` over `body`.
async fn post_event(app: &TestApp, body: &[u8], signature: Option<String>) -> u16 {
    let mut r = app
        .client
        .post(format!("{}/webhooks/stripe", app.base))
        .header("content-type", "application/json");
    if let Some(sig) = signature {
        r = r.header("stripe-signature", sig);
    }
    r.body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn signatures_are_checked_as_stripe_specifies_and_a_refused_event_changes_nothing() {
    let s = setup().await;
    let event = json!({
        "id": "evt_signaturetest1", "object": "event", "type": "customer.updated",
        "created": 1_700_000_000, "data": { "object": { "id": "cus_nobody", "object": "customer" } }
    });
    let body = serde_json::to_vec(&event).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let recorded = async || -> i64 {
        sqlx::query_scalar("select count(*) from stripe_events")
            .fetch_one(&s.db)
            .await
            .unwrap()
    };
    // Missing, a wrong secret, a stale timestamp, a tampered body: 400, nothing recorded.
    let tampered = serde_json::to_vec(&json!({ "id": "evt_signaturetest1", "object": "event", "type": "customer.deleted", "created": 1_700_000_000, "data": { "object": { "id": "cus_nobody", "object": "customer" } } })).unwrap();
    for (what, sent, sig) in [
        ("no signature", &body, None),
        (
            "a wrong secret",
            &body,
            Some(signature::header(&["whsec_wrong"], now, &body)),
        ),
        (
            "a stale timestamp",
            &body,
            Some(signature::header(&[SECRET], now - 600, &body)),
        ),
        (
            "a tampered body",
            &tampered,
            Some(signature::header(&[SECRET], now, &body)),
        ),
    ] {
        assert_eq!(post_event(&s.app, sent, sig).await, 400, "{what}");
    }
    assert_eq!(recorded().await, 0);

    // Two v1 signatures while the secret is rolled, the valid one first or last: accepted.
    let rolling = signature::header(&["whsec_old", SECRET], now, &body);
    assert_eq!(post_event(&s.app, &body, Some(rolling)).await, 200);
    assert_eq!(recorded().await, 1);
    // Delivered again: acknowledged, not recorded twice.
    let again = signature::header(&[SECRET, "whsec_old"], now, &body);
    assert_eq!(post_event(&s.app, &body, Some(again)).await, 200);
    assert_eq!(recorded().await, 1);
    // An event about no organisation of ours is recorded, applied as nothing, and says why.
    wait_for("the event's job", async || applied_events(&s.db).await == 1).await;
    let note: Option<String> = sqlx::query_scalar("select note from stripe_events")
        .fetch_one(&s.db)
        .await
        .unwrap();
    assert_eq!(note.as_deref(), Some("no organisation of ours"));
    // Signed, but not an event: refused, not stored.
    let junk = br#"{"hello": "world"}"#;
    let sig = signature::header(&[SECRET], now, junk);
    assert_eq!(post_event(&s.app, junk, Some(sig)).await, 400);
    assert_eq!(recorded().await, 1);
}

#[tokio::test]
async fn a_redelivered_event_is_applied_once_and_events_out_of_order_end_in_stripes_state() {
    let s = setup().await;
    let mut owner = sign_in(&s.app, email_of("a-owner")).await;
    subscribe(&mut owner).await;
    all_applied(&s.db, &s.stripe).await;
    let applied = applied_events(&s.db).await;

    // Every event again: acknowledged, and nothing applied twice.
    for sent in s.stripe.events() {
        let id = sent.event["id"].as_str().unwrap().to_string();
        assert_eq!(s.stripe.deliver(&id, None, None).await, Some(200));
    }
    assert_eq!(applied_events(&s.db).await, applied);
    assert_eq!(audit(&s.db, s.f.a, "billing.plan_changed").await.len(), 1);

    // Held back, then delivered newest first: to Business in the portal, then a failed
    // payment and its recovery.
    s.stripe.hold(true);
    let first_new = s.stripe.events().len();
    let session = owner
        .ok(OpenPortal {
            slug: A_SLUG.into(),
        })
        .await;
    let portal = trip(&mut owner, session).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(&portal)
        .form(&[("action", "plan"), ("price", stripe::BUSINESS_PRICE)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let subscription: String =
        sqlx::query_scalar("select subscription_id from billing_accounts where org_id = $1")
            .bind(s.f.a)
            .fetch_one(&s.db)
            .await
            .unwrap();
    let operator = |path: &'static str| {
        let client = client.clone();
        let url = format!("{}/standin/{path}", s.stripe.base_url());
        let subscription = subscription.clone();
        async move {
            let r = client
                .post(url)
                .json(&json!({ "subscription": subscription }))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
        }
    };
    operator("fail-payment").await;
    operator("pay").await;
    let held: Vec<Value> = s.stripe.events()[first_new..]
        .iter()
        .map(|e| e.event.clone())
        .collect();
    assert!(held.len() >= 4, "{held:?}");
    for event in held.iter().rev() {
        let id = event["id"].as_str().unwrap();
        assert_eq!(s.stripe.deliver(id, None, None).await, Some(200));
    }
    all_applied(&s.db, &s.stripe).await;
    // Stripe's state, whatever the order: Business, active, nothing owed.
    let page = owner.ok(billing()).await;
    assert_eq!(
        (page.plan.as_str(), page.status.as_str(), page.owes),
        ("Business", "Active", false)
    );
    let b: (String, String, Option<time::OffsetDateTime>) = sqlx::query_as(
        "select plan, billing_status, grace_ends_at from organisations where org_id = $1",
    )
    .bind(s.f.a)
    .fetch_one(&s.db)
    .await
    .unwrap();
    assert_eq!(
        (b.0.as_str(), b.1.as_str(), b.2),
        ("business", "active", None)
    );
    assert_eq!(
        audit(&s.db, s.f.a, "billing.plan_changed").await,
        [
            "The plan changed from Free to Team",
            "The plan changed from Team to Business"
        ]
    );
    // Two invoices on the page: the failed one, since paid, and the first.
    assert_eq!(page.invoices.len(), 2);
    assert!(page.invoices.iter().all(|i| i.status == "paid"));
}

#[tokio::test]
async fn a_failed_payment_shows_a_notice_holds_through_the_grace_period_then_free_limits_apply() {
    let s = setup().await;
    let mut owner = sign_in(&s.app, email_of("a-owner")).await;
    subscribe(&mut owner).await;
    let subscription: String =
        sqlx::query_scalar("select subscription_id from billing_accounts where org_id = $1")
            .bind(s.f.a)
            .fetch_one(&s.db)
            .await
            .unwrap();
    let client = reqwest::Client::new();
    let standin = |path: &str| format!("{}/standin/{path}", s.stripe.base_url());
    let r = client
        .post(standin("fail-payment"))
        .json(&json!({ "subscription": subscription }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    wait_for("the failed payment", async || {
        owner
            .ok(CurrentOrg {
                slug: A_SLUG.into(),
            })
            .await
            .payment
            .is_some()
    })
    .await;
    let notice = owner
        .ok(CurrentOrg {
            slug: A_SLUG.into(),
        })
        .await
        .payment
        .unwrap();
    assert_eq!(notice.plan, "Team");
    let grace_ends_on = notice.grace_ends_on.expect("in the grace period");
    let page = owner.ok(billing()).await;
    assert!(page.owes);
    assert_eq!(page.status, "Payment failed");
    assert_eq!(page.in_force, "Team");
    let failed = audit(&s.db, s.f.a, "billing.payment_failed").await;
    assert_eq!(failed.len(), 1);
    assert!(failed[0].contains(&grace_ends_on), "{failed:?}");
    // The Owner is emailed, with the way to the billing page.
    let mail: Vec<(String, String)> = sqlx::query_as(
        "select to_address, text_body from email_outbox where subject like 'A payment for%'",
    )
    .fetch_all(&s.db)
    .await
    .unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].0, email_of("a-owner"));
    assert!(mail[0].1.contains(&format!("/o/{A_SLUG}/billing")));

    // Within the grace period the plan's limits hold.
    owner.ok(invite("during-grace@example.com")).await;
    let seats_then = seats(&s.db, s.f.a).await;
    assert!(seats_then > 3);
    // After it, Free limits apply to new things; nothing is removed.
    sqlx::query(
        "update organisations set grace_ends_at = now() - interval '1 second' where org_id = $1",
    )
    .bind(s.f.a)
    .execute(&s.db)
    .await
    .unwrap();
    let refused = owner.err(invite("after-grace@example.com")).await;
    assert!(
        matches!(&refused, AppError::OverAllowance(m) if m.starts_with("The Free plan allows 3 members")),
        "{refused:?}"
    );
    assert_eq!(
        seats(&s.db, s.f.a).await,
        seats_then,
        "nothing removed, nothing added"
    );
    let page = owner.ok(billing()).await;
    assert_eq!(
        (page.plan.as_str(), page.in_force.as_str()),
        ("Team", "Free")
    );
    assert!(owner
        .ok(CurrentOrg {
            slug: A_SLUG.into(),
        })
        .await
        .payment
        .is_some_and(|p| p.grace_ends_on.is_none()));

    // Paid: the plan is back and the recovery is on record.
    let r = client
        .post(standin("pay"))
        .json(&json!({ "subscription": subscription }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    wait_for("the recovery", async || !owner.ok(billing()).await.owes).await;
    assert_eq!(owner.ok(billing()).await.in_force, "Team");
    owner.ok(invite("after-recovery@example.com")).await;
    assert_eq!(
        audit(&s.db, s.f.a, "billing.payment_recovered").await,
        ["The payment owed was made"]
    );
}

#[tokio::test]
async fn parallel_invitations_at_the_last_seat_take_it_once_and_businesses_are_limited_too() {
    let s = setup().await;
    // Team: 15 seats. Fill all but one with pending invitations.
    sqlx::query(
        "update organisations set plan = 'team', billing_status = 'active' where org_id = $1",
    )
    .bind(s.f.a)
    .execute(&s.db)
    .await
    .unwrap();
    let filled = seats(&s.db, s.f.a).await;
    for n in filled..14 {
        sqlx::query(
            "insert into invitations (org_id, email, role, token_hash, expires_at)
             values ($1, $2, 'viewer', sha256($2::bytea), now() + interval '7 days')",
        )
        .bind(s.f.a)
        .bind(format!("filler{n}@example.com"))
        .execute(&s.db)
        .await
        .unwrap();
    }
    assert_eq!(seats(&s.db, s.f.a).await, 14);
    let mut owner = sign_in(&s.app, email_of("a-owner")).await;
    let mut admin = sign_in(&s.app, email_of("a-admin")).await;
    let (a, b) = tokio::join!(
        owner.call_fn(invite("race-one@example.com")),
        admin.call_fn(invite("race-two@example.com")),
    );
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 402], "{a:?} {b:?}");
    assert_eq!(seats(&s.db, s.f.a).await, 15);

    // Businesses: Free allows 25, archived ones not counted.
    sqlx::query("update organisations set plan = 'free' where org_id = $1")
        .bind(s.f.a)
        .execute(&s.db)
        .await
        .unwrap();
    let have: i64 = sqlx::query_scalar(
        "select count(*) from businesses where org_id = $1 and archived_at is null",
    )
    .bind(s.f.a)
    .fetch_one(&s.db)
    .await
    .unwrap();
    for n in have..25 {
        sqlx::query(
            "insert into businesses (org_id, name, relationship) values ($1, $2, 'customer')",
        )
        .bind(s.f.a)
        .bind(format!("Filler {n}"))
        .execute(&s.db)
        .await
        .unwrap();
    }
    let mut manager = sign_in(&s.app, email_of("a-manager")).await;
    let create = CreateBusiness {
        slug: A_SLUG.into(),
        form: BusinessForm {
            name: "The 26th".into(),
            relationship: "customer".into(),
            ..BusinessForm::default()
        },
    };
    let refused = manager.err(create.clone()).await;
    assert!(
        matches!(&refused, AppError::OverAllowance(m) if m.starts_with("The Free plan allows 25 businesses (archived ones not counted), and this would make 26.")),
        "{refused:?}"
    );
    sqlx::query(
        "update businesses set archived_at = now() where org_id = $1 and name = 'Filler 24'",
    )
    .bind(s.f.a)
    .execute(&s.db)
    .await
    .unwrap();
    manager.ok(create).await;
}

#[tokio::test]
async fn admins_see_the_billing_page_owners_manage_it_and_others_are_refused() {
    let s = setup().await;
    let mut admin = sign_in(&s.app, email_of("a-admin")).await;
    let page = admin.ok(billing()).await;
    assert!(page.configured && !page.can_manage);
    let refused = admin
        .err(StartCheckout {
            slug: A_SLUG.into(),
            form: CheckoutForm {
                plan: "team".into(),
            },
        })
        .await;
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    let mut manager = sign_in(&s.app, email_of("a-manager")).await;
    assert!(matches!(
        manager.err(billing()).await,
        AppError::Forbidden(_)
    ));
    // An Owner's bad choice is refused with a message, and nothing asks Stripe.
    let mut owner = sign_in(&s.app, email_of("a-owner")).await;
    let bad = owner
        .err(StartCheckout {
            slug: A_SLUG.into(),
            form: CheckoutForm {
                plan: "free".into(),
            },
        })
        .await;
    assert!(matches!(bad, AppError::Invalid { .. }), "{bad:?}");
    let portal = owner
        .err(OpenPortal {
            slug: A_SLUG.into(),
        })
        .await;
    assert!(matches!(portal, AppError::Refused(_)), "{portal:?}");
    assert!(s.stripe.requests().is_empty());
}

#[tokio::test]
async fn stripe_down_delays_the_trip_and_a_refusal_ends_it_with_plain_words() {
    let s = setup().await;
    let mut owner = sign_in(&s.app, email_of("a-owner")).await;
    // Down twice, then up: the same session (one idempotency key) once it answers.
    s.stripe.fail_next([
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::http::StatusCode::TOO_MANY_REQUESTS,
    ]);
    let id = owner
        .ok(StartCheckout {
            slug: A_SLUG.into(),
            form: CheckoutForm {
                plan: "business".into(),
            },
        })
        .await;
    let url = trip(&mut owner, id).await;
    assert!(url.starts_with(s.stripe.base_url()));
    let keys: Vec<_> = s
        .stripe
        .requests()
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
}

#[tokio::test]
async fn without_stripe_billing_says_so_and_organisations_stay_on_their_plan() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let _f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let page = owner.ok(billing()).await;
    assert!(!page.configured && page.choices.is_empty());
    assert_eq!(page.plan, "Business");
    let refused = owner
        .err(StartCheckout {
            slug: A_SLUG.into(),
            form: CheckoutForm {
                plan: "team".into(),
            },
        })
        .await;
    assert!(
        matches!(&refused, AppError::Refused(m) if m == "Billing is not configured on this server."),
        "{refused:?}"
    );
    // No webhook without a secret to check it with.
    let status = app
        .client
        .post(format!("{}/webhooks/stripe", app.base))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_client_error(), "{status}");
}

/// Erasure: an Owner deletes their organisation, then their account. The subscription is
/// cancelled at Stripe, each deletion sends a receipt, and afterwards no column of any table holds
/// the organisation's people or the Owner: not their address, name or device, not the
/// organisation's invitee, customer conversation or Stripe customer; the account receipt
/// forgets its recipient once delivered.
#[tokio::test]
async fn deleting_an_organisation_then_its_owner_cancels_billing_and_leaves_nothing_personal() {
    let (sendgrid, sendgrid_addr) = crate::support::fake_sendgrid::start(0).await;
    let sendgrid_url = format!("http://{sendgrid_addr}");
    let s = setup_with(&[
        ("SENDGRID_API_KEY", crate::support::fake_sendgrid::API_KEY),
        ("OPS_EMAIL_FROM", "no-reply@ops.test"),
        ("OPS_SENDGRID_BASE_URL", &sendgrid_url),
        ("OPS_EMAIL_RETRY_SECS", "1"),
    ])
    .await;
    let (db, f) = (&s.db, &s.f);
    let owner_id = f.users["a-owner"];
    let owner_email = email_of("a-owner");
    let owner_name = "Ottoline Quillfeather";
    sqlx::query("update users set name = $2 where user_id = $1")
        .bind(owner_id)
        .bind(owner_name)
        .execute(db)
        .await
        .unwrap();
    let mut owner = sign_in(&s.app, owner_email).await;
    subscribe(&mut owner).await;
    let (customer, subscription): (String, String) = sqlx::query_as(
        "select customer_id, subscription_id from billing_accounts where org_id = $1",
    )
    .bind(f.a)
    .fetch_one(db)
    .await
    .unwrap();
    let invitee = "only.invited.to.alpha@example.net";
    owner.ok(invite(invitee)).await;
    // The Owner is also a Viewer in Bravo, which has a record of inviting them and of an issue
    // once assigned to them.
    sqlx::query("insert into memberships (org_id, user_id, role) values ($1, $2, 'viewer')")
        .bind(f.b)
        .bind(owner_id)
        .execute(db)
        .await
        .unwrap();
    sqlx::query(
        "insert into org_audit_events (org_id, action, target, summary) values ($1, 'member.invited', $2, 'Invited ' || $2)",
    )
    .bind(f.b)
    .bind(owner_email)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "insert into issue_events (org_id, issue_id, field, old_value, new_value) values ($1, $2, 'assignee', null, $3)",
    )
    .bind(f.b)
    .bind(f.issue_b)
    .bind(owner_name)
    .execute(db)
    .await
    .unwrap();
    let bravo_before: Vec<(String, String)> = sqlx::query_as(
        "select action, summary from org_audit_events where org_id = $1 and target is distinct from $2 order by event_id",
    )
    .bind(f.b)
    .bind(owner_email)
    .fetch_all(db)
    .await
    .unwrap();

    // The organisation goes: its subscription is cancelled and the Owner gets a receipt.
    owner
        .ok(app::org::functions::DeleteOrganisation {
            slug: A_SLUG.into(),
            confirm: A_SLUG.into(),
        })
        .await;
    wait_for("the subscription's cancellation", async || {
        s.stripe
            .subscription(&subscription)
            .is_some_and(|v| v["status"] == "canceled")
    })
    .await;
    wait_for("the organisation's receipt", async || {
        sendgrid
            .accepted
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.to_string().contains("has been deleted from Ops Intel"))
    })
    .await;
    for gone in [invitee, customer.as_str(), "Alpha cold coffee"] {
        assert_eq!(
            columns_holding(db, gone).await,
            Vec::<String>::new(),
            "{gone}"
        );
    }

    // Then the Owner's account: every row holding them goes or forgets them.
    let their_log: Vec<i64> =
        sqlx::query_scalar("select audit_event_id from audit_events where actor_user_id = $1")
            .bind(owner_id)
            .fetch_all(db)
            .await
            .unwrap();
    assert!(!their_log.is_empty());
    owner
        .ok(app::auth::functions::DeleteAccount {
            password: crate::support::orgs::PASSWORD.into(),
        })
        .await;
    wait_for("the account's receipt to be delivered", async || {
        let forgotten: i64 = sqlx::query_scalar(
            "select count(*) from email_outbox where kind = 'erasure_receipt' and sent_at is not null and to_address = 'forgotten'",
        )
        .fetch_one(db)
        .await
        .unwrap();
        forgotten == 1
    })
    .await;
    let receipt = sendgrid
        .accepted
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.to_string())
        .find(|m| m.contains("Your Ops Intel account has been deleted"))
        .expect("the account's receipt was sent");
    assert!(
        receipt.contains(owner_email),
        "sent to the address the account had"
    );
    assert!(receipt.contains("Kept, and why"));
    for trace in [owner_email, owner_name, &owner_id.to_string()] {
        assert_eq!(
            columns_holding(db, trace).await,
            Vec::<String>::new(),
            "{trace}"
        );
    }
    let with_device: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where audit_event_id = any($1) and (ip is not null or user_agent is not null)",
    )
    .bind(&their_log)
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(
        with_device, 0,
        "the account log keeps events, not the device"
    );
    // Bravo's log keeps its events; the one naming the Owner names no one.
    let bravo_after: Vec<(String, String)> = sqlx::query_as(
        "select action, summary from org_audit_events where org_id = $1 and summary <> 'Invited a deleted person' order by event_id",
    )
    .bind(f.b)
    .fetch_all(db)
    .await
    .unwrap();
    assert!(bravo_after.starts_with(&bravo_before), "{bravo_after:?}");
}
