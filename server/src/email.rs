//! Delivers the email outbox through SendGrid's v3 Mail Send API. Emails are claimed one at a
//! time with `FOR UPDATE SKIP LOCKED`, so several server processes can share the work, and a
//! failed delivery is retried with exponential back-off: nothing is lost if SendGrid or this
//! process fails, because an email leaves the outbox only once SendGrid has accepted it.
//!
//! Once accepted, an email's bodies are cleared: they hold live links (password resets, email
//! verification), and the row only needs to show the delivery: recipient, subject, kind, times
//! and SendGrid's message id. In development without SendGrid nothing is sent, so the bodies
//! stay for the development mailbox to show.

use std::time::Duration;

use app::email::as_deliverer;
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::PgPool;

use crate::config::SendGridConfig;

/// After this many failed attempts an email stays in the outbox for an operator to look at.
const MAX_ATTEMPTS: i32 = 12;
const IDLE_POLL: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("SendGrid unreachable: {0}")]
    Transport(String),
    #[error("SendGrid refused the email with status {0}")]
    Refused(u16),
}

pub struct SendGrid {
    http: reqwest::Client,
    config: SendGridConfig,
}

pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl SendGrid {
    pub fn new(config: SendGridConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("an HTTP client with the process's TLS provider");
        Self { http, config }
    }

    /// Sends one email; SendGrid's id for it (`X-Message-Id`), when it gives one.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<Option<String>, SendError> {
        let url = self
            .config
            .base_url
            .join("v3/mail/send")
            .expect("a valid base URL");
        let body = json!({
            "personalizations": [{ "to": [{ "email": email.to }] }],
            "from": { "email": self.config.from, "name": "Ops Intel" },
            "subject": email.subject,
            "content": [
                { "type": "text/plain", "value": email.text },
                { "type": "text/html", "value": email.html },
            ],
        });
        let response = self
            .http
            .post(url)
            .bearer_auth(self.config.api_key.expose_secret())
            .json(&body)
            .send()
            .await
            // Without the URL: error strings must not carry anything but the cause.
            .map_err(|e| SendError::Transport(e.without_url().to_string()))?;
        match response.status().as_u16() {
            200..=299 => Ok(response
                .headers()
                .get("x-message-id")
                .and_then(|v| v.to_str().ok())
                .map(|id| id.chars().take(200).collect())),
            status => Err(SendError::Refused(status)),
        }
    }
}

/// Delivers one due email, if there is one. Returns whether it found one.
pub async fn deliver_next(
    pool: &PgPool,
    sendgrid: &SendGrid,
    retry_base: Duration,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    as_deliverer(&mut tx).await?;
    let Some(row) = sqlx::query!(
        r#"select email_id, to_address, subject, text_body as "text_body!", html_body as "html_body!", attempts
         from email_outbox
         where sent_at is null and next_attempt_at <= now() and attempts < $1
         order by next_attempt_at, email_id limit 1
         for update skip locked"#,
        MAX_ATTEMPTS
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(false);
    };
    let email = OutgoingEmail {
        to: row.to_address,
        subject: row.subject,
        text: row.text_body,
        html: row.html_body,
    };
    match sendgrid.send(&email).await {
        Ok(message_id) => {
            sqlx::query!(
                "update email_outbox set sent_at = now(), attempts = attempts + 1, last_error = null,
                     provider_message_id = $2, text_body = null, html_body = null
                 where email_id = $1",
                row.email_id,
                message_id
            )
            .execute(&mut *tx)
            .await?;
            tracing::info!(email_id = row.email_id, "email delivered");
        }
        Err(e) => {
            let delay = retry_base
                .saturating_mul(1 << row.attempts.clamp(0, 10))
                .min(Duration::from_secs(3600));
            sqlx::query!(
                "update email_outbox set attempts = attempts + 1, last_error = $2,
                     next_attempt_at = now() + make_interval(secs => $3)
                 where email_id = $1",
                row.email_id,
                e.to_string(),
                delay.as_secs_f64()
            )
            .execute(&mut *tx)
            .await?;
            tracing::warn!(email_id = row.email_id, attempt = row.attempts + 1, error = %e, "email delivery failed; will retry");
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Runs for the life of the process.
pub fn spawn_worker(pool: PgPool, sendgrid: SendGrid, retry_base: Duration) {
    tokio::spawn(async move {
        loop {
            match deliver_next(&pool, &sendgrid, retry_base).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "email outbox unavailable"),
            }
            tokio::time::sleep(IDLE_POLL).await;
        }
    });
}
