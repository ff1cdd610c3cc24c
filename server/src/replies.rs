//! Delivers the inbox's answers (`app::work::inbox::reply::SendReply`) through SendGrid, one job
//! each: plain text with the customer's last message quoted, the threading headers
//! (`In-Reply-To`, `References`) that put it in the customer's conversation, our own
//! `Message-ID`, and the thread's reply address, so the customer's answer comes back to the same
//! thread. While SendGrid is down the answer stays "sending" and is retried; when SendGrid
//! refuses it for good, or the attempts run out, the message shows it was not delivered.

use std::{sync::Arc, time::Duration};

use app::work::inbox::{
    address::reply_address,
    reply::{with_quote, SendReply},
};

use crate::{
    email::{OutgoingEmail, SendGrid},
    jobs::{JobContext, JobError, Kind},
};

/// Answers this process sends at once.
const AT_ONCE: usize = 4;

pub fn send_reply_kind(sendgrid: SendGrid, domain: String, retry_base: Duration) -> Kind {
    let sendgrid = Arc::new(sendgrid);
    let domain: Arc<str> = domain.into();
    Kind::new(AT_ONCE, retry_base, move |job: SendReply, context| {
        let (sendgrid, domain) = (sendgrid.clone(), domain.clone());
        async move { deliver(&sendgrid, &domain, job, &context).await }
    })
}

async fn deliver(
    sendgrid: &SendGrid,
    domain: &str,
    job: SendReply,
    context: &JobContext,
) -> Result<(), JobError> {
    let org = context.org()?;
    let mut tx = context.begin().await?;
    let row = sqlx::query!(
        r#"select m.text_body, m.subject, m.rfc_message_id as "rfc_message_id!", t.thread_id, t.reply_token,
                  t.customer_address, o.name as org_name,
                  (select a.local_part from inbound_addresses a where a.org_id = m.org_id and a.retired_at is null) as "local_part!"
           from inbox_messages m
           join inbox_threads t on t.org_id = m.org_id and t.thread_id = m.thread_id
           join organisations o on o.org_id = m.org_id
           where m.org_id = $1 and m.message_id = $2 and m.delivery = 'queued'"#,
        org,
        job.message_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    // Sent already (a repeated attempt), or deleted with its thread: nothing to do.
    let Some(row) = row else {
        return context.finish(tx).await;
    };
    // What it answers: the customer's latest message before it, quoted; and the chain of ids.
    let last = sqlx::query!(
        r#"select m.rfc_message_id, m.text_body, m.from_name, m.from_address,
                  to_char(m.created_at at time zone 'UTC', 'DD Mon YYYY HH24:MI') || ' UTC' as "at!"
           from inbox_messages m
           where m.org_id = $1 and m.thread_id = $2 and m.direction = 'in'
           order by m.created_at desc limit 1"#,
        org,
        row.thread_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let chain = sqlx::query_scalar!(
        r#"select rfc_message_id as "id!" from inbox_messages
           where org_id = $1 and thread_id = $2 and rfc_message_id is not null and direction <> 'note'
             and message_id <> $3
           order by created_at"#,
        org,
        row.thread_id,
        job.message_id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let text = match &last {
        Some(l) => {
            let who = if l.from_name.is_empty() {
                l.from_address.clone()
            } else {
                format!("{} <{}>", l.from_name, l.from_address)
            };
            with_quote(&row.text_body, &l.at, &who, &l.text_body)
        }
        None => row.text_body.clone(),
    };
    let bracketed = |id: &str| format!("<{id}>");
    let mut headers = vec![("Message-ID".to_string(), bracketed(&row.rfc_message_id))];
    if let Some(parent) = last.as_ref().and_then(|l| l.rfc_message_id.as_deref()) {
        headers.push(("In-Reply-To".into(), bracketed(parent)));
    }
    if !chain.is_empty() {
        // The newest twenty, as mail programs keep the header short.
        let refs: Vec<String> = chain
            .iter()
            .rev()
            .take(20)
            .rev()
            .map(|id| bracketed(id))
            .collect();
        headers.push(("References".into(), refs.join(" ")));
    }
    let email = OutgoingEmail {
        to: row.customer_address,
        subject: row.subject,
        text,
        html: None,
        from_name: Some(row.org_name),
        reply_to: Some(reply_address(&row.local_part, &row.reply_token, domain)),
        headers,
    };
    // No transaction is open while SendGrid answers.
    let sent = sendgrid.send(&email).await;
    let mut tx = context.begin().await?;
    match sent {
        Ok(_) => {
            sqlx::query!(
                "update inbox_messages set delivery = 'sent', sent_at = now(), delivery_error = null
                 where org_id = $1 and message_id = $2",
                org,
                job.message_id
            )
            .execute(&mut *tx)
            .await?;
            context.finish(tx).await?;
            tracing::info!(%org, message = %job.message_id, "answer delivered");
            Ok(())
        }
        Err(e) => {
            let last_attempt = context.job.attempt >= context.job.max_attempts;
            if e.is_permanent() || last_attempt {
                sqlx::query!(
                    "update inbox_messages set delivery = 'failed', delivery_error = $3
                     where org_id = $1 and message_id = $2",
                    org,
                    job.message_id,
                    if e.is_permanent() {
                        "The email service refused this message, so it was not delivered."
                    } else {
                        "The email service could not be reached for more than a day, so this message was not delivered."
                    }
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                tracing::warn!(%org, message = %job.message_id, error = %e, "answer not delivered");
            }
            Err(e.into_job_error())
        }
    }
}
