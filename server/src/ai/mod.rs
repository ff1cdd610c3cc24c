//! AI triage and drafts (`app::work::ai`) as background jobs calling Anthropic's Messages API.
//!
//! - [`client`]: the API, and what each failure means for the job.
//! - [`prompt`]: what is sent, and nothing more; email kept as delimited data.
//! - [`call`]: each call counted against the allowance and on the record before it is made.
//! - [`triage`] and [`draft`]: the jobs; an answer off its schema is asked for once more, then
//!   the thread says it could not be triaged. While the service is busy or down the jobs wait
//!   and retry; the thread shows its triage as pending meanwhile.
//! - [`eval`]: triage over the repository's evaluation set, for an operator to measure a model.

pub mod call;
pub mod client;
pub mod draft;
pub mod eval;
pub mod prompt;
pub mod triage;

use std::{sync::Arc, time::Duration};

use crate::jobs::{Kind, Rate};

/// Calls at once per process, and across every process a pace well inside the API's limits.
const AT_ONCE: usize = 4;
const RATE: Rate = Rate {
    per_second: 5.0,
    burst: 10,
};

/// The job kinds, sharing one client.
pub fn kinds(client: client::Anthropic, triage_retry: Duration) -> Vec<Kind> {
    let client = Arc::new(client);
    let for_draft = client.clone();
    vec![
        Kind::new(AT_ONCE, triage_retry, move |job, context| {
            let client = client.clone();
            async move { triage::run(&client, job, &context).await }
        })
        .rate_limited(RATE),
        // A person waits for a draft: its retries come quickly.
        Kind::new(AT_ONCE, Duration::from_secs(2), move |job, context| {
            let client = for_draft.clone();
            async move { draft::run(&client, job, &context).await }
        })
        .rate_limited(RATE),
    ]
}

/// A thread's subject, customer name and messages (customer's or the team's, oldest first;
/// internal notes never), as the jobs read them in the organisation's transaction.
pub(crate) async fn thread_messages(
    tx: &mut sqlx::PgConnection,
    org: uuid::Uuid,
    thread: uuid::Uuid,
) -> Result<Option<(String, String, Vec<(bool, String)>)>, sqlx::Error> {
    let Some(t) = sqlx::query!(
        "select subject, customer_name from inbox_threads where org_id = $1 and thread_id = $2",
        org,
        thread
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let messages = sqlx::query!(
        "select direction, text_body, html_body from inbox_messages
         where org_id = $1 and thread_id = $2 and direction in ('in', 'out')
         order by created_at, message_id",
        org,
        thread
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|m| {
        let text = match (m.text_body.trim().is_empty(), m.html_body) {
            (true, Some(html)) => app::work::inbox::sanitise::text_of(&html),
            _ => m.text_body,
        };
        (m.direction == "in", text)
    })
    .collect();
    Ok(Some((t.subject, t.customer_name, messages)))
}
