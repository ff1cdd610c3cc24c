//! The triage job: a thread's conversation to the small model, its answer checked against our
//! types and kept as the thread's suggestion. An answer off the schema is asked for once more,
//! then the thread says it could not be triaged; AI switched off meanwhile, or the allowance
//! used up, and nothing is sent.

use app::work::ai::{
    settings::switch,
    suggest::{unavailable, TriageJob},
    Purpose, Triage, TriageState,
};
use uuid::Uuid;

use super::{
    call::{self, Asked, Call, GiveUp},
    client::Anthropic,
    prompt::{self, ThreadText},
    thread_messages,
};
use crate::jobs::{JobContext, JobError};

pub async fn run(ai: &Anthropic, job: TriageJob, context: &JobContext) -> Result<(), JobError> {
    let org = context.org()?;
    let thread = job.thread_id;
    let mut tx = context.begin().await?;
    let s = switch(&mut tx, org).await?;
    if let Some(why) = unavailable(true, &s) {
        set(&mut tx, org, thread, TriageState::Skipped, None, Some(&why)).await?;
        return context.finish(tx).await;
    }
    // Deleted since: nothing to do.
    let Some((subject, customer, messages)) = thread_messages(&mut tx, org, thread).await? else {
        return context.finish(tx).await;
    };
    let businesses: Vec<(String, String)> = sqlx::query!(
        "select business_id, name from businesses where org_id = $1 and archived_at is null
         order by lower(name), business_id limit $2",
        org,
        prompt::BUSINESSES
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|b| (b.business_id.to_string(), b.name))
    .collect();
    tx.commit().await?;

    let text = ThreadText::new(&subject, &customer, &messages);
    let names: Vec<String> = businesses.iter().map(|(_, n)| n.clone()).collect();
    let model = ai.config().triage_model.clone();
    let body = prompt::triage_body(&model, &text, &names);
    let call = || Call {
        purpose: Purpose::Triage,
        thread: Some(thread),
        by: job.by,
        model: &model,
        tool: prompt::TRIAGE_TOOL,
        body: body.clone(),
    };
    let parse = |input: &serde_json::Value| Triage::from_answer(input, &businesses);
    let (mut tx, state, triage, note) = match call::ask(ai, context, s.limit, call, parse, &GIVE_UP)
        .await?
    {
        Asked::Answer(tx, triage) => {
            let value = serde_json::to_value(&triage).map_err(JobError::fatal)?;
            (tx, TriageState::Done, Some(value), None)
        }
        Asked::OverAllowance => {
            let note = "This month's AI requests are used up: not triaged. They renew on the 1st of next month.";
            (
                context.begin().await?,
                TriageState::Skipped,
                None,
                Some(note),
            )
        }
        Asked::GaveUp(tx, note) => (tx, TriageState::Failed, None, Some(note)),
    };
    set(&mut tx, org, thread, state, triage, note).await?;
    context.finish(tx).await
}

const GIVE_UP: GiveUp = GiveUp {
    refused: "Could not triage: the AI service refused the request.",
    unavailable: "Could not triage: the AI service was unavailable. Ask again later.",
    unusable: "Could not triage: the answer could not be used.",
};

async fn set(
    tx: &mut sqlx::PgConnection,
    org: Uuid,
    thread: Uuid,
    state: TriageState,
    triage: Option<serde_json::Value>,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    // A suggestion already made stays when a later one cannot be.
    sqlx::query!(
        "update inbox_threads set triage_state = $3, triage = coalesce($4, triage), triage_note = $5
         where org_id = $1 and thread_id = $2",
        org,
        thread,
        state.as_str(),
        triage,
        note
    )
    .execute(tx)
    .await?;
    Ok(())
}
