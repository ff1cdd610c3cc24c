//! One call to the AI service, on the record: counted against the organisation's monthly
//! allowance and recorded (with the fingerprint of exactly what is sent) in one transaction
//! before it is made; ended with its cost, latency and outcome after, in the transaction the
//! job then writes its result in. A call the service refused because it was busy or down is
//! given back to the allowance; no transaction is open while the service answers.

use app::{
    allowance::{self, Meter},
    plans::Limit,
    work::ai::{Outcome, Purpose},
};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{
    client::{AiError, Answer, Anthropic, Failed},
    prompt::fingerprint,
};
use crate::jobs::{JobContext, JobError};

/// What is asked, why, and by whom (`None`: a new message's own triage).
#[derive(Clone)]
pub struct Call<'a> {
    pub purpose: Purpose,
    /// The conversation it is about, if any (a digest is about a week).
    pub thread: Option<Uuid>,
    pub by: Option<Uuid>,
    pub model: &'a str,
    pub tool: &'a str,
    pub body: Vec<u8>,
}

enum Made {
    /// The call was made: how it went, and the open transaction that ended its record.
    Done {
        tx: Transaction<'static, Postgres>,
        request: Uuid,
        result: Result<Answer, Failed>,
    },
    /// The month's allowance has none left: no call was made.
    OverAllowance,
}

async fn make(
    ai: &Anthropic,
    context: &JobContext,
    limit: Limit,
    call: Call<'_>,
) -> Result<Made, JobError> {
    let org = context.org()?;
    let mut tx = context.begin().await?;
    if allowance::take(&mut tx, org, Meter::Ai, limit, 1)
        .await?
        .is_err()
    {
        return Ok(Made::OverAllowance);
    }
    let request = sqlx::query_scalar!(
        "insert into ai_requests (org_id, thread_id, purpose, model, started_by, trigger, content_sha256)
         values ($1, $2, $3, $4, $5, $6, $7) returning request_id",
        org,
        call.thread,
        call.purpose.as_str(),
        call.model,
        call.by,
        match (call.purpose, call.by) {
            (Purpose::Digest, _) => "schedule",
            (_, Some(_)) => "member",
            (_, None) => "new_message",
        },
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
fn last_attempt(context: &JobContext) -> bool {
    context.job.attempt >= context.job.max_attempts
}

/// What a job tells the person when it gives up.
pub struct GiveUp {
    /// The service refused the request (a fault of ours, logged).
    pub refused: &'static str,
    /// The service stayed busy or down until the job's last attempt.
    pub unavailable: &'static str,
    /// Two answers in a row did not fit their schema.
    pub unusable: &'static str,
}

/// What became of asking.
pub enum Asked<T> {
    /// A usable answer, with the open transaction that ended its call's record.
    Answer(Transaction<'static, Postgres>, T),
    /// The month's allowance had none left: nothing was sent.
    OverAllowance,
    /// Given up, with what the person is told, in an open transaction.
    GaveUp(Transaction<'static, Postgres>, &'static str),
}

/// Makes `call`, and once more when its answer does not `parse` (each call counted and on the
/// record). While the service is busy or down, the job's retry is the error returned; after its
/// last attempt, or a refusal, it gives up.
pub async fn ask<'a, T>(
    ai: &Anthropic,
    context: &JobContext,
    limit: Limit,
    call: impl Fn() -> Call<'a>,
    parse: impl Fn(&serde_json::Value) -> Result<T, String>,
    give_up: &GiveUp,
) -> Result<Asked<T>, JobError> {
    let org = context.org()?;
    for asked in 1..=2 {
        let (mut tx, request, result) = match make(ai, context, limit, call()).await? {
            Made::OverAllowance => return Ok(Asked::OverAllowance),
            Made::Done {
                tx,
                request,
                result,
            } => (tx, request, result),
        };
        let why = match result {
            Ok(answer) => match parse(&answer.input) {
                Ok(value) => return Ok(Asked::Answer(tx, value)),
                Err(why) => {
                    end(&mut tx, org, request, Outcome::Invalid).await?;
                    why
                }
            },
            Err(failed) => match failed.error {
                AiError::Unusable(why) => why,
                error @ AiError::Refused { .. } => {
                    tracing::error!(%org, kind = context.job.kind, %error, "the AI service refused a request");
                    return Ok(Asked::GaveUp(tx, give_up.refused));
                }
                error if last_attempt(context) => {
                    tracing::warn!(%org, kind = context.job.kind, %error, "AI work given up after its last attempt");
                    return Ok(Asked::GaveUp(tx, give_up.unavailable));
                }
                // Busy or down: the job waits and tries again.
                error => {
                    tx.commit().await?;
                    return Err(error.into());
                }
            },
        };
        tracing::warn!(%org, kind = context.job.kind, asked, %why, "an AI answer off its schema");
        if asked == 2 {
            return Ok(Asked::GaveUp(tx, give_up.unusable));
        }
        tx.commit().await?;
    }
    unreachable!("the second answer ends the loop")
}
