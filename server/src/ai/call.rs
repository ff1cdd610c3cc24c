//! One call to the AI service, on the record: counted against the organisation's monthly
//! allowance and recorded (with the fingerprint of exactly what is sent) in one transaction
//! before it is made; ended with its cost, latency and outcome after, in the transaction the
//! job then writes its result in. A call the service refused because it was busy or down is
//! given back to the allowance; no transaction is open while the service answers.

use app::{
    allowance::{self, Meter, Standing},
    plans::Limit,
    work::ai::{Outcome, Purpose},
};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{
    client::{Answer, Anthropic, Failed},
    prompt::fingerprint,
};
use crate::jobs::{JobContext, JobError};

/// What is asked, why, and by whom (`None`: a new message's own triage).
pub struct Call<'a> {
    pub purpose: Purpose,
    pub thread: Uuid,
    pub by: Option<Uuid>,
    pub model: &'a str,
    pub tool: &'a str,
    pub body: Vec<u8>,
}

pub enum Made {
    /// The call was made: how it went, and the open transaction that ended its record.
    Done {
        tx: Transaction<'static, Postgres>,
        request: Uuid,
        result: Result<Answer, Failed>,
    },
    /// The month's allowance has none left: no call was made.
    OverAllowance(Standing),
}

pub async fn make(
    ai: &Anthropic,
    context: &JobContext,
    limit: Limit,
    call: Call<'_>,
) -> Result<Made, JobError> {
    let org = context.org()?;
    let mut tx = context.begin().await?;
    if let Err(standing) = allowance::take(&mut tx, org, Meter::Ai, limit, 1).await? {
        return Ok(Made::OverAllowance(standing));
    }
    let request = sqlx::query_scalar!(
        "insert into ai_requests (org_id, thread_id, purpose, model, started_by, trigger, content_sha256)
         values ($1, $2, $3, $4, $5, $6, $7) returning request_id",
        org,
        call.thread,
        call.purpose.as_str(),
        call.model,
        call.by,
        if call.by.is_some() { "member" } else { "new_message" },
        fingerprint(&call.body)
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;

    let result = ai.call(call.body, call.tool).await;

    let mut tx = context.begin().await?;
    let (outcome, usage, latency) = match &result {
        Ok(a) => (Outcome::Ok, a.usage, a.latency),
        Err(f) => (f.error.outcome(), f.usage, f.latency),
    };
    end(&mut tx, org, request, outcome).await?;
    sqlx::query!(
        "update ai_requests set input_tokens = $3, output_tokens = $4, latency_ms = $5
         where org_id = $1 and request_id = $2",
        org,
        request,
        usage.input_tokens.min(i32::MAX as u32) as i32,
        usage.output_tokens.min(i32::MAX as u32) as i32,
        latency.as_millis().min(i32::MAX as u128) as i32
    )
    .execute(&mut *tx)
    .await?;
    Ok(Made::Done {
        tx,
        request,
        result,
    })
}

/// Sets how the call ended (an answer we could not use is `invalid`); one the service did no
/// work for goes back to the allowance.
pub async fn end(
    tx: &mut sqlx::PgConnection,
    org: Uuid,
    request: Uuid,
    outcome: Outcome,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update ai_requests set outcome = $3, finished_at = now() where org_id = $1 and request_id = $2",
        org,
        request,
        outcome.as_str()
    )
    .execute(&mut *tx)
    .await?;
    if !outcome.is_charged() {
        allowance::give_back(tx, org, Meter::Ai, 1).await?;
    }
    Ok(())
}

/// Whether this attempt is the job's last: a passing outage then ends in a message, not a retry.
pub fn last_attempt(context: &JobContext) -> bool {
    context.job.attempt >= context.job.max_attempts
}
