//! The outbox: emails wait in `email_outbox` until the server's worker delivers them.

use sqlx::{Postgres, Transaction};

use crate::error::AppError;

/// One email, ready to queue.
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Queues an email in the caller's transaction: it is sent if and only if the change commits.
pub async fn enqueue_email(
    tx: &mut Transaction<'_, Postgres>,
    email: Email,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into email_outbox (to_address, subject, text_body, html_body) values ($1, $2, $3, $4)",
        email.to,
        email.subject,
        email.text,
        email.html
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
