//! A change of credentials ends every way back in: links asked for before it stop working, and
//! an email change ends the account's other sessions.

use app::{
    auth::{
        forms::{ChangeEmailForm, ChangePasswordForm, ResetPasswordForm},
        functions::{
            ChangeEmail, ChangePassword, ConfirmEmailChange, ForgotPassword, ResetPassword,
        },
    },
    error::AppError,
};
use sqlx::PgPool;

use crate::support::{
    browser::Browser,
    orgs::{create_user, sign_in, PASSWORD},
    TestApp,
};

/// The token of the latest link sent to `to`.
async fn token_sent_to(db: &PgPool, to: &str) -> String {
    let body: String = sqlx::query_scalar(
        "select text_body from email_outbox where to_address = $1 order by email_id desc limit 1",
    )
    .bind(to)
    .fetch_one(db)
    .await
    .unwrap();
    let start = body.find("token=").expect("a link with a token") + "token=".len();
    body[start..].split_whitespace().next().unwrap().to_string()
}

fn change_email_to(new_email: &str) -> ChangeEmail {
    ChangeEmail {
        form: ChangeEmailForm {
            new_email: new_email.into(),
        },
    }
}

/// Someone who phished the password asks to move the account to their own address.
pub(crate) async fn attacker_asks_to_move_the_account(app: &TestApp, db: &PgPool) -> String {
    let mut attacker = sign_in(app, "victim@example.com").await;
    attacker.open("/account").await;
    attacker.ok(change_email_to("attacker@evil.example")).await;
    token_sent_to(db, "attacker@evil.example").await
}

pub(crate) async fn confirm(app: &TestApp, token: String) -> Result<(), AppError> {
    let mut b = Browser::new(app);
    b.open("/confirm-email-change").await;
    let (status, body) = b.call_fn(ConfirmEmailChange { token }).await;
    if status.is_success() || status.is_redirection() {
        Ok(())
    } else {
        Err(serde_json::from_str(&body).unwrap())
    }
}

#[tokio::test]
async fn a_password_reset_retires_a_pending_email_change() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "victim@example.com", true).await;
    let stolen_way_back = attacker_asks_to_move_the_account(&app, &db).await;

    let mut victim = Browser::new(&app);
    victim.open("/forgot-password").await;
    victim
        .ok(ForgotPassword {
            email: "victim@example.com".into(),
        })
        .await;
    let reset = token_sent_to(&db, "victim@example.com").await;
    victim.open("/reset-password").await;
    victim
        .ok(ResetPassword {
            form: ResetPasswordForm {
                token: reset,
                password: "a brand new pass phrase".into(),
            },
        })
        .await;

    assert_eq!(
        confirm(&app, stolen_way_back).await,
        Err(AppError::BadToken)
    );
}

#[tokio::test]
async fn a_password_change_retires_a_pending_email_change() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "victim@example.com", true).await;
    let stolen_way_back = attacker_asks_to_move_the_account(&app, &db).await;

    let mut victim = sign_in(&app, "victim@example.com").await;
    victim.open("/account").await;
    victim
        .ok(ChangePassword {
            form: ChangePasswordForm {
                current_password: PASSWORD.into(),
                new_password: "a brand new pass phrase".into(),
            },
        })
        .await;

    assert_eq!(
        confirm(&app, stolen_way_back).await,
        Err(AppError::BadToken)
    );
}

#[tokio::test]
async fn an_email_change_retires_earlier_links_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "dee@example.com", true).await;
    let mut laptop = sign_in(&app, "dee@example.com").await;
    let mut phone = sign_in(&app, "dee@example.com").await;

    // A reset link went to the old address before the change.
    let mut anyone = Browser::new(&app);
    anyone.open("/forgot-password").await;
    anyone
        .ok(ForgotPassword {
            email: "dee@example.com".into(),
        })
        .await;
    let reset = token_sent_to(&db, "dee@example.com").await;

    laptop.open("/account").await;
    laptop.ok(change_email_to("dee@new.example")).await;
    let token = token_sent_to(&db, "dee@new.example").await;
    laptop.open("/confirm-email-change").await;
    laptop.ok(ConfirmEmailChange { token }).await;

    assert_eq!(
        laptop.current_user().await.map(|u| u.email).as_deref(),
        Some("dee@new.example"),
        "the browser that confirmed stays signed in"
    );
    assert_eq!(
        phone.current_user().await,
        None,
        "the others are signed out"
    );
    anyone.open("/reset-password").await;
    assert_eq!(
        anyone
            .err(ResetPassword {
                form: ResetPasswordForm {
                    token: reset,
                    password: "a brand new pass phrase".into(),
                },
            })
            .await,
        AppError::BadToken,
        "the link sent to the old address no longer works"
    );
}
