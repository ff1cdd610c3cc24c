//! The draft job: a reply to the thread's latest message in the organisation's tone and
//! signature, signed with the asking member's first name, into that member's composer. Links,
//! addresses and numbers the thread does not contain are flagged for the person to check.

use app::work::{
    ai::{draft_from_answer, settings::switch, suggest::unavailable, suggest::DraftJob, Purpose},
    inbox::excerpt::unseen_references,
};
use uuid::Uuid;

use super::{
    call::{self, Asked, Call, GiveUp},
    client::Anthropic,
    prompt::{self, ThreadText, Voice},
    thread_messages,
};
use crate::jobs::{JobContext, JobError};

pub async fn run(ai: &Anthropic, job: DraftJob, context: &JobContext) -> Result<(), JobError> {
    let org = context.org()?;
    let (thread, user) = (job.thread_id, job.user_id);
    let mut tx = context.begin().await?;
    // Asked for again, sent, or the thread deleted since: nothing to do.
    let asked = sqlx::query_scalar!(
        "select state from ai_drafts where org_id = $1 and thread_id = $2 and user_id = $3",
        org,
        thread,
        user
    )
    .fetch_optional(&mut *tx)
    .await?;
    if asked.as_deref() != Some("pending") {
        return context.finish(tx).await;
    }
    let s = switch(&mut tx, org).await?;
    if let Some(why) = unavailable(true, &s) {
        failed(&mut tx, org, thread, user, &why).await?;
        return context.finish(tx).await;
    }
    let Some((subject, customer, messages)) = thread_messages(&mut tx, org, thread).await? else {
        return context.finish(tx).await;
    };
    let member = sqlx::query_scalar!("select name from users where user_id = $1", user)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or_default();
    tx.commit().await?;

    let text = ThreadText::new(&subject, &customer, &messages);
    let model = ai.config().draft_model.clone();
    let voice = Voice {
        tone: s.tone,
        signature: &s.signature,
        member: &member,
    };
    let body = prompt::draft_body(&model, &text, &voice);
    let call = || Call {
        purpose: Purpose::Draft,
        thread: Some(thread),
        by: Some(user),
        model: &model,
        tool: prompt::DRAFT_TOOL,
        body: body.clone(),
    };
    let tx = match call::ask(ai, context, s.limit, call, draft_from_answer, &GIVE_UP).await? {
        Asked::Answer(mut tx, draft) => {
            // What the draft may mention: the thread as stored (the customer's own signature
            // included) and the organisation's signature.
            let known: Vec<&str> = messages
                .iter()
                .map(|(_, t)| t.as_str())
                .chain([subject.as_str(), s.signature.as_str()])
                .collect();
            let unseen = unseen_references(&draft, &known);
            sqlx::query!(
                "update ai_drafts set state = 'ready', body = $4, unseen = $5, note = null, updated_at = now()
                 where org_id = $1 and thread_id = $2 and user_id = $3 and state = 'pending'",
                org,
                thread,
                user,
                draft,
                &unseen
            )
            .execute(&mut *tx)
            .await?;
            tx
        }
        Asked::OverAllowance => {
            let mut tx = context.begin().await?;
            let note = "This month's AI requests are used up. They renew on the 1st of next month.";
            failed(&mut tx, org, thread, user, note).await?;
            tx
        }
        Asked::GaveUp(mut tx, note) => {
            failed(&mut tx, org, thread, user, note).await?;
            tx
        }
    };
    context.finish(tx).await
}

const GIVE_UP: GiveUp = GiveUp {
    refused: "The AI service refused to draft this reply.",
    unavailable: "The AI service is unavailable. Write the reply yourself, or ask again later.",
    unusable: "The draft could not be used. Ask again, or write the reply yourself.",
};

async fn failed(
    tx: &mut sqlx::PgConnection,
    org: Uuid,
    thread: Uuid,
    user: Uuid,
    note: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update ai_drafts set state = 'failed', note = $4, updated_at = now()
         where org_id = $1 and thread_id = $2 and user_id = $3",
        org,
        thread,
        user,
        note
    )
    .execute(tx)
    .await?;
    Ok(())
}
