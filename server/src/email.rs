//! Delivers the email outbox through SendGrid's v3 Mail Send API, one background job per email
//! (see `jobs`): a failed delivery is retried with back-off, honouring SendGrid's `Retry-After`,
//! and nothing is lost if SendGrid or this process fails, because an email counts as sent only
//! once SendGrid has accepted it.
//!
//! Once accepted, an email's bodies are cleared: they hold live links (password resets, email
//! verification), and the row only needs to show the delivery: recipient, subject, kind, times
//! and SendGrid's message id. In development without SendGrid nothing is sent, so the bodies
//! stay for the development mailbox to show.

use std::{sync::Arc, time::Duration};

use app::email::{as_deliverer, SendEmail};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::{
    config::SendGridConfig,
    jobs::{JobContext, JobError, Kind},
};

/// Emails this process sends at once.
const SENDING_AT_ONCE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("SendGrid unreachable: {0}")]
    Transport(String),
    #[error("SendGrid refused the email with status {status}")]
    Refused {
        status: u16,
        /// How long SendGrid asked us to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
    },
}

impl SendError {
    /// Whether trying again may help: a malformed or oversized email never will.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            SendError::Refused {
                status: 400 | 413,
                ..
            }
        )
    }

    pub fn into_job_error(self) -> JobError {
        match self {
            e if e.is_permanent() => JobError::fatal(e),
            SendError::Refused { retry_after, .. } => JobError::retry_after(self, retry_after),
            e => JobError::retry(e),
        }
    }
}

pub struct SendGrid {
    http: reqwest::Client,
    config: SendGridConfig,
}

pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// Absent for plain-text mail (answers from the inbox).
    pub html: Option<String>,
    /// The sender's display name; "Ops Intel" when absent.
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    /// Custom headers, such as the threading headers of an answer.
    pub headers: Vec<(String, String)>,
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
        let mut content = vec![json!({ "type": "text/plain", "value": email.text })];
        if let Some(html) = &email.html {
            content.push(json!({ "type": "text/html", "value": html }));
        }
        let mut body = json!({
            "personalizations": [{ "to": [{ "email": email.to }] }],
            "from": {
                "email": self.config.from,
                "name": email.from_name.as_deref().unwrap_or("Ops Intel"),
            },
            "subject": email.subject,
            "content": content,
        });
        if let Some(reply_to) = &email.reply_to {
            body["reply_to"] = json!({ "email": reply_to });
        }
        if !email.headers.is_empty() {
            body["headers"] = email
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
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
            status => Err(SendError::Refused {
                status,
                retry_after: retry_after(response.headers()),
            }),
        }
    }
}

/// The job that delivers one email of the outbox (`app::email::SendEmail`), a few at once.
pub fn send_kind(sendgrid: SendGrid, retry_base: Duration) -> Kind {
    let sendgrid = Arc::new(sendgrid);
    Kind::new(
        SENDING_AT_ONCE,
        retry_base,
        move |job: SendEmail, context| {
            let sendgrid = sendgrid.clone();
            async move { deliver(&sendgrid, job.email_id, &context).await }
        },
    )
}

async fn deliver(sendgrid: &SendGrid, email_id: i64, context: &JobContext) -> Result<(), JobError> {
    let mut tx = context.pool().begin().await?;
    as_deliverer(&mut tx).await?;
    let row = sqlx::query!(
        "select to_address, subject, text_body, html_body from email_outbox
         where email_id = $1 and sent_at is null",
        email_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    // Already sent (this is a repeated attempt), or erased with its account: nothing to do.
    let Some(row) = row else { return Ok(()) };
    let (Some(text), Some(html)) = (row.text_body, row.html_body) else {
        return Err(JobError::fatal("the email has no body"));
    };
    let email = OutgoingEmail {
        to: row.to_address,
        subject: row.subject,
        text,
        html: Some(html),
        from_name: None,
        reply_to: None,
        headers: Vec::new(),
    };
    // No transaction is open while SendGrid answers.
    let sent = sendgrid.send(&email).await;
    let mut tx = context.pool().begin().await?;
    as_deliverer(&mut tx).await?;
    match sent {
        Ok(message_id) => {
            sqlx::query!(
                "update email_outbox set sent_at = now(), attempts = attempts + 1, last_error = null,
                     provider_message_id = $2, text_body = null, html_body = null,
                     to_address = case when forget_recipient then 'forgotten' else to_address end
                 where email_id = $1 and sent_at is null",
                email_id,
                message_id
            )
            .execute(&mut *tx)
            .await?;
            context.finish(tx).await?;
            tracing::info!(email_id, "email delivered");
            Ok(())
        }
        Err(e) => {
            sqlx::query!(
                "update email_outbox set attempts = attempts + 1, last_error = $2 where email_id = $1",
                email_id,
                e.to_string()
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Err(e.into_job_error())
        }
    }
}

/// A `Retry-After` given in seconds (what SendGrid sends; an HTTP date is not worth the parse).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds.min(86_400)))
}
