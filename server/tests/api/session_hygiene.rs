//! What a session is worth over time: a CSRF token seen before sign-in is worthless after it,
//! activity (not the sign-in) starts the idle clock again, nothing behind sign-in is kept by a
//! browser or proxy cache, and no path is exempt from CSRF protection by its name alone.

use app::auth::{
    forms::SignInForm,
    functions::{ListSessions, SignIn},
};
use reqwest::{header, StatusCode};
use sqlx::PgPool;

use crate::support::{
    browser::Browser,
    orgs::{create_user, PASSWORD},
    TestApp,
};

async fn signed_in(app: &TestApp) -> Browser<'_> {
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "ada@example.com", true).await;
    let mut b = Browser::new(app);
    b.open("/sign-in").await;
    b.ok(SignIn {
        form: SignInForm {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            next: None,
        },
    })
    .await;
    b
}

#[tokio::test]
async fn the_csrf_token_from_before_sign_in_stops_working_at_sign_in() {
    let app = TestApp::spawn().await;
    let mut anonymous = Browser::new(&app);
    anonymous.open("/sign-in").await;
    let before = anonymous.token.clone();
    assert!(!before.is_empty());
    let mut b = anonymous.clone();
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "ada@example.com", true).await;
    b.ok(SignIn {
        form: SignInForm {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            next: None,
        },
    })
    .await;
    assert_ne!(b.token, before, "the sign-in's answer carries a new token");
    let fresh = b.token.clone();
    b.open("/account").await;
    assert_eq!(b.token, fresh, "pages carry the new token too");

    let mut stale = b.clone();
    stale.token = before;
    let (status, body) = stale.call_fn(ListSessions {}).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("Reload the page"), "{body}");
    assert_eq!(b.ok(ListSessions {}).await.len(), 1, "the new token works");
}

#[tokio::test]
async fn activity_keeps_a_session_alive_past_its_first_idle_deadline() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    // As if the user signed in long ago and the idle deadline set then is seconds away.
    sqlx::query("update user_sessions set last_seen_at = now() - interval '1 hour'")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("update tower_sessions.session set expiry_date = now() + interval '3 seconds'")
        .execute(&db)
        .await
        .unwrap();

    b.last_set_cookie = None;
    assert!(b.current_user().await.is_some(), "still signed in");
    let cookie = b
        .last_set_cookie
        .clone()
        .expect("activity renews the cookie");
    let idle_seconds = 336 * 3600;
    assert!(
        cookie.contains(&format!("Max-Age={idle_seconds}")),
        "a full idle period from now: {cookie}"
    );
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert!(
        b.current_user().await.is_some(),
        "signed in past the deadline that activity moved"
    );
    let hours_left: f64 = sqlx::query_scalar(
        "select extract(epoch from max(expiry_date) - now())::float8 / 3600 from tower_sessions.session",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(hours_left > 335.0, "{hours_left}");
}

/// The `Cache-Control` of a page as a signed-in browser loads it.
async fn cache_control(app: &TestApp, b: &Browser<'_>, path: &str) -> String {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, b.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    res.headers()
        .get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn nothing_behind_sign_in_is_stored_by_a_cache() {
    let app = TestApp::spawn().await;
    let b = signed_in(&app).await;
    for path in [
        "/account",
        "/o",
        "/o/alpha-cafes",
        "/o/alpha-cafes/issues",
        "/o/alpha-cafes/issues/1",
        "/invite/some-token",
        "/dev/mailbox",
    ] {
        assert_eq!(cache_control(&app, &b, path).await, "no-store", "{path}");
    }
    for path in ["/", "/pricing", "/security", "/sign-in"] {
        assert_eq!(cache_control(&app, &b, path).await, "no-cache", "{path}");
    }

    let res = app
        .client
        .post(format!(
            "{}{}",
            app.base,
            <ListSessions as leptos::server_fn::ServerFn>::PATH
        ))
        .header(header::COOKIE, b.cookie.clone().unwrap())
        .header("x-csrf-token", &b.token)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn a_post_to_a_webhook_path_needs_a_csrf_token_like_any_other() {
    let app = TestApp::spawn().await;
    for path in ["/webhooks/anything", "/webhooks/stripe"] {
        let res = app
            .client
            .post(format!("{}{path}", app.base))
            .header(header::CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(res.text().await.unwrap().contains("Reload the page"));
    }
}
