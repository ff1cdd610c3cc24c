//! The outbox delivers through SendGrid's real request shape, and survives SendGrid outages.

use std::{sync::atomic::Ordering, time::Duration};

use app::{
    auth::{
        forms::SignUpForm,
        functions::{DevMailbox, SignUp},
    },
    error::AppError,
};

use crate::support::{
    browser::Browser,
    fake_sendgrid::{self, API_KEY},
    wait::wait_for,
    TestApp,
};

async fn app_with_sendgrid(addr: std::net::SocketAddr) -> TestApp {
    let base = format!("http://{addr}");
    TestApp::spawn_with(&[
        ("SENDGRID_API_KEY", API_KEY),
        ("OPS_EMAIL_FROM", "no-reply@ops.test"),
        ("OPS_SENDGRID_BASE_URL", &base),
        ("OPS_EMAIL_RETRY_SECS", "1"),
    ])
    .await
}

/// Ada signs up, which queues her verification email.
async fn sign_up_ada(app: &TestApp) {
    let mut b = Browser::new(app);
    b.open("/sign-up").await;
    b.ok(SignUp {
        form: SignUpForm {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            password: "tangerine lighthouse".into(),
            ..Default::default()
        },
    })
    .await;
}

#[tokio::test]
async fn an_email_queued_during_a_sendgrid_outage_is_delivered_once_it_recovers() {
    let (fake, addr) = fake_sendgrid::start(2).await;
    let app = app_with_sendgrid(addr).await;
    sign_up_ada(&app).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while fake.accepted.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered; {} requests seen",
            fake.requests.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent = fake.accepted.lock().unwrap()[0].clone();
    assert_eq!(
        sent["personalizations"][0]["to"][0]["email"],
        "ada@example.com"
    );
    assert_eq!(sent["from"]["email"], "no-reply@ops.test");
    assert_eq!(sent["subject"], "Confirm your email address for Ops Intel");
    assert!(sent["content"][0]["value"]
        .as_str()
        .unwrap()
        .contains("/verify-email?token="));
    assert_eq!(
        fake.requests.load(Ordering::SeqCst),
        3,
        "two refusals, then accepted"
    );

    // The job records the delivery just after SendGrid accepts it.
    let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
    let outbox = async || -> (i32, bool) {
        sqlx::query_as("select attempts, sent_at is not null from email_outbox")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    wait_for("the delivery on record", async || outbox().await.1).await;
    assert_eq!(outbox().await, (3, true));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        fake.accepted.lock().unwrap().len(),
        1,
        "delivered exactly once"
    );
}

#[tokio::test]
async fn the_development_mailbox_is_closed_when_email_is_really_sent() {
    let (_fake, addr) = fake_sendgrid::start(0).await;
    let app = app_with_sendgrid(addr).await;
    let mut b = Browser::new(&app);
    b.open("/sign-in").await;
    assert_eq!(b.err(DevMailbox {}).await, AppError::NotFound);
}

#[tokio::test]
async fn a_delivered_email_keeps_no_body_only_what_shows_its_delivery() {
    let (fake, addr) = fake_sendgrid::start(0).await;
    let app = app_with_sendgrid(addr).await;
    let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
    sign_up_ada(&app).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let sent: bool = sqlx::query_scalar("select sent_at is not null from email_outbox")
            .fetch_one(&pool)
            .await
            .unwrap();
        if sent {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not delivered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(fake.accepted.lock().unwrap().len(), 1);
    let row: (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "select to_address, subject, kind, provider_message_id, text_body, html_body
             from email_outbox",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "ada@example.com".into(),
            "Confirm your email address for Ops Intel".into(),
            Some("verification".into()),
            Some("standin-message-1".into()),
            None,
            None
        ),
        "the live link is gone; the delivery is still shown"
    );
}

#[tokio::test]
async fn the_development_mailbox_shows_what_would_have_been_sent() {
    let app = TestApp::spawn_with(&[("OPS_DEV_MAILBOX", "1")]).await;
    sign_up_ada(&app).await;
    let mut b = Browser::new(&app);
    b.open("/sign-in").await;
    b.open("/dev/mailbox").await;
    let emails = b.ok(DevMailbox {}).await;
    assert_eq!(emails.len(), 1);
    assert!(
        emails[0].text_body.contains("/verify-email?token="),
        "with the mailbox on nothing is delivered, so the body stays: {:?}",
        emails[0]
    );
}
