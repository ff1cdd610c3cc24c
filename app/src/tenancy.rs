//! Row-level security's two settings: the organisation a transaction works for (`app.org_id`)
//! and the user it acts for (`app.user_id`). Organisations' tables show only the first one's rows;
//! accounts, sign-ins, email links and two-factor secrets show only the second one's (and, for
//! accounts, the current organisation's members). Both settings are transaction-local, so they
//! end with the transaction and never leak to the connection's next user. Kept apart from the
//! organisation functions, since accounts, the access check and the server's commands need it too.

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::AppError;

/// A transaction acting for `user_id` in organisation `org_id`: it sees that organisation's rows,
/// the user's own, and the accounts of the organisation's members.
pub async fn tenant_tx(
    pool: &PgPool,
    user_id: Uuid,
    org_id: Uuid,
) -> Result<Transaction<'static, Postgres>, AppError> {
    let mut tx = pool.begin().await?;
    act_in(&mut tx, user_id, org_id).await?;
    Ok(tx)
}

/// Makes the rest of an open transaction act for `user_id` in organisation `org_id`.
pub async fn act_in(conn: &mut PgConnection, user_id: Uuid, org_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "select set_config('app.org_id', $1, true) as org_id, set_config('app.user_id', $2, true) as user_id",
        org_id.to_string(),
        user_id.to_string()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// A transaction acting for `user_id` in no organisation: it sees the user's own rows only.
pub async fn user_tx(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<Transaction<'static, Postgres>, AppError> {
    let mut tx = pool.begin().await?;
    act_for(&mut tx, user_id).await?;
    Ok(tx)
}

/// Makes the rest of an open transaction act for `user_id`.
pub async fn act_for(conn: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "select set_config('app.user_id', $1, true)",
        user_id.to_string()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// Switches an open transaction to another organisation.
pub async fn set_tenant(conn: &mut PgConnection, org_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "select set_config('app.org_id', $1, true)",
        org_id.to_string()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}
