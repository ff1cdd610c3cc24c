//! `server staff grant|revoke EMAIL`: who is Ops Intel's staff. Only this command changes it,
//! over the owner's connection (`OPS_MIGRATION_DATABASE_URL`): the application's role may read
//! whether its caller is staff and nothing more, so no web request can make anyone staff. Each
//! change is recorded in the account log of the person it concerns.

use app::{audit::AuditAction, request::RequestMeta};
use sqlx::PgPool;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Grant,
    Revoke,
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("no account has the address {0}")]
    NoAccount(String),
    #[error(
        "set OPS_MIGRATION_DATABASE_URL to the owner's connection: only the owner names staff"
    )]
    NoOwnerConnection,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    App(#[from] app::error::AppError),
}

/// Makes the account with address `email` staff, or not; what was done, for the operator.
pub async fn change(owner: &PgPool, change: Change, email: &str) -> Result<String, StaffError> {
    let mut tx = owner.begin().await?;
    let user = sqlx::query!(
        r#"select user_id, exists (select 1 from user_two_factor t where t.user_id = u.user_id
                                     and t.enabled_at is not null) as "two_factor!"
           from users u where email = $1::text::citext"#,
        email
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| StaffError::NoAccount(email.to_string()))?;
    let changed = match change {
        Change::Grant => sqlx::query!(
            "insert into staff_members (user_id) values ($1) on conflict do nothing",
            user.user_id
        ),
        Change::Revoke => {
            sqlx::query!("delete from staff_members where user_id = $1", user.user_id)
        }
    }
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if changed {
        let action = match change {
            Change::Grant => AuditAction::StaffGranted,
            Change::Revoke => AuditAction::StaffRevoked,
        };
        app::audit::record_account_event(
            &mut *tx,
            Some(user.user_id),
            action,
            &RequestMeta::default(),
            serde_json::json!({ "by": "server staff command" }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(match (change, changed, user.two_factor) {
        (Change::Grant, true, true) => format!("{email} is now staff"),
        (Change::Grant, true, false) => {
            format!("{email} is now staff; they reach /staff once they turn on two-factor sign-in")
        }
        (Change::Grant, false, _) => format!("{email} was staff already"),
        (Change::Revoke, true, _) => format!("{email} is no longer staff"),
        (Change::Revoke, false, _) => format!("{email} was not staff"),
    })
}
