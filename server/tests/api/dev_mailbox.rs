//! The development mailbox (every email the app would have sent, reset links included) opens
//! only when switched on, in development, and then only to a browser on this machine.

use app::{auth::functions::DevMailbox, error::AppError};
use reqwest::StatusCode;

use crate::support::{
    browser::Browser,
    nginx::{client_from, PROXY_ADDR},
    TestApp,
};

#[tokio::test]
async fn the_mailbox_is_closed_unless_switched_on() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.get("/dev/mailbox").await.status(),
        StatusCode::NOT_FOUND
    );
    let mut b = Browser::new(&app);
    b.open("/sign-in").await;
    assert_eq!(b.err(DevMailbox {}).await, AppError::NotFound);
}

#[tokio::test]
async fn the_mailbox_answers_only_clients_on_this_machine() {
    let app = TestApp::spawn_with(&[
        ("OPS_DEV_MAILBOX", "1"),
        ("OPS_TRUSTED_PROXIES", PROXY_ADDR),
    ])
    .await;

    let mut local = Browser::new(&app);
    local.open("/sign-in").await;
    let page = local.open("/dev/mailbox").await;
    assert!(page.contains("Development mailbox"), "{page}");
    assert!(local.ok(DevMailbox {}).await.is_empty());

    // A request a trusted proxy passes on from somewhere else.
    let remote = client_from(PROXY_ADDR, &[("x-forwarded-for", "203.0.113.5")])
        .build()
        .unwrap();
    let page = remote
        .get(format!("{}/dev/mailbox", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let mut b = Browser::through(&app, &app.base, remote);
    b.open("/sign-in").await;
    let (status, body) = b.call_fn(DevMailbox {}).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.contains("@"), "nothing of the mailbox: {body}");
}
