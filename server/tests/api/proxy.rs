//! Behind a TLS proxy (a real nginx, started by each test) the address recorded for a request,
//! and throttled by, is the one the proxy saw, never the proxy's own; the browser still gets a
//! `__Host-` Secure cookie and HSTS; and a forwarded-for header from anyone but a trusted proxy
//! changes nothing.

use app::{auth::functions::ListSessions, error::AppError};
use sqlx::PgPool;

use crate::support::{
    browser::Browser,
    nginx::{client_from, Nginx, PROXY_ADDR},
    orgs::{create_user, sign_in_as, PASSWORD},
    TestApp,
};

/// Two browsers on two machines, as far as anyone can tell; both on this one.
const CLIENT_A: &str = "127.0.0.2";
const CLIENT_B: &str = "127.0.0.4";
/// Somewhere on the internet, as a forged header claims.
const FORGED: &str = "203.0.113.9";

async fn behind_nginx() -> TestApp {
    TestApp::spawn_with(&[
        ("OPS_PUBLIC_URL", "https://ops.test"),
        ("OPS_TRUSTED_PROXIES", PROXY_ADDR),
    ])
    .await
}

/// The address the audit log recorded for the latest sign-in.
async fn audited_sign_in_address(app: &TestApp) -> Option<String> {
    let db = PgPool::connect(&app.db.url).await.unwrap();
    sqlx::query_scalar(
        "select host(ip) from audit_events where action = $1 order by occurred_at desc limit 1",
    )
    .bind(app::audit::AuditAction::SignIn.as_str())
    .fetch_one(&db)
    .await
    .unwrap()
}

#[tokio::test]
async fn through_nginx_the_recorded_address_is_the_one_nginx_saw() {
    let app = behind_nginx().await;
    let nginx = Nginx::start(app.addr).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "ada@example.com", true).await;

    // The client also forges the header, which nginx appends its own view to.
    let client = nginx.client(CLIENT_A, &[("x-forwarded-for", FORGED)]);
    let page = client
        .get(format!("{}/sign-in", nginx.base))
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-ops_session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }

    let mut b = Browser::through(&app, &nginx.base, client);
    b.open("/sign-in").await;
    b.ok(sign_in_as("ada@example.com", PASSWORD)).await;
    let sessions = b.ok(ListSessions {}).await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].ip, CLIENT_A, "not nginx's {PROXY_ADDR}");
    assert_eq!(
        audited_sign_in_address(&app).await.as_deref(),
        Some(CLIENT_A)
    );
}

#[tokio::test]
async fn failed_sign_ins_from_one_client_behind_nginx_do_not_lock_out_another() {
    let app = behind_nginx().await;
    let nginx = Nginx::start(app.addr).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "ada@example.com", true).await;
    create_user(&db, "ben@example.com", true).await;

    let mut a = Browser::through(&app, &nginx.base, nginx.client(CLIENT_A, &[]));
    a.open("/sign-in").await;
    // Unknown accounts, each once, so only the per-address limit can lock.
    let limit = app::throttle::SIGN_IN_IP.free_failures + 1;
    let mut locked = false;
    for n in 0..=limit {
        match a
            .err(sign_in_as(&format!("nobody{n}@example.com"), "wrong"))
            .await
        {
            AppError::BadCredentials => {}
            AppError::Throttled(_) => {
                locked = true;
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(locked, "client A is throttled after {limit} failures");
    assert!(matches!(
        a.err(sign_in_as("ada@example.com", PASSWORD)).await,
        AppError::Throttled(_)
    ));

    let mut b = Browser::through(&app, &nginx.base, nginx.client(CLIENT_B, &[]));
    b.open("/sign-in").await;
    b.ok(sign_in_as("ben@example.com", PASSWORD)).await;
    assert_eq!(
        b.current_user().await.map(|u| u.email).as_deref(),
        Some("ben@example.com"),
        "client B is not locked out by client A"
    );
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_change_nothing() {
    // Trusting nginx's address only; this client connects from another one.
    let app = behind_nginx().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "ada@example.com", true).await;
    let forged_for = format!("for={FORGED}");
    let client = client_from(
        CLIENT_A,
        &[("x-forwarded-for", FORGED), ("forwarded", &forged_for)],
    )
    .build()
    .unwrap();
    let mut b = Browser::through(&app, &app.base, client);
    b.open("/sign-in").await;
    b.ok(sign_in_as("ada@example.com", PASSWORD)).await;
    let sessions = b.ok(ListSessions {}).await;
    assert_eq!(sessions[0].ip, CLIENT_A);
    assert_eq!(
        audited_sign_in_address(&app).await.as_deref(),
        Some(CLIENT_A)
    );
}
