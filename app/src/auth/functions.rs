//! Account server functions. Each changes state only by POST, behind the CSRF layer.

use leptos::prelude::*;

use super::{
    client::CsrfClient,
    forms::{ChangeEmailForm, ChangePasswordForm, ResetPasswordForm, SignInForm, SignUpForm},
    MailboxEmail, SessionInfo, UserSummary,
};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::accounts::account_by_email,
    super::{
        device::describe_device,
        forms::{
            ChangeEmailInput, ChangePasswordInput, ResetPasswordInput, SignInInput, SignUpInput,
        },
        password::Verified,
        recent_proof::require_recent_proof,
        services::AuthServices,
        session::{end_sessions, session, signed_in, signed_in_user, start_session},
        tokens::{
            issue_token, issue_token_for, random_token, redeem_email_change, redeem_token,
            retire_unused, TokenPurpose,
        },
        two_factor,
    },
    crate::access::{self, Me},
    crate::audit::{record_account_event, AuditAction},
    crate::domain::{EmailAddress, NewPassword},
    crate::email::as_deliverer,
    crate::email::{action_email, enqueue_email, EmailKind},
    crate::request::request_meta,
    crate::tenancy::user_tx,
    crate::throttle::{
        attempt, clear_throttle, forgive, PASSWORD_CHECK_USER, RESEND, RESET_ACCOUNT, RESET_IP,
        SIGN_IN_ACCOUNT, SIGN_IN_ACCOUNT_IP, SIGN_IN_IP, SIGN_UP_IP,
    },
    secrecy::{ExposeSecret, SecretString},
    serde_json::json,
    tower_sessions::Session,
};

#[server(endpoint = "auth/sign_up", client = CsrfClient)]
pub async fn sign_up(form: SignUpForm) -> Result<(), AppError> {
    let svc = access::public()?;
    let input = SignUpInput::try_from(form)?;
    let (name, email) = (input.name(), input.email());
    let meta = request_meta();
    attempt(&svc.pool, SIGN_UP_IP, &meta.ip_key()).await?;

    // Hash first, whether or not the address is taken, so both cases cost the same.
    let hash = svc.hasher.hash(input.password()).await?.to_string();
    // The transaction acts for the account it may create, which is all row-level security lets
    // it write.
    let new_user = uuid::Uuid::new_v4();
    let mut tx = user_tx(&svc.pool, new_user).await?;
    let created = sqlx::query_scalar!(
        "insert into users (user_id, email, name, password_hash, time_zone) values ($1, $2, $3, $4, $5)
         on conflict (email) do nothing returning user_id",
        new_user,
        email.as_str() as _,
        name.as_str(),
        hash,
        input.zone().name()
    )
    .fetch_optional(&mut *tx)
    .await?;
    match created {
        Some(user_id) => {
            let intro =
                "Thanks for signing up. Confirm your email address to start using Ops Intel.";
            send_verification(&mut tx, &svc, user_id, email.as_str(), name.as_str(), intro).await?;
            record_account_event(
                &mut *tx,
                Some(user_id),
                AuditAction::AccountSignUp,
                &meta,
                json!({}),
            )
            .await?;
        }
        None => {
            // The page says the same either way; the owner of the address hears about it.
            enqueue_email(
                &mut tx,
                action_email(
                    EmailKind::SignUpAttempt,
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

/// Issues a fresh verification link (earlier ones stop working) and queues the email with it.
#[cfg(feature = "ssr")]
async fn send_verification(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    svc: &AuthServices,
    user_id: uuid::Uuid,
    to: &str,
    name: &str,
    intro: &str,
) -> Result<(), AppError> {
    let token = issue_token(tx, user_id, TokenPurpose::VerifyEmail).await?;
    let link = format!("{}/verify-email?token={token}", svc.public_url);
    let lines = [intro, "The link works once and expires in 24 hours."];
    let email = action_email(
        EmailKind::Verification,
        to,
        "Confirm your email address for Ops Intel",
        name,
        &lines,
        "Confirm my email address",
        &link,
    );
    enqueue_email(tx, email).await
}

#[server(endpoint = "auth/sign_in", client = CsrfClient)]
pub async fn sign_in(form: SignInForm) -> Result<(), AppError> {
    let svc = access::public()?;
    let input = SignInInput::from(form);
    let meta = request_meta();
    let (ip, account_key) = (meta.ip_key(), input.account_key());
    // Guesses at an account from one address lock only that address out of it; the owner,
    // elsewhere, meets only the account's own, much larger allowance. Each attempt is counted
    // before the password is checked, so parallel guesses cannot all slip past the count.
    let account_from_ip = format!("{account_key} from {ip}");
    attempt(&svc.pool, SIGN_IN_IP, &ip).await?;
    attempt(&svc.pool, SIGN_IN_ACCOUNT_IP, &account_from_ip).await?;
    attempt(&svc.pool, SIGN_IN_ACCOUNT, account_key).await?;

    let user = account_by_email(&svc.pool, input.email()).await?;
    let password = input.password();
    let forgive_attempt = || async {
        forgive(&svc.pool, SIGN_IN_ACCOUNT, account_key).await?;
        forgive(&svc.pool, SIGN_IN_IP, &ip).await
    };
    let verdict = match svc
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await
    {
        Ok(verdict) => verdict,
        Err(busy) => {
            // Nothing was checked, so nothing counts.
            forgive(&svc.pool, SIGN_IN_ACCOUNT_IP, &account_from_ip).await?;
            forgive_attempt().await?;
            return Err(busy);
        }
    };
    match (verdict, user) {
        (Verified::Yes { needs_rehash }, Some(user)) => {
            // Upgraded when the hasher has room; otherwise at a later sign-in.
            let rehashed = match needs_rehash {
                true => svc.hasher.hash(password).await.ok(),
                false => None,
            };
            let mut tx = user_tx(&svc.pool, user.user_id).await?;
            if let Some(new_hash) = &rehashed {
                // Only if nothing changed the hash meanwhile.
                sqlx::query!(
                    "update users set password_hash = $1 where user_id = $2 and password_hash = $3",
                    new_hash.to_string(),
                    user.user_id,
                    user.password_hash
                )
                .execute(&mut *tx)
                .await?;
            }
            let has_two_factor = two_factor::store::is_enabled(&mut *tx, user.user_id).await?;
            tx.commit().await?;
            // A success clears this address's failures at the account, and counts against
            // neither the address nor the account.
            clear_throttle(&svc.pool, SIGN_IN_ACCOUNT_IP, &account_from_ip).await?;
            forgive_attempt().await?;
            let session = session().await?;
            if has_two_factor {
                // Not signed in yet: the session only remembers, briefly, that the password
                // was right, and the second step finishes the sign-in.
                two_factor::pending::begin(&session, user.user_id, input.next()).await?;
                leptos_axum::redirect("/sign-in/two-factor");
                return Ok(());
            }
            start_session(&session, &svc, user.user_id, &meta).await?;
            record_account_event(
                &svc.pool,
                Some(user.user_id),
                AuditAction::SignIn,
                &meta,
                json!({ "rehashed": rehashed.is_some() }),
            )
            .await?;
            leptos_axum::redirect(input.next().unwrap_or("/account"));
            Ok(())
        }
        (_, user) => {
            // What was typed is kept only if it is an address: people type passwords into the
            // email field.
            record_account_event(
                &svc.pool,
                user.map(|u| u.user_id),
                AuditAction::SignInFailed,
                &meta,
                json!({ "email": input.is_address().then_some(account_key) }),
            )
            .await?;
            Err(AppError::BadCredentials)
        }
    }
}

#[server(endpoint = "auth/sign_out", client = CsrfClient)]
pub async fn sign_out() -> Result<(), AppError> {
    let svc = access::public()?;
    let session = session().await?;
    if let Some((user_id, user_session_id)) = signed_in(&session, &svc).await? {
        let mut tx = user_tx(&svc.pool, user_id).await?;
        sqlx::query!(
            "delete from user_sessions where user_session_id = $1",
            user_session_id
        )
        .execute(&mut *tx)
        .await?;
        record_account_event(
            &mut *tx,
            Some(user_id),
            AuditAction::SignOut,
            &request_meta(),
            json!({}),
        )
        .await?;
        tx.commit().await?;
    }
    session.flush().await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "auth/verify_email", client = CsrfClient)]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    let svc = access::public()?;
    let mut tx = svc.pool.begin().await?;
    let user_id = redeem_token(&mut tx, &token, TokenPurpose::VerifyEmail).await?;
    sqlx::query!(
        "update users set email_verified_at = coalesce(email_verified_at, now()) where user_id = $1",
        user_id
    )
    .execute(&mut *tx)
    .await?;
    record_account_event(
        &mut *tx,
        Some(user_id),
        AuditAction::AccountEmailVerified,
        &request_meta(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    // Verifying proves control of the mailbox, not of the account: it never signs anyone in.
    let signed_in = signed_in_user(&session().await?, &svc).await?;
    leptos_axum::redirect(if signed_in == Some(user_id) {
        "/account"
    } else {
        "/sign-in?verified=1"
    });
    Ok(())
}

#[server(endpoint = "auth/resend_verification", client = CsrfClient)]
pub async fn resend_verification() -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let (svc, user_id) = (&me.svc, me.user_id);
    attempt(&svc.pool, RESEND, &user_id.to_string()).await?;
    let mut tx = me.begin().await?;
    let user = sqlx::query!(
        "select email::text as \"email!\", name, email_verified_at from users where user_id = $1",
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let intro = "Here is a new link to confirm your email address. Earlier links no longer work.";
    send_verification(&mut tx, svc, user_id, &user.email, &user.name, intro).await?;
    record_account_event(
        &mut *tx,
        Some(user_id),
        AuditAction::AccountVerificationResent,
        &request_meta(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The signed-in user, or `None`. Reads only.
#[server(endpoint = "auth/current_user", client = CsrfClient)]
pub async fn current_user() -> Result<Option<UserSummary>, AppError> {
    let svc = access::public()?;
    signed_in_summary(&session().await?, &svc).await
}

/// The user the session is signed in as, or `None`: for [`current_user`] and the header's
/// question at [`super::WHO_PATH`].
#[cfg(feature = "ssr")]
pub async fn signed_in_summary(
    session: &Session,
    svc: &AuthServices,
) -> Result<Option<UserSummary>, AppError> {
    let Some(user_id) = signed_in_user(session, svc).await? else {
        return Ok(None);
    };
    let mut tx = user_tx(&svc.pool, user_id).await?;
    let user = sqlx::query!(
        "select name, email::text as \"email!\", email_verified_at is not null as \"verified!\" from users where user_id = $1",
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(user.map(|u| UserSummary {
        name: u.name,
        email: u.email,
        verified: u.verified,
    }))
}

/// Development only: the latest emails, as they would have been sent.
#[server(endpoint = "dev/mailbox", client = CsrfClient)]
pub async fn dev_mailbox() -> Result<Vec<MailboxEmail>, AppError> {
    let svc = access::public()?;
    // Everyone's reset links are in it: only for a browser on this machine.
    let local = request_meta().ip.is_some_and(|ip| ip.is_loopback());
    if !svc.dev_mailbox || !local {
        return Err(AppError::NotFound);
    }
    // The mailbox stands in for delivery, so it reads the outbox as the deliverer does.
    let mut tx = svc.pool.begin().await?;
    as_deliverer(&mut tx).await?;
    let rows = sqlx::query!(
        "select to_address, subject, text_body, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') as \"created_at!\"
         from email_outbox order by email_id desc limit 50"
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MailboxEmail {
            to: r.to_address,
            subject: r.subject,
            // Only delivered emails lose their body, and with the mailbox on none is delivered.
            text_body: r
                .text_body
                .unwrap_or_else(|| "(Delivered; the body is not kept.)".into()),
            created_at: r.created_at,
        })
        .collect())
}

#[server(endpoint = "auth/forgot_password", client = CsrfClient)]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    let svc = access::public()?;
    let email = EmailAddress::parse(&email).map_err(|e| AppError::invalid("email", e))?;
    let meta = request_meta();
    let account_key = email.as_str().to_lowercase();
    attempt(&svc.pool, RESET_IP, &meta.ip_key()).await?;
    attempt(&svc.pool, RESET_ACCOUNT, &account_key).await?;

    let user = account_by_email(&svc.pool, email.as_str()).await?;
    // The answer is the same whether or not the address has an account, and so is the work:
    // the same statements run and commit, and without an account the email is written in a
    // savepoint that is rolled back, so its time does not tell either. Without an account the
    // transaction acts for nobody's id.
    let acting_for = user.as_ref().map_or_else(uuid::Uuid::new_v4, |u| u.user_id);
    let mut tx = user_tx(&svc.pool, acting_for).await?;
    let (user_id, to, name) = match user {
        // The address on the account, however the request spelled it.
        Some(u) => (Some(u.user_id), u.email, u.name),
        None => (None, email.as_str().to_string(), "there".to_string()),
    };
    let token = match user_id {
        Some(user_id) => issue_token(&mut tx, user_id, TokenPurpose::ResetPassword).await?,
        None => {
            // Matches no row, in place of retiring the account's earlier links.
            retire_unused(&mut *tx, uuid::Uuid::new_v4()).await?;
            random_token()
        }
    };
    let link = format!("{}/reset-password?token={token}", svc.public_url);
    let mut email_savepoint = sqlx::Acquire::begin(&mut tx).await?;
    enqueue_email(
        &mut email_savepoint,
        action_email(
            EmailKind::PasswordReset,
            &to,
            "Reset your Ops Intel password",
            &name,
            &[
                "Someone asked to reset the password of your Ops Intel account. If it was you, \
               choose a new password with the link below; it works once and expires in an hour.",
                "If it was not you, ignore this email: your password stays as it is.",
            ],
            "Choose a new password",
            &link,
        ),
    )
    .await?;
    if user_id.is_some() {
        email_savepoint.commit().await?;
    } else {
        email_savepoint.rollback().await?;
    }
    // Without an account there is no actor: the entry records that an unknown address was tried.
    record_account_event(
        &mut *tx,
        user_id,
        AuditAction::PasswordResetRequested,
        &meta,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/check-email?reset=1");
    Ok(())
}

#[server(endpoint = "auth/reset_password", client = CsrfClient)]
pub async fn reset_password(form: ResetPasswordForm) -> Result<(), AppError> {
    let svc = access::public()?;
    let input = ResetPasswordInput::from(form);
    let meta = request_meta();
    let mut tx = svc.pool.begin().await?;
    let user_id = redeem_token(
        &mut tx,
        input.token().expose_secret(),
        TokenPurpose::ResetPassword,
    )
    .await?;
    let email: String = sqlx::query_scalar!(
        "select email::text as \"email!\" from users where user_id = $1",
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let email = EmailAddress::parse(&email).map_err(|_| AppError::Internal)?;
    // A refused password leaves the token unused: the transaction rolls back.
    let password = NewPassword::parse(input.password().expose_secret(), &email)
        .map_err(|e| AppError::invalid("password", e))?;
    let hash = svc
        .hasher
        .hash(&SecretString::from(password.into_inner()))
        .await?
        .to_string();
    sqlx::query!(
        "update users set password_hash = $2, email_verified_at = coalesce(email_verified_at, now()) where user_id = $1",
        user_id,
        hash
    )
    .execute(&mut *tx)
    .await?;
    // Whoever knew the old password may have asked for links meanwhile (an email change to
    // their own address): none of them outlives the new password.
    retire_unused(&mut *tx, user_id).await?;
    let ended = end_sessions(&mut *tx, user_id, None).await?;
    record_account_event(
        &mut *tx,
        Some(user_id),
        AuditAction::PasswordReset,
        &meta,
        json!({ "sessions_ended": ended }),
    )
    .await?;
    tx.commit().await?;
    session().await?.flush().await?;
    leptos_axum::redirect("/sign-in?reset=1");
    Ok(())
}

#[server(endpoint = "auth/change_password", client = CsrfClient)]
pub async fn change_password(form: ChangePasswordForm) -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let input = ChangePasswordInput::from(form);
    let meta = request_meta();
    let (user_id, email, _) = reauthenticate(&me, input.current(), CHANGING_PASSWORD).await?;
    let (svc, this_session) = (&me.svc, me.user_session_id);
    let email = EmailAddress::parse(&email).map_err(|_| AppError::Internal)?;
    let new = NewPassword::parse(input.new_password().expose_secret(), &email)
        .map_err(|e| AppError::invalid("new_password", e))?;
    let hash = svc
        .hasher
        .hash(&SecretString::from(new.into_inner()))
        .await?
        .to_string();
    let mut tx = user_tx(&svc.pool, user_id).await?;
    sqlx::query!(
        "update users set password_hash = $2 where user_id = $1",
        user_id,
        hash
    )
    .execute(&mut *tx)
    .await?;
    retire_unused(&mut *tx, user_id).await?;
    let ended = end_sessions(&mut *tx, user_id, Some(this_session)).await?;
    record_account_event(
        &mut *tx,
        Some(user_id),
        AuditAction::PasswordChanged,
        &meta,
        json!({ "sessions_ended": ended }),
    )
    .await?;
    tx.commit().await?;
    // A change of credentials is a change of privilege: a fresh session id for this browser.
    session().await?.cycle_id().await?;
    Ok(())
}

/// Where the user is signed in, newest activity first.
#[server(endpoint = "auth/sessions", client = CsrfClient)]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    let me = access::signed_in().await?;
    let (user_id, this_session) = (me.user_id, me.user_session_id);
    let mut tx = me.begin().await?;
    let zone = me.zone(&mut tx).await?;
    let rows = sqlx::query!(
        r#"select user_session_id, host(ip) as ip, user_agent, last_seen_at
           from user_sessions where user_id = $1 order by last_seen_at desc"#,
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionInfo {
            id: r.user_session_id.to_string(),
            device: describe_device(r.user_agent.as_deref()),
            ip: r.ip.unwrap_or_else(|| "unknown".into()),
            last_seen: zone.moment(r.last_seen_at),
            current: r.user_session_id == this_session,
        })
        .collect())
}

/// Ends one of the user's own sessions (`id`), or all but this one (`id` = "others").
#[server(endpoint = "auth/end_session", client = CsrfClient)]
pub async fn end_session(id: String) -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let (user_id, this_session) = (me.user_id, me.user_session_id);
    let mut tx = me.begin().await?;
    let ended = if id == "others" {
        end_sessions(&mut *tx, user_id, Some(this_session)).await?
    } else {
        let target = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
        // Only the user's own sessions: another user's id simply matches nothing.
        sqlx::query!(
            "delete from user_sessions where user_session_id = $1 and user_id = $2",
            target,
            user_id
        )
        .execute(&mut *tx)
        .await?
        .rows_affected()
    };
    if ended == 0 && id != "others" {
        return Err(AppError::NotFound);
    }
    record_account_event(
        &mut *tx,
        Some(user_id),
        AuditAction::SessionsEnded,
        &request_meta(),
        json!({ "count": ended }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Where a refused password check is shown, and how it is recorded.
#[cfg(feature = "ssr")]
struct PasswordCheck {
    field: &'static str,
    refusal: &'static str,
    failed: AuditAction,
}

#[cfg(feature = "ssr")]
const CHANGING_PASSWORD: PasswordCheck = PasswordCheck {
    field: "current_password",
    refusal: "Your current password is not correct.",
    failed: AuditAction::PasswordChangeFailed,
};

#[cfg(feature = "ssr")]
const CONFIRMING_DELETION: PasswordCheck = PasswordCheck {
    field: "password",
    refusal: "Your password is not correct.",
    failed: AuditAction::ReauthenticationFailed,
};

/// Re-authenticates the signed-in user with their password before a sensitive change: counted
/// against the user's allowance of password checks, and recorded when refused. Returns the user,
/// their email address and name.
#[cfg(feature = "ssr")]
async fn reauthenticate(
    me: &Me,
    password: &SecretString,
    check: PasswordCheck,
) -> Result<(uuid::Uuid, String, String), AppError> {
    let (svc, user_id) = (&me.svc, me.user_id);
    let user_key = user_id.to_string();
    attempt(&svc.pool, PASSWORD_CHECK_USER, &user_key).await?;
    let user = sqlx::query!(
        "select email::text as \"email!\", name, password_hash from users where user_id = $1",
        user_id
    )
    .fetch_one(&mut *me.begin().await?)
    .await?;
    let verdict = svc.hasher.verify(password, Some(&user.password_hash)).await;
    if verdict.is_err() {
        // Nothing was checked, so nothing counts.
        forgive(&svc.pool, PASSWORD_CHECK_USER, &user_key).await?;
    }
    if verdict? == Verified::No {
        record_account_event(
            &svc.pool,
            Some(user_id),
            check.failed,
            &request_meta(),
            json!({}),
        )
        .await?;
        return Err(AppError::invalid(check.field, check.refusal));
    }
    forgive(&svc.pool, PASSWORD_CHECK_USER, &user_key).await?;
    Ok((user_id, user.email, user.name))
}

/// Starts an email change: the new address gets a link; nothing changes until it is opened.
/// Whoever asks must have proved it is them in the last few minutes.
#[server(endpoint = "auth/change_email", client = CsrfClient)]
pub async fn change_email(form: ChangeEmailForm) -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let input = ChangeEmailInput::try_from(form)?;
    let new_email = input.new_email();
    require_recent_proof(&me).await?;
    let (svc, user_id) = (&me.svc, me.user_id);
    let mut tx = me.begin().await?;
    let name = sqlx::query_scalar!("select name from users where user_id = $1", user_id)
        .fetch_one(&mut *tx)
        .await?;
    let taken = account_by_email(&mut *tx, new_email.as_str())
        .await?
        .is_some_and(|other| other.user_id != user_id);
    // Whether the address is taken is told only to that address's owner.
    let email =
        if taken {
            action_email(
            EmailKind::EmailChangeAttempt,
            new_email.as_str(),
            "Someone tried to move an Ops Intel account to your address",
            "there",
            &["Someone asked to change the email address of another Ops Intel account to this one, \
               which already has an account. Nothing was changed."],
            "Sign in",
            &format!("{}/sign-in", svc.public_url),
        )
        } else {
            let token = issue_token_for(
                &mut tx,
                user_id,
                TokenPurpose::ChangeEmail,
                Some(new_email.as_str()),
            )
            .await?;
            action_email(
            EmailKind::EmailChange,
            new_email.as_str(),
            "Confirm your new email address for Ops Intel",
            &name,
            &["Confirm this address to make it the one you sign in with. Until you do, your old \
               address stays in use. The link works once and expires in 24 hours."],
            "Confirm my new address",
            &format!("{}/confirm-email-change?token={token}", svc.public_url),
        )
        };
    enqueue_email(&mut tx, email).await?;
    record_account_event(
        &mut *tx,
        Some(user_id),
        AuditAction::AccountEmailChangeRequested,
        &request_meta(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(endpoint = "auth/confirm_email_change", client = CsrfClient)]
pub async fn confirm_email_change(token: String) -> Result<(), AppError> {
    let svc = access::public()?;
    let session = session().await?;
    let this_browser = signed_in(&session, &svc).await?;
    let mut tx = svc.pool.begin().await?;
    let (user_id, new_email) = redeem_email_change(&mut tx, &token).await?;
    let old = sqlx::query!(
        "select email::text as \"email!\", name from users where user_id = $1",
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let changed = sqlx::query!(
        "update users set email = $2::text::citext, email_verified_at = now() where user_id = $1
         and not exists (select 1 from app_account_by_email($2) a where a.user_id <> $1)",
        user_id,
        new_email
    )
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::invalid(
            "token",
            "That address now belongs to another account.",
        ));
    }
    // Links sent to the old address (a password reset) stop working, and so does every sign-in
    // but this browser's, if it is the account's own.
    retire_unused(&mut *tx, user_id).await?;
    let keep = this_browser
        .filter(|(signed_in_as, _)| *signed_in_as == user_id)
        .map(|(_, user_session_id)| user_session_id);
    let ended = end_sessions(&mut *tx, user_id, keep).await?;
    enqueue_email(
        &mut tx,
        action_email(
            EmailKind::EmailChanged,
            &old.email,
            "Your Ops Intel email address was changed",
            &old.name,
            &[&format!(
                "The email address of your Ops Intel account is now {new_email}. If you did not \
                        make this change, reset your password at once and contact us."
            )],
            "Reset your password",
            &format!("{}/forgot-password", svc.public_url),
        ),
    )
    .await?;
    record_account_event(
        &mut *tx,
        Some(user_id),
        AuditAction::AccountEmailChanged,
        &request_meta(),
        json!({ "sessions_ended": ended }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/account");
    Ok(())
}

/// Deletes the signed-in user's account after asking for the password.
#[server(endpoint = "auth/delete_account", client = CsrfClient)]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let svc = me.svc.clone();
    let (user_id, email, _) =
        reauthenticate(&me, &SecretString::from(password), CONFIRMING_DELETION).await?;
    let owns_shared = sqlx::query_scalar!(
        r#"select app_owns_shared_organisation($1) as "owns!""#,
        user_id
    )
    .fetch_one(&svc.pool)
    .await?;
    if owns_shared {
        return Err(AppError::Refused(
            "You own an organisation with other members. Transfer ownership or delete the \
             organisation first."
                .into(),
        ));
    }
    let mut tx = me.begin().await?;
    let name = sqlx::query_scalar!("select name from users where user_id = $1", user_id)
        .fetch_one(&mut *tx)
        .await?;
    let organisations_deleted = leave_every_organisation(&mut tx, user_id).await?;
    // The event outlives the account, naming no one: its actor becomes null, and erasure takes
    // its address and device with the rest.
    record_account_event(
        &mut *tx,
        Some(user_id),
        AuditAction::AccountDeleted,
        &request_meta(),
        json!({ "organisations_deleted": organisations_deleted.len() }),
    )
    .await?;
    let erased = crate::erasure::erase_person(&mut tx, user_id).await?;
    sqlx::query!("delete from users where user_id = $1", user_id)
        .execute(&mut *tx)
        .await?;
    enqueue_email(
        &mut tx,
        crate::erasure::account_receipt(
            &email,
            &name,
            &erased,
            &organisations_deleted,
            &svc.public_url,
        ),
    )
    .await?;
    tx.commit().await?;
    session().await?.flush().await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Before an account goes: organisations it owns alone are deleted with it (their names are
/// returned, for the receipt); in every other one its departure is recorded, naming no one.
#[cfg(feature = "ssr")]
async fn leave_every_organisation(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    user_id: uuid::Uuid,
) -> Result<Vec<String>, AppError> {
    use crate::{audit::record_org_event, tenancy::set_tenant};
    let meta = request_meta();
    let orgs = sqlx::query!(
        r#"select org_id as "org_id!", slug as "slug!", name as "name!", role as "role!"
           from app_user_organisations($1)"#,
        user_id
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut deleted = Vec::new();
    for org in orgs {
        set_tenant(tx, org.org_id).await?;
        if org.role == "owner" {
            crate::erasure::erase_organisation(tx, org.org_id).await?;
            record_account_event(
                &mut **tx,
                Some(user_id),
                AuditAction::OrganisationDeleted,
                &meta,
                json!({ "org_id": org.org_id, "name": org.name, "slug": org.slug, "reason": "owner deleted their account" }),
            )
            .await?;
            sqlx::query!("delete from organisations where org_id = $1", org.org_id)
                .execute(&mut **tx)
                .await?;
            deleted.push(org.name);
        } else {
            record_org_event(
                tx,
                org.org_id,
                Some(user_id),
                AuditAction::MemberLeft,
                None,
                "A member deleted their account and left",
                &meta,
            )
            .await?;
        }
    }
    Ok(deleted)
}
