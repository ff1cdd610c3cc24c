//! Confirming it's you before a dangerous action. Transferring ownership, deleting an
//! organisation, changing the email address, turning two-factor off and making new recovery
//! codes each need the password (or a second factor) given within the last
//! [`PROOF_MINUTES`] minutes, so a session left open on a shared computer, or a stolen session
//! cookie, cannot do them. Signing in counts as a proof. The time is kept on the sign-in's
//! `user_sessions` row, where nothing the browser sends can change it.

use leptos::prelude::*;

use super::{client::CsrfClient, forms::ConfirmIdentityForm};
use crate::error::AppError;

/// How long a proof lasts.
pub const PROOF_MINUTES: i32 = 10;

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use sqlx::PgExecutor;
    use uuid::Uuid;

    use super::PROOF_MINUTES;
    use crate::{access::Me, error::AppError};

    /// Refuses unless this sign-in proved who it is within the last few minutes.
    pub async fn require_recent_proof(me: &Me) -> Result<(), AppError> {
        require_recent_proof_of(&mut *me.begin().await?, me.user_session_id).await
    }

    /// As [`require_recent_proof`], for a sign-in known by its id.
    pub async fn require_recent_proof_of<'e>(
        executor: impl PgExecutor<'e>,
        user_session_id: Uuid,
    ) -> Result<(), AppError> {
        let recent = sqlx::query_scalar!(
            r#"select exists (select 1 from user_sessions where user_session_id = $1
                              and proved_at > now() - make_interval(mins => $2)) as "recent!""#,
            user_session_id,
            PROOF_MINUTES
        )
        .fetch_one(executor)
        .await?;
        if recent {
            Ok(())
        } else {
            Err(AppError::RecentProofRequired)
        }
    }

    /// Notes that this sign-in proved who it is just now.
    pub async fn record_proof<'e>(
        executor: impl PgExecutor<'e>,
        user_session_id: Uuid,
    ) -> Result<(), AppError> {
        sqlx::query!(
            "update user_sessions set proved_at = now() where user_session_id = $1",
            user_session_id
        )
        .execute(executor)
        .await?;
        Ok(())
    }
}

/// Proves it is the signed-in user, with their password or a second factor, for the next few
/// minutes of dangerous actions.
#[server(endpoint = "auth/confirm_identity", client = CsrfClient)]
pub async fn confirm_identity(form: ConfirmIdentityForm) -> Result<(), AppError> {
    use crate::{
        access,
        audit::{record_account_event, AuditAction},
        auth::{
            forms::ConfirmIdentityInput,
            password::Verified,
            two_factor::{
                notify::record_change,
                store::{self, Accepted},
            },
        },
        request::request_meta,
        throttle::{attempt, clear_throttle, CONFIRM_IDENTITY_ACCOUNT},
    };
    use serde_json::json;

    let me = access::signed_in().await?;
    let input = ConfirmIdentityInput::try_from(form)?;
    let svc = &me.svc;
    let key = me.user_id.to_string();
    // Counted before the check, so parallel guesses are each counted; a success clears.
    attempt(&svc.pool, CONFIRM_IDENTITY_ACCOUNT, &key).await?;
    let mut tx = me.begin().await?;
    let (proved, field) = match &input {
        ConfirmIdentityInput::Password(password) => {
            let hash = sqlx::query_scalar!(
                "select password_hash from users where user_id = $1",
                me.user_id
            )
            .fetch_one(&mut *tx)
            .await?;
            let ok = svc.hasher.verify(password, Some(&hash)).await? != Verified::No;
            (ok.then_some("password"), "password")
        }
        ConfirmIdentityInput::SecondFactor(factor) => {
            let accepted = store::accept(&mut tx, &svc.two_factor_key, me.user_id, factor).await?;
            if let Some(Accepted::Recovery { remaining }) = accepted {
                record_change(
                    &mut tx,
                    svc,
                    me.user_id,
                    AuditAction::RecoveryCodeUsed,
                    json!({ "remaining": remaining }),
                )
                .await?;
            }
            (accepted.map(|_| "second_factor"), "code")
        }
    };
    let meta = request_meta();
    let Some(with) = proved else {
        drop(tx);
        record_account_event(
            &svc.pool,
            Some(me.user_id),
            AuditAction::IdentityConfirmationFailed,
            &meta,
            json!({}),
        )
        .await?;
        return Err(AppError::invalid(
            field,
            if field == "password" {
                "Your password is not correct."
            } else {
                "That code is not correct, or was already used."
            },
        ));
    };
    record_proof(&mut *tx, me.user_session_id).await?;
    record_account_event(
        &mut *tx,
        Some(me.user_id),
        AuditAction::IdentityConfirmed,
        &meta,
        json!({ "with": with }),
    )
    .await?;
    tx.commit().await?;
    clear_throttle(&svc.pool, CONFIRM_IDENTITY_ACCOUNT, &key).await?;
    Ok(())
}
