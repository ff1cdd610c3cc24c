//! The server side of organisations: transactions scoped to one tenant and the audit log.

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::{auth::ssr::RequestMeta, error::AppError};

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

/// Appends to an organisation's audit log. The actor's email is copied, so the entry still says
/// who after the account is gone.
pub async fn record_event(
    tx: &mut Transaction<'static, Postgres>,
    org_id: Uuid,
    actor: Option<Uuid>,
    action: &str,
    target: Option<&str>,
    summary: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into org_audit_events (org_id, actor_user_id, actor_email, action, target, summary, ip, user_agent)
         values ($1, $2, (select email::text from users where user_id = $2), $3, $4, $5, $6::text::inet, $7)",
        org_id,
        actor,
        action,
        target,
        summary,
        meta.ip.map(|ip| ip.to_string()),
        meta.user_agent
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
