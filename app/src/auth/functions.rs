//! Account server functions. Each changes state only by POST, behind the CSRF layer.

use leptos::prelude::*;

use super::{client::CsrfClient, error::AuthError, MailboxEmail, UserSummary};

#[cfg(feature = "ssr")]
use {
    super::{password::Verified, ssr::*},
    crate::domain::{EmailAddress, NewPassword, PersonName},
    secrecy::SecretString,
    serde_json::json,
};

#[server(endpoint = "auth/sign_up", client = CsrfClient)]
pub async fn sign_up(name: String, email: String, password: String) -> Result<(), AuthError> {
    let name = PersonName::parse(&name).map_err(|e| AuthError::invalid("name", e))?;
    let email = EmailAddress::parse(&email).map_err(|e| AuthError::invalid("email", e))?;
    let password =
        NewPassword::parse(&password, &email).map_err(|e| AuthError::invalid("password", e))?;
    let svc = services()?;
    let meta = request_meta();
    check_throttle(&svc.pool, SIGN_UP_IP, &meta.ip_key()).await?;
    record_failure(&svc.pool, SIGN_UP_IP, &meta.ip_key()).await?;

    // Hash first, whether or not the address is taken, so both cases cost the same.
    let hash = svc
        .hasher
        .hash(&SecretString::from(password.into_inner()))
        .await
        .to_string();
    let mut tx = svc.pool.begin().await?;
    let created = sqlx::query_scalar!(
        "insert into users (email, name, password_hash) values ($1, $2, $3)
         on conflict (email) do nothing returning user_id",
        email.as_str() as _,
        name.as_str(),
        hash
    )
    .fetch_optional(&mut *tx)
    .await?;
    match created {
        Some(user_id) => {
            let token = issue_token(&mut tx, user_id, TokenPurpose::VerifyEmail).await?;
            let link = format!("{}/verify-email?token={token}", svc.public_url);
            enqueue_email(
                &mut tx,
                action_email(
                    email.as_str(),
                    "Confirm your email address for Ops Intel",
                    name.as_str(),
                    &["Thanks for signing up. Confirm your email address to start using Ops Intel.",
                      "The link works once and expires in 24 hours."],
                    "Confirm my email address",
                    &link,
                ),
            )
            .await?;
            audit(&mut *tx, Some(user_id), "account.sign_up", &meta, json!({})).await?;
        }
        None => {
            // The page says the same either way; the owner of the address hears about it.
            enqueue_email(
                &mut tx,
                action_email(
                    email.as_str(),
                    "Someone tried to sign up with your email address",
                    "there",
                    &["Someone tried to create an Ops Intel account with this email address, which \
                       already has one. If it was you, sign in instead. If not, you can ignore this email."],
                    "Sign in",
                    &format!("{}/sign-in", svc.public_url),
                ),
            )
            .await?;
        }
    }
    tx.commit().await?;
    leptos_axum::redirect("/check-email");
    Ok(())
}

#[server(endpoint = "auth/sign_in", client = CsrfClient)]
pub async fn sign_in(email: String, password: String) -> Result<(), AuthError> {
    let svc = services()?;
    let meta = request_meta();
    let account_key = email.trim().to_lowercase();
    check_throttle(&svc.pool, SIGN_IN_IP, &meta.ip_key()).await?;
    check_throttle(&svc.pool, SIGN_IN_ACCOUNT, &account_key).await?;

    let user = sqlx::query!(
        // The cast keeps the comparison case-insensitive whatever type the driver binds.
        "select user_id, password_hash from users where email = $1::text::citext",
        email.trim() as _
    )
    .fetch_optional(&svc.pool)
    .await?;
    let password = SecretString::from(password);
    let verdict = svc
        .hasher
        .verify(&password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await;
    match (verdict, user) {
        (Verified::Yes { needs_rehash }, Some(user)) => {
            if needs_rehash {
                let new_hash = svc.hasher.hash(&password).await.to_string();
                // Only if nothing changed the hash meanwhile.
                sqlx::query!(
                    "update users set password_hash = $1 where user_id = $2 and password_hash = $3",
                    new_hash,
                    user.user_id,
                    user.password_hash
                )
                .execute(&svc.pool)
                .await?;
            }
            clear_throttle(&svc.pool, SIGN_IN_ACCOUNT, &account_key).await?;
            start_session(&session().await?, user.user_id).await?;
            audit(
                &svc.pool,
                Some(user.user_id),
                "auth.sign_in",
                &meta,
                json!({ "rehashed": needs_rehash }),
            )
            .await?;
            leptos_axum::redirect("/account");
            Ok(())
        }
        (_, user) => {
            record_failure(&svc.pool, SIGN_IN_ACCOUNT, &account_key).await?;
            record_failure(&svc.pool, SIGN_IN_IP, &meta.ip_key()).await?;
            audit(
                &svc.pool,
                user.map(|u| u.user_id),
                "auth.sign_in_failed",
                &meta,
                json!({ "email": account_key.chars().take(254).collect::<String>() }),
            )
            .await?;
            Err(AuthError::BadCredentials)
        }
    }
}

#[server(endpoint = "auth/sign_out", client = CsrfClient)]
pub async fn sign_out() -> Result<(), AuthError> {
    let svc = services()?;
    let session = session().await?;
    let user = signed_in_user(&session, svc.session_absolute).await?;
    session.flush().await?;
    if let Some(user_id) = user {
        audit(
            &svc.pool,
            Some(user_id),
            "auth.sign_out",
            &request_meta(),
            json!({}),
        )
        .await?;
    }
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "auth/verify_email", client = CsrfClient)]
pub async fn verify_email(token: String) -> Result<(), AuthError> {
    let svc = services()?;
    let mut tx = svc.pool.begin().await?;
    let user_id = redeem_token(&mut tx, &token, TokenPurpose::VerifyEmail).await?;
    sqlx::query!(
        "update users set email_verified_at = coalesce(email_verified_at, now()) where user_id = $1",
        user_id
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut *tx,
        Some(user_id),
        "account.email_verified",
        &request_meta(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    // Verifying proves control of the mailbox, not of the account: it never signs anyone in.
    let signed_in = signed_in_user(&session().await?, svc.session_absolute).await?;
    leptos_axum::redirect(if signed_in == Some(user_id) {
        "/account"
    } else {
        "/sign-in?verified=1"
    });
    Ok(())
}

#[server(endpoint = "auth/resend_verification", client = CsrfClient)]
pub async fn resend_verification() -> Result<(), AuthError> {
    let svc = services()?;
    let user_id = signed_in_user(&session().await?, svc.session_absolute)
        .await?
        .ok_or(AuthError::NotSignedIn)?;
    check_throttle(&svc.pool, RESEND, &user_id.to_string()).await?;
    record_failure(&svc.pool, RESEND, &user_id.to_string()).await?;
    let user = sqlx::query!(
        "select email::text as \"email!\", name, email_verified_at from users where user_id = $1",
        user_id
    )
    .fetch_one(&svc.pool)
    .await?;
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let mut tx = svc.pool.begin().await?;
    let token = issue_token(&mut tx, user_id, TokenPurpose::VerifyEmail).await?;
    let link = format!("{}/verify-email?token={token}", svc.public_url);
    enqueue_email(
        &mut tx,
        action_email(
            &user.email,
            "Confirm your email address for Ops Intel",
            &user.name,
            &[
                "Here is a new link to confirm your email address. Earlier links no longer work.",
                "The link works once and expires in 24 hours.",
            ],
            "Confirm my email address",
            &link,
        ),
    )
    .await?;
    audit(
        &mut *tx,
        Some(user_id),
        "account.verification_resent",
        &request_meta(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The signed-in user, or `None`. Reads only.
#[server(endpoint = "auth/current_user", client = CsrfClient)]
pub async fn current_user() -> Result<Option<UserSummary>, AuthError> {
    let svc = services()?;
    let Some(user_id) = signed_in_user(&session().await?, svc.session_absolute).await? else {
        return Ok(None);
    };
    let user = sqlx::query!(
        "select name, email::text as \"email!\", email_verified_at is not null as \"verified!\" from users where user_id = $1",
        user_id
    )
    .fetch_optional(&svc.pool)
    .await?;
    Ok(user.map(|u| UserSummary {
        name: u.name,
        email: u.email,
        verified: u.verified,
    }))
}

/// Development only: the latest emails, as they would have been sent.
#[server(endpoint = "dev/mailbox", client = CsrfClient)]
pub async fn dev_mailbox() -> Result<Vec<MailboxEmail>, AuthError> {
    let svc = services()?;
    if !svc.dev_mailbox {
        return Err(AuthError::NotFound);
    }
    let rows = sqlx::query!(
        "select to_address, subject, text_body, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') as \"created_at!\"
         from email_outbox order by email_id desc limit 50"
    )
    .fetch_all(&svc.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MailboxEmail {
            to: r.to_address,
            subject: r.subject,
            text_body: r.text_body,
            created_at: r.created_at,
        })
        .collect())
}
