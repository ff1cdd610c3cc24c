//! Tenancy in the database: transactions in which row-level security shows one organisation's
//! rows only. Kept apart from the organisation functions, since accounts (deleting one leaves
//! every organisation) and the access check need it too.

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::AppError;

/// A transaction in which row-level security shows only `org_id`'s rows. The setting is
/// transaction-local, so it ends with the transaction and never leaks to the connection's next user.
pub async fn tenant_tx(
    pool: &PgPool,
    org_id: Uuid,
) -> Result<Transaction<'static, Postgres>, AppError> {
    let mut tx = pool.begin().await?;
    set_tenant(&mut tx, org_id).await?;
    Ok(tx)
}

/// Switches an open transaction to another organisation.
pub async fn set_tenant(
    tx: &mut Transaction<'static, Postgres>,
    org_id: Uuid,
) -> Result<(), AppError> {
    sqlx::query!(
        "select set_config('app.org_id', $1, true)",
        org_id.to_string()
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(())
}
