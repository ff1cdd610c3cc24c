//! Commitments 3, 4 and 5 against the real server: sign-up, verification, sign-in and sign-out;
//! session cookies and their rotation; CSRF on every server function.

use crate::support::{browser::Browser, orgs::sign_in_as, TestApp};
use app::{
    auth::{
        forms::{ChangeEmailForm, ChangePasswordForm, ResetPasswordForm, SignUpForm},
        functions::{
            ChangeEmail, ChangePassword, ConfirmEmailChange, DeleteAccount, EndSession,
            ForgotPassword, ListSessions, ResetPassword, SignOut, SignUp, VerifyEmail,
        },
        UserSummary,
    },
    domain::password::PasswordError,
    error::AppError,
};
use reqwest::StatusCode;
use sqlx::PgPool;

async fn pool(app: &TestApp) -> PgPool {
    PgPool::connect(&app.db.url).await.unwrap()
}

/// Tables a refused request must leave exactly as they were.
async fn row_counts(pool: &PgPool) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "users",
        "email_tokens",
        "email_outbox",
        "audit_events",
        "auth_throttle",
        "tower_sessions.session",
    ] {
        counts.push(
            sqlx::query_scalar(&format!("select count(*) from {table}"))
                .fetch_one(pool)
                .await
                .unwrap(),
        );
    }
    counts
}

async fn sign_up(b: &mut Browser<'_>, email: &str, password: &str) {
    b.open("/sign-up").await;
    b.ok(SignUp {
        form: SignUpForm {
            name: "Robin Example".into(),
            email: email.into(),
            password: password.into(),
            time_zone: "Europe/Paris".into(),
        },
    })
    .await;
}

/// The address the browser is signed in with, if any.
async fn signed_in_address(b: &mut Browser<'_>) -> Option<String> {
    b.current_user().await.map(|user| user.email)
}

#[tokio::test]
async fn sign_up_verify_sign_in_and_sign_out() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let mut b = Browser::new(&app);
    sign_up(&mut b, "robin@example.com", "tangerine lighthouse").await;

    // Signed in but unverified: the account says so.
    b.ok(sign_in_as("ROBIN@example.com", "tangerine lighthouse"))
        .await;
    let robin = |verified| UserSummary {
        name: "Robin Example".into(),
        email: "robin@example.com".into(),
        verified,
    };
    assert_eq!(b.current_user().await, Some(robin(false)));

    let token = token_in(&latest_email(&db, "robin@example.com").await.1);
    b.open("/verify-email").await;
    b.ok(VerifyEmail {
        token: token.clone(),
    })
    .await;
    assert_eq!(b.current_user().await, Some(robin(true)));
    assert_eq!(
        b.err(VerifyEmail { token }).await,
        AppError::BadToken,
        "a link works once"
    );

    b.ok(SignOut {}).await;
    b.open("/sign-in").await;
    assert_eq!(b.current_user().await, None);

    let actions: Vec<String> =
        sqlx::query_scalar("select action from audit_events order by audit_event_id")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        actions,
        [
            "account.sign_up",
            "auth.sign_in",
            "account.email_verified",
            "auth.sign_out"
        ]
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_accounts_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    sign_up(&mut b, "sam@example.com", "tangerine lighthouse").await;
    b.open("/sign-in").await;
    let wrong = b
        .call_fn(sign_in_as("sam@example.com", "not the password"))
        .await;
    let unknown = b
        .call_fn(sign_in_as("nobody@example.com", "not the password"))
        .await;
    // Compared as sent, byte for byte: any difference would tell which addresses have accounts.
    assert_eq!(wrong, unknown);
    let error: AppError = serde_json::from_str(&wrong.1).unwrap();
    assert_eq!(
        (wrong.0, error),
        (StatusCode::UNAUTHORIZED, AppError::BadCredentials)
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    b.open("/sign-in").await;
    for _ in 0..6 {
        b.call_fn(sign_in_as("target@example.com", "guess guess guess"))
            .await;
    }
    let error = b
        .err(sign_in_as("Target@Example.com", "guess guess guess"))
        .await;
    assert!(matches!(error, AppError::Throttled(_)), "{error:?}");
}

#[tokio::test]
async fn django_hashes_are_upgraded_on_sign_in_and_untouched_by_failures() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let old = "pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=";
    sqlx::query(
        "insert into users (email, name, password_hash) values ('django@example.com', 'Dj', $1)",
    )
    .bind(old)
    .execute(&db)
    .await
    .unwrap();
    let stored = || async {
        sqlx::query_scalar::<_, String>("select password_hash from users")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    let mut b = Browser::new(&app);
    b.open("/sign-in").await;
    assert_eq!(
        b.err(sign_in_as("django@example.com", "letmein")).await,
        AppError::BadCredentials
    );
    assert_eq!(stored().await, old, "a failed sign-in leaves the row alone");
    b.ok(sign_in_as("django@example.com", "lètmein")).await;
    let upgraded = stored().await;
    assert!(upgraded.starts_with("pbkdf2_sha256$1000000$"), "{upgraded}");
    assert_eq!(
        upgraded.split('$').nth(2).unwrap().len(),
        22,
        "a fresh 22-character salt"
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_host_only() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    b.open("/sign-in").await;
    let set = b
        .last_set_cookie
        .clone()
        .expect("a page load starts a session");
    // The test server's public URL is plain http on a non-local host, so Secure applies too.
    assert!(set.starts_with("__Host-ops_session="), "{set}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(set.contains(attribute), "{attribute} missing from {set}");
    }
    assert!(
        !set.to_ascii_lowercase().contains("domain="),
        "host-only: {set}"
    );
}

#[tokio::test]
async fn sign_in_rotates_the_session_id_and_sign_out_ends_it() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    sign_up(&mut b, "kim@example.com", "tangerine lighthouse").await;
    b.open("/sign-in").await;
    let before = b.cookie.clone().unwrap();
    b.ok(sign_in_as("kim@example.com", "tangerine lighthouse"))
        .await;
    let signed_in = b.cookie.clone().unwrap();
    assert_ne!(before, signed_in, "a new session id at sign-in");

    // The pre-sign-in cookie, replayed, is unknown: the server starts a new, anonymous session.
    let mut attacker = Browser::new(&app);
    attacker.cookie = Some(before.clone());
    attacker.open("/sign-in").await;
    assert_ne!(attacker.cookie.as_deref(), Some(before.as_str()));
    assert_eq!(attacker.current_user().await, None);

    b.ok(SignOut {}).await;
    let mut replay = Browser::new(&app);
    replay.cookie = Some(signed_in.clone());
    replay.open("/sign-in").await;
    assert_ne!(
        replay.cookie.as_deref(),
        Some(signed_in.as_str()),
        "the old id is unknown"
    );
    assert_eq!(
        replay.current_user().await,
        None,
        "a signed-out cookie is worthless"
    );
}

#[tokio::test]
async fn every_server_function_refuses_a_request_without_a_valid_csrf_token() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let mut b = Browser::new(&app);
    b.open("/sign-in").await;
    let paths: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(
        paths.len() >= 7,
        "the registry lists the server functions: {paths:?}"
    );
    let before = row_counts(&db).await;
    for (path, method) in paths {
        assert_ne!(method, reqwest::Method::GET, "{path} must not use GET");
        let endpoint = path.trim_start_matches("/api/");
        let fields = [
            ("email", "a@b.co"),
            ("password", "tangerine lighthouse"),
            ("name", "X"),
            ("token", "t"),
        ];
        let (missing, _) = b.raw_post(endpoint, &fields, &[]).await;
        assert_eq!(missing, StatusCode::FORBIDDEN, "{path} without a token");
        let mut wrong = fields.to_vec();
        wrong.push(("csrf_token", "not-the-token"));
        let (status, body) = b.raw_post(endpoint, &wrong, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} with a wrong token");
        assert!(body.contains("Reload the page"), "a clear message: {body}");
    }
    assert_eq!(
        row_counts(&db).await,
        before,
        "refused requests change nothing"
    );
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused_even_with_the_token() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let mut b = Browser::new(&app);
    b.open("/sign-up").await;
    let token = b.token.clone();
    // A raw form, so each post can carry the headers another site's page would add.
    let form = [
        ("form[name]", "Eve"),
        ("form[email]", "eve@example.com"),
        ("form[password]", "tangerine lighthouse"),
        ("csrf_token", token.as_str()),
    ];
    let before = row_counts(&db).await;
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example")],
    ] {
        let (status, body) = b.raw_post("auth/sign_up", &form, &headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(body.contains("another site"), "{body}");
    }
    assert_eq!(row_counts(&db).await, before);
    let (status, _) = b
        .raw_post(
            "auth/sign_up",
            &form,
            &[
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://ops.test"),
            ],
        )
        .await;
    assert!(
        status.is_success() || status.is_redirection(),
        "our own pages still work: {status}"
    );
}

async fn signed_in_browser<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let mut b = Browser::new(app);
    b.open("/sign-in").await;
    b.ok(sign_in_as(email, "tangerine lighthouse")).await;
    b.open("/account").await;
    b
}

#[tokio::test]
async fn a_password_reset_ends_every_session_and_its_link_works_once() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let mut setup = Browser::new(&app);
    sign_up(&mut setup, "lee@example.com", "tangerine lighthouse").await;
    let mut laptop = signed_in_browser(&app, "lee@example.com").await;
    let mut phone = signed_in_browser(&app, "lee@example.com").await;
    assert_eq!(
        signed_in_address(&mut laptop).await.as_deref(),
        Some("lee@example.com")
    );

    let mut anon = Browser::new(&app);
    anon.open("/forgot-password").await;
    let forgot = |email: &str| ForgotPassword {
        email: email.into(),
    };
    let unknown = anon.call_fn(forgot("nobody@example.com")).await;
    let known = anon.call_fn(forgot("LEE@example.com")).await;
    assert_eq!(unknown, known, "the answer does not reveal accounts");

    let token = token_in(&latest_email(&db, "lee@example.com").await.1);
    let reset = |password: &str| ResetPassword {
        form: ResetPasswordForm {
            token: token.clone(),
            password: password.into(),
        },
    };
    anon.open("/reset-password").await;
    assert_eq!(
        anon.err(reset("password123")).await,
        AppError::invalid("password", PasswordError::Common)
    );
    anon.ok(reset("a brand new pass phrase")).await;
    anon.open("/reset-password").await;
    assert_eq!(
        anon.err(reset("another new pass phrase")).await,
        AppError::BadToken
    );

    assert_eq!(laptop.current_user().await, None, "old sessions end");
    assert_eq!(phone.current_user().await, None);
    let mut fresh = Browser::new(&app);
    fresh.open("/sign-in").await;
    fresh
        .ok(sign_in_as("lee@example.com", "a brand new pass phrase"))
        .await;
}

#[tokio::test]
async fn sessions_are_listed_and_can_be_ended_but_only_ones_own() {
    let app = TestApp::spawn().await;
    let mut setup = Browser::new(&app);
    sign_up(&mut setup, "ana@example.com", "tangerine lighthouse").await;
    sign_up(&mut setup, "ben@example.com", "tangerine lighthouse").await;
    let mut ana_laptop = signed_in_browser(&app, "ana@example.com").await;
    let mut ana_phone = signed_in_browser(&app, "ana@example.com").await;
    let mut ben = signed_in_browser(&app, "ben@example.com").await;

    let sessions = ana_laptop.ok(ListSessions {}).await;
    assert_eq!(sessions.len(), 2);
    let other = sessions.iter().find(|s| !s.current).unwrap().id.clone();

    assert_eq!(
        ben.err(EndSession { id: other.clone() }).await,
        AppError::NotFound,
        "another user's session is not found"
    );
    let ana = Some("ana@example.com");
    assert_eq!(signed_in_address(&mut ana_phone).await.as_deref(), ana);

    ana_laptop.ok(EndSession { id: other }).await;
    assert_eq!(ana_phone.current_user().await, None);
    assert_eq!(signed_in_address(&mut ana_laptop).await.as_deref(), ana);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let mut setup = Browser::new(&app);
    sign_up(&mut setup, "cy@example.com", "tangerine lighthouse").await;
    let mut here = signed_in_browser(&app, "cy@example.com").await;
    let mut elsewhere = signed_in_browser(&app, "cy@example.com").await;
    let change = |current: &str| ChangePassword {
        form: ChangePasswordForm {
            current_password: current.into(),
            new_password: "a brand new pass phrase".into(),
        },
    };
    assert_eq!(
        here.err(change("not it at all")).await,
        AppError::invalid("current_password", "Your current password is not correct.")
    );
    here.ok(change("tangerine lighthouse")).await;
    assert_eq!(
        signed_in_address(&mut here).await.as_deref(),
        Some("cy@example.com"),
        "this session stays"
    );
    assert_eq!(elsewhere.current_user().await, None, "the others end");
}

async fn latest_email(pool: &PgPool, to: &str) -> (String, String) {
    sqlx::query_as("select subject, text_body from email_outbox where to_address = $1 order by email_id desc limit 1")
        .bind(to)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn token_in(body: &str) -> String {
    let start = body.find("token=").expect("a link with a token") + 6;
    body[start..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test]
async fn an_email_change_takes_effect_only_from_the_new_address_and_tells_the_old_one() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let mut setup = Browser::new(&app);
    sign_up(&mut setup, "dee@example.com", "tangerine lighthouse").await;
    sign_up(&mut setup, "taken@example.com", "tangerine lighthouse").await;
    let mut b = signed_in_browser(&app, "dee@example.com").await;

    let change = |new_email: &str| ChangeEmail {
        form: ChangeEmailForm {
            new_email: new_email.into(),
        },
    };
    // Signing in just now proves who asks (the rule is tested in two_factor.rs).
    // A taken address gets the same answer as a free one; only its owner hears about it.
    b.ok(change("taken@example.com")).await;
    assert_eq!(
        latest_email(&db, "taken@example.com").await.0,
        "Someone tried to move an Ops Intel account to your address"
    );

    b.ok(change("dee@new.example")).await;
    assert_eq!(
        signed_in_address(&mut b).await.as_deref(),
        Some("dee@example.com"),
        "nothing changes before the link is opened"
    );
    let token = token_in(&latest_email(&db, "dee@new.example").await.1);
    b.open("/confirm-email-change").await;
    b.ok(ConfirmEmailChange { token }).await;
    assert_eq!(
        signed_in_address(&mut b).await.as_deref(),
        Some("dee@new.example")
    );
    assert_eq!(
        latest_email(&db, "dee@example.com").await.0,
        "Your Ops Intel email address was changed"
    );
}

#[tokio::test]
async fn deleting_an_account_needs_the_password_and_leaves_an_audit_record() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let mut setup = Browser::new(&app);
    sign_up(&mut setup, "eve@example.com", "tangerine lighthouse").await;
    let mut b = signed_in_browser(&app, "eve@example.com").await;
    let delete = |password: &str| DeleteAccount {
        password: password.into(),
    };
    assert_eq!(
        b.err(delete("not my password")).await,
        AppError::invalid("password", "Your password is not correct.")
    );
    let users = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from users")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(users().await, 1);
    b.ok(delete("tangerine lighthouse")).await;
    assert_eq!(users().await, 0);
    let sessions: i64 = sqlx::query_scalar("select count(*) from user_sessions")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    // The deletion is recorded, naming no one.
    let deleted: Vec<(Option<String>, serde_json::Value)> = sqlx::query_as(
        "select host(ip), details from audit_events where action = 'account.deleted'",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].0, None, "no address is kept");
    assert!(
        !deleted[0].1.to_string().contains("eve@"),
        "{}",
        deleted[0].1
    );
}

#[tokio::test]
async fn a_server_function_that_declares_nothing_has_its_response_withheld() {
    use axum::{body::Body, http::Request, routing::post, Router};
    use tower::ServiceExt as _;
    let undeclared = Router::new()
        .route("/api/forgetful", post(|| async { "secret data" }))
        .layer(axum::middleware::from_fn_with_state(
            None,
            server::access_guard::require_declared_access,
        ));
    let res = undeclared
        .oneshot(Request::post("/api/forgetful").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers().contains_key("x-access-undeclared"));
    let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
    assert!(!String::from_utf8_lossy(&body).contains("secret data"));
}

#[tokio::test]
async fn a_reset_request_does_the_same_work_whether_or_not_the_address_has_an_account() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let mut setup = Browser::new(&app);
    sign_up(&mut setup, "lee@example.com", "tangerine lighthouse").await;
    let outbox = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from email_outbox")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    let requests = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from audit_events where action = 'auth.password_reset_requested'",
        )
        .fetch_one(&db)
        .await
        .unwrap()
    };
    let before = outbox().await;
    let mut anon = Browser::new(&app);
    anon.open("/forgot-password").await;
    anon.ok(ForgotPassword {
        email: "nobody@example.com".into(),
    })
    .await;
    assert_eq!(
        (outbox().await, requests().await),
        (before, 1),
        "no email for an unknown address, but its request is written all the same"
    );
    anon.ok(ForgotPassword {
        email: "lee@example.com".into(),
    })
    .await;
    assert_eq!((outbox().await, requests().await), (before + 1, 2));
}
