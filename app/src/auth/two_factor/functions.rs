//! Two-factor server functions: status, set-up, turning it off, new recovery codes, and the
//! second step of signing in. Each changes state only by POST, behind the CSRF layer.

use leptos::prelude::*;

use super::{forms::CodeForm, RecoveryCodes, TwoFactorInfo, TwoFactorSetup};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::{
        forms::CodeInput,
        notify::record_change,
        pending, recovery,
        store::{self, Accepted},
        totp,
    },
    crate::access,
    crate::audit::{record_account_event, AuditAction},
    crate::auth::{
        recent_proof::require_recent_proof,
        session::{session, start_session},
    },
    crate::request::request_meta,
    crate::tenancy::user_tx,
    crate::throttle::{attempt, clear_throttle, forgive, SIGN_IN_IP, TWO_FACTOR_ACCOUNT},
    serde_json::json,
};

/// Whether two-factor is on for the signed-in user, and how many recovery codes are left.
#[server(endpoint = "auth/two_factor_status", client = CsrfClient)]
pub async fn two_factor_status() -> Result<TwoFactorInfo, AppError> {
    let me = access::signed_in().await?;
    let mut tx = me.begin().await?;
    Ok(TwoFactorInfo {
        enabled: store::is_enabled(&mut *tx, me.user_id).await?,
        recovery_codes_left: recovery::remaining(&mut *tx, me.user_id).await?,
    })
}

/// Starts set-up with a new secret: its QR code and its text. Nothing changes for sign-in until
/// a code from it is confirmed.
#[server(endpoint = "auth/two_factor_setup", client = CsrfClient)]
pub async fn begin_two_factor_setup() -> Result<TwoFactorSetup, AppError> {
    let me = access::signed_in().await?;
    let mut tx = me.begin().await?;
    let email = sqlx::query_scalar!(
        r#"select email::text as "email!" from users where user_id = $1"#,
        me.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let secret = store::begin_setup(&mut *tx, &me.svc.two_factor_key, me.user_id).await?;
    tx.commit().await?;
    let qr_code = totp::qr_code_data_url(&totp::otpauth_uri(&email, &secret)).ok_or_else(|| {
        tracing::error!("the set-up address does not fit a QR code");
        AppError::Internal
    })?;
    Ok(TwoFactorSetup {
        qr_code,
        secret: totp::secret_base32(&secret),
    })
}

/// Turns two-factor on once the app's code is right, and returns the ten recovery codes,
/// which are shown this once.
#[server(endpoint = "auth/two_factor_enable", client = CsrfClient)]
pub async fn enable_two_factor(form: CodeForm) -> Result<RecoveryCodes, AppError> {
    let me = access::signed_in().await?;
    let (svc, user_id) = (&me.svc, me.user_id);
    let input = CodeInput::try_from(form)?;
    let code = input.app_code()?;
    let mut tx = me.begin().await?;
    if !store::accept_totp(&mut tx, &svc.two_factor_key, user_id, code, true).await? {
        return Err(AppError::invalid(
            "code",
            "That code is not right. Check the time on your phone and enter the newest code.",
        ));
    }
    store::enable(&mut tx, user_id).await?;
    let codes = recovery::replace(&mut tx, &svc.two_factor_key, user_id).await?;
    record_change(
        &mut tx,
        svc,
        user_id,
        AuditAction::TwoFactorEnabled,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(RecoveryCodes(codes))
}

/// Turns two-factor off, after a recent proof that it is the user.
#[server(endpoint = "auth/two_factor_disable", client = CsrfClient)]
pub async fn disable_two_factor() -> Result<(), AppError> {
    let me = access::signed_in().await?;
    require_recent_proof(&me).await?;
    let mut tx = me.begin().await?;
    if !store::disable(&mut tx, me.user_id).await? {
        return Err(AppError::Refused(
            "Two-factor sign-in is already off.".into(),
        ));
    }
    record_change(
        &mut tx,
        &me.svc,
        me.user_id,
        AuditAction::TwoFactorDisabled,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the recovery codes with ten new ones, after a recent proof that it is the user.
#[server(endpoint = "auth/recovery_codes", client = CsrfClient)]
pub async fn regenerate_recovery_codes() -> Result<RecoveryCodes, AppError> {
    let me = access::signed_in().await?;
    require_recent_proof(&me).await?;
    let mut tx = me.begin().await?;
    if !store::is_enabled(&mut *tx, me.user_id).await? {
        return Err(AppError::Refused(
            "Turn on two-factor sign-in first.".into(),
        ));
    }
    let codes = recovery::replace(&mut tx, &me.svc.two_factor_key, me.user_id).await?;
    record_change(
        &mut tx,
        &me.svc,
        me.user_id,
        AuditAction::RecoveryCodesRegenerated,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(RecoveryCodes(codes))
}

/// The second step of signing in: a code from the app, or a recovery code, for the sign-in
/// whose password was right. Throttled per account and per address like the first step. When
/// a recovery code was used, the answer is how many remain, and the user is shown it.
#[server(endpoint = "auth/sign_in_code", client = CsrfClient)]
pub async fn sign_in_second_factor(form: CodeForm) -> Result<Option<i64>, AppError> {
    let svc = access::public()?;
    let session = session().await?;
    let Some(waiting) = pending::current(&session).await? else {
        // Never signed in with a password here, or took too long: start again.
        return Err(AppError::NotSignedIn);
    };
    let meta = request_meta();
    let account_key = waiting.user_id.to_string();
    let input = CodeInput::try_from(form)?;
    // Counted before the code is checked, like the password step, so parallel guesses are
    // each counted; a right code takes its attempt back.
    attempt(&svc.pool, SIGN_IN_IP, &meta.ip_key()).await?;
    attempt(&svc.pool, TWO_FACTOR_ACCOUNT, &account_key).await?;

    let mut tx = user_tx(&svc.pool, waiting.user_id).await?;
    let accepted = store::accept(
        &mut tx,
        &svc.two_factor_key,
        waiting.user_id,
        input.factor(),
    )
    .await?;
    let Some(accepted) = accepted else {
        drop(tx);
        record_account_event(
            &svc.pool,
            Some(waiting.user_id),
            AuditAction::SecondFactorFailed,
            &meta,
            json!({}),
        )
        .await?;
        return Err(AppError::invalid(
            "code",
            "That code is not right, or was already used. Enter the newest code from your app, or a recovery code.",
        ));
    };
    let remaining = match accepted {
        Accepted::Recovery { remaining } => {
            record_change(
                &mut tx,
                &svc,
                waiting.user_id,
                AuditAction::RecoveryCodeUsed,
                json!({ "remaining": remaining }),
            )
            .await?;
            Some(remaining)
        }
        Accepted::Totp => None,
    };
    record_account_event(
        &mut *tx,
        Some(waiting.user_id),
        AuditAction::SignIn,
        &meta,
        json!({ "second_factor": if remaining.is_some() { "recovery_code" } else { "totp" } }),
    )
    .await?;
    tx.commit().await?;
    clear_throttle(&svc.pool, TWO_FACTOR_ACCOUNT, &account_key).await?;
    forgive(&svc.pool, SIGN_IN_IP, &meta.ip_key()).await?;
    pending::clear(&session).await?;
    start_session(&session, &svc, waiting.user_id, &meta).await?;
    match remaining {
        Some(left) => leptos_axum::redirect(&format!("/account?recovery_codes_left={left}")),
        None => leptos_axum::redirect(waiting.next.as_deref().unwrap_or("/account")),
    }
    Ok(remaining)
}
