//! Guessing passwords: every attempt is counted before the password is checked, a guesser locks
//! only themselves out, the password checks of a signed-in user are throttled too, and a flood
//! of checks is told to come back rather than queue without end.

use std::net::{IpAddr, Ipv4Addr};

use app::{
    auth::{
        forms::ChangePasswordForm,
        functions::{ChangePassword, DeleteAccount},
    },
    error::AppError,
};
use futures::future::join_all;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::support::{
    browser::Browser,
    orgs::{create_user, sign_in, sign_in_as, PASSWORD},
    TestApp,
};

fn error_of(body: &str) -> AppError {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"))
}

async fn failures(db: &PgPool, scope: &str) -> Vec<i32> {
    sqlx::query_scalar("select failures from auth_throttle where scope = $1")
        .bind(scope)
        .fetch_all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn parallel_guesses_are_each_counted_and_the_lock_holds_even_against_the_right_password() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "owner@example.com", true).await;
    let mut b = Browser::new(&app);
    b.open("/sign-in").await;

    let guesses = (0..8).map(|_| {
        let mut b = b.clone();
        async move {
            b.call_fn(sign_in_as("owner@example.com", "a wrong guess"))
                .await
        }
    });
    let answers = join_all(guesses).await;
    let refused_as_wrong = answers
        .iter()
        .filter(|(status, body)| {
            *status == StatusCode::UNAUTHORIZED && error_of(body) == AppError::BadCredentials
        })
        .count();
    let throttled = answers
        .iter()
        .filter(|(status, body)| {
            *status == StatusCode::TOO_MANY_REQUESTS
                && matches!(error_of(body), AppError::Throttled(_))
        })
        .count();
    assert_eq!(
        (refused_as_wrong, throttled),
        (5, 3),
        "five guesses are checked, the rest refused unchecked: {answers:?}"
    );
    assert_eq!(failures(&db, "sign_in_account_ip").await, [5]);

    let error = b.err(sign_in_as("owner@example.com", PASSWORD)).await;
    assert!(
        matches!(error, AppError::Throttled(_)),
        "locked, even for the right password: {error:?}"
    );
}

#[tokio::test]
async fn guesses_from_one_address_do_not_lock_the_owner_out_elsewhere() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "owner@example.com", true).await;
    let mut guesser = Browser::from_address(&app, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    guesser.open("/sign-in").await;
    for _ in 0..8 {
        guesser
            .call_fn(sign_in_as("owner@example.com", "a wrong guess"))
            .await;
    }
    let error = guesser
        .err(sign_in_as("owner@example.com", "a wrong guess"))
        .await;
    assert!(matches!(error, AppError::Throttled(_)), "{error:?}");

    let mut owner = sign_in(&app, "owner@example.com").await;
    assert_eq!(
        owner.current_user().await.map(|u| u.email).as_deref(),
        Some("owner@example.com"),
        "the owner, at another address, signs in"
    );
}

#[tokio::test]
async fn a_signed_in_session_cannot_be_used_to_guess_the_password() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "owner@example.com", true).await;
    let mut b = sign_in(&app, "owner@example.com").await;
    b.open("/account").await;
    let change = |current: &str| ChangePassword {
        form: ChangePasswordForm {
            current_password: current.into(),
            new_password: "a brand new pass phrase".into(),
        },
    };
    for _ in 0..5 {
        assert_eq!(
            b.err(change("a wrong guess")).await,
            AppError::invalid("current_password", "Your current password is not correct.")
        );
    }
    let error = b.err(change(PASSWORD)).await;
    assert!(matches!(error, AppError::Throttled(_)), "{error:?}");
    let error = b
        .err(DeleteAccount {
            password: PASSWORD.into(),
        })
        .await;
    assert!(
        matches!(error, AppError::Throttled(_)),
        "re-authentication shares the count: {error:?}"
    );
}

#[tokio::test]
async fn what_is_typed_as_an_address_is_not_stored_unless_it_is_one() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let mut b = Browser::new(&app);
    b.open("/sign-in").await;
    // Someone typed their password into the email field.
    assert_eq!(
        b.err(sign_in_as("Correct Horse Battery", "Correct Horse Battery"))
            .await,
        AppError::BadCredentials
    );
    let stored: i64 = sqlx::query_scalar(
        "select (select count(*) from auth_throttle where key ilike '%horse%')
              + (select count(*) from audit_events where details::text ilike '%horse%')",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(stored, 0);
    let recorded: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'auth.sign_in_failed'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(recorded, 1, "the failure itself is recorded");
}

#[tokio::test]
async fn a_flood_of_password_checks_is_told_to_come_back_rather_than_queued_without_end() {
    let app = TestApp::spawn().await;
    // From as many addresses, for as many accounts, so no throttle stands in the way.
    let mut browsers = Vec::new();
    for i in 1..=40u8 {
        let mut b = Browser::from_address(&app, IpAddr::V4(Ipv4Addr::new(127, 0, 1, i)));
        b.open("/sign-in").await;
        browsers.push((i, b));
    }
    let attempts = browsers.into_iter().map(|(i, mut b)| async move {
        let answer = b
            .call_fn(sign_in_as(&format!("nobody{i}@example.com"), "a guess"))
            .await;
        (answer, b.last_retry_after.clone())
    });
    let answers = join_all(attempts).await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|((status, _), _)| *status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "some are turned away: {answers:?}");
    for ((_, body), retry_after) in &busy {
        assert_eq!(error_of(body), AppError::Busy);
        assert_eq!(retry_after.as_deref(), Some("2"), "and told when to return");
    }
    for ((status, body), _) in &answers {
        assert!(
            *status == StatusCode::SERVICE_UNAVAILABLE || *status == StatusCode::UNAUTHORIZED,
            "{status} {body}"
        );
    }
}
