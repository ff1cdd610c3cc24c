//! Every change to a user's two-factor sign-in is recorded in the account log and emailed to
//! the account's address, in the transaction that makes it, so someone who took over a session
//! cannot change it unnoticed.

use serde_json::Value;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::{
    audit::{record_account_event, AuditAction},
    auth::{services::AuthServices, tokens::retire_unused},
    email::{action_email, enqueue_email, EmailKind},
    error::AppError,
    request::request_meta,
};

/// The email's subject and what it says happened.
fn wording(action: AuditAction) -> (&'static str, &'static str) {
    match action {
        AuditAction::TwoFactorEnabled => (
            "Two-factor sign-in is on for your Ops Intel account",
            "Two-factor sign-in was turned on for your account. Signing in now also needs a code \
             from your authenticator app or one of your recovery codes.",
        ),
        AuditAction::TwoFactorDisabled => (
            "Two-factor sign-in is off for your Ops Intel account",
            "Two-factor sign-in was turned off for your account. Signing in now needs only your \
             password.",
        ),
        AuditAction::RecoveryCodesRegenerated => (
            "New recovery codes for your Ops Intel account",
            "New recovery codes were made for your account. The old ones no longer work.",
        ),
        _ => (
            "A recovery code was used to sign in to your Ops Intel account",
            "One of your recovery codes was used to sign in to your account. Each code works \
             once.",
        ),
    }
}

/// Records `action` for `user_id` and queues the email about it, in `tx`. Like every change of
/// a credential, it also retires the account's unused emailed links: whoever set a link up
/// before the change keeps no way back through it.
pub async fn record_change(
    tx: &mut Transaction<'_, Postgres>,
    svc: &AuthServices,
    user_id: Uuid,
    action: AuditAction,
    details: Value,
) -> Result<(), AppError> {
    let user = sqlx::query!(
        r#"select email::text as "email!", name from users where user_id = $1"#,
        user_id
    )
    .fetch_one(&mut **tx)
    .await?;
    retire_unused(&mut **tx, user_id).await?;
    let (subject, happened) = wording(action);
    enqueue_email(
        tx,
        action_email(
            EmailKind::TwoFactorChanged,
            &user.email,
            subject,
            &user.name,
            &[
                happened,
                "If this was not you, change your password at once and review your two-factor \
                 sign-in.",
            ],
            "Review two-factor sign-in",
            &format!("{}/account/two-factor", svc.public_url),
        ),
    )
    .await?;
    record_account_event(&mut **tx, Some(user_id), action, &request_meta(), details).await
}
