//! Triage and drafts as members use them: asking (each a background job, `server/src/ai/`),
//! reading where they stand, and accepting or changing a triage. Nothing here calls the AI
//! service: a request only queues the work, so no page waits on an outside service.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Category, Triage, TriageState, Urgency};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::settings::{switch, AiSwitch},
    crate::{
        access::{self, Member},
        allowance::{self, Meter},
        audit::AuditAction,
        jobs::{enqueue, Job, Queue},
        roles::Permission,
        work::{
            fields::{optional_id, parse_id},
            inbox::thread_subject,
        },
    },
    sqlx::PgConnection,
    uuid::Uuid,
};

/// Triage one thread. `by`: the member who asked, or none for a new thread's own triage.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageJob {
    pub thread_id: Uuid,
    pub by: Option<Uuid>,
}

#[cfg(feature = "ssr")]
impl Job for TriageJob {
    const KIND: &'static str = "ai.triage";
    /// With the back-off doubling from half a minute, most of a day of an outage: messages keep
    /// arriving meanwhile and are triaged when the service returns.
    const MAX_ATTEMPTS: i32 = 12;
}

/// Draft an answer on one thread for the member who asked.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftJob {
    pub thread_id: Uuid,
    pub user_id: Uuid,
}

#[cfg(feature = "ssr")]
impl Job for DraftJob {
    const KIND: &'static str = "ai.draft";
    /// A person is waiting: a few quick attempts, then the draft says the service is away.
    const MAX_ATTEMPTS: i32 = 4;
}

/// What the thread page shows of AI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadAi {
    /// AI can be used here: configured on the server and switched on by the organisation.
    pub available: bool,
    /// Why not, when it cannot, in words for the member.
    pub why_not: Option<String>,
    pub state: TriageState,
    pub suggestion: Option<Triage>,
    pub note: Option<String>,
    /// What a member accepted or chose.
    pub category: Option<Category>,
    pub urgency: Option<Urgency>,
}

/// A draft for the member viewing the thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftView {
    /// `pending`, `ready` or `failed`.
    pub state: String,
    pub body: Option<String>,
    /// Links, addresses and numbers in the draft that the thread does not contain.
    pub unseen: Vec<String>,
    pub note: Option<String>,
}

/// A member's triage of a thread: the suggestion accepted as it is, or changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TriageForm {
    pub thread_id: String,
    /// A [`Category`]'s stored name.
    pub category: String,
    /// An [`Urgency`]'s stored name.
    pub urgency: String,
    /// The business to link when the thread has none (the suggestion's), or empty.
    #[serde(default)]
    pub business_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AiThreadRef {
    pub thread_id: String,
}

/// Why AI cannot be used for this organisation now, if it cannot.
#[cfg(feature = "ssr")]
pub fn unavailable(configured: bool, s: &AiSwitch) -> Option<String> {
    if !configured {
        Some("AI is not configured on this server.".into())
    } else if !s.enabled {
        Some(
            "AI is off for this organisation. An Owner or Admin can switch it on in Settings."
                .into(),
        )
    } else if s.limit == crate::plans::Limit::UpTo(0) {
        Some(
            "The organisation's plan includes no AI requests. An Owner can change the plan.".into(),
        )
    } else {
        None
    }
}

/// Queues a thread's triage when the organisation has AI on; whether it did. Called in the
/// transaction that stores a new thread, and when a member asks again.
#[cfg(feature = "ssr")]
pub async fn queue_triage(
    conn: &mut PgConnection,
    org: Uuid,
    thread_id: Uuid,
    by: Option<Uuid>,
    configured: bool,
) -> Result<bool, sqlx::Error> {
    let s = switch(conn, org).await?;
    if unavailable(configured, &s).is_some() {
        return Ok(false);
    }
    mark_and_enqueue(conn, org, thread_id, by).await?;
    Ok(true)
}

/// Marks the thread's triage pending and queues its job.
#[cfg(feature = "ssr")]
async fn mark_and_enqueue(
    conn: &mut PgConnection,
    org: Uuid,
    thread_id: Uuid,
    by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update inbox_threads set triage_state = 'pending', triage_note = null
         where org_id = $1 and thread_id = $2",
        org,
        thread_id
    )
    .execute(&mut *conn)
    .await?;
    enqueue(
        conn,
        &TriageJob { thread_id, by },
        Queue::for_org(org).dedupe(thread_id.to_string()),
    )
    .await?;
    Ok(())
}

/// The member may use AI here now: configured, on, and with some of the month's allowance left.
#[cfg(feature = "ssr")]
async fn ready_for_ai(m: &mut Member) -> Result<(), AppError> {
    let s = switch(&mut m.tx, m.org_id).await?;
    if let Some(why) = unavailable(m.svc.ai, &s) {
        return Err(AppError::Refused(why));
    }
    let standing = allowance::standing(&mut m.tx, m.org_id, Meter::Ai, s.limit).await?;
    if standing.left() == Some(0) {
        return Err(AppError::OverAllowance(
            "This month's AI requests are used up. They renew on the 1st of next month.".into(),
        ));
    }
    Ok(())
}

/// The thread's AI as the page shows it, from its triage columns as stored.
#[cfg(feature = "ssr")]
pub struct StoredTriage {
    pub state: String,
    pub triage: Option<serde_json::Value>,
    pub note: Option<String>,
    pub category: Option<String>,
    pub urgency: Option<String>,
}

/// What the thread page shows of AI, from the thread's stored triage (read with the thread).
#[cfg(feature = "ssr")]
pub async fn thread_ai(m: &mut Member, t: StoredTriage) -> Result<ThreadAi, AppError> {
    let s = switch(&mut m.tx, m.org_id).await?;
    let why_not = unavailable(m.svc.ai, &s);
    Ok(ThreadAi {
        available: why_not.is_none(),
        why_not,
        state: TriageState::parse(&t.state).unwrap_or(TriageState::NotAsked),
        suggestion: t.triage.and_then(|v| serde_json::from_value(v).ok()),
        note: t.note,
        category: t.category.as_deref().and_then(Category::parse),
        urgency: t.urgency.as_deref().and_then(Urgency::parse),
    })
}

/// Triage the thread (again), as a member asks.
#[server(endpoint = "ai/triage", client = CsrfClient)]
pub async fn triage_thread(slug: String, form: AiThreadRef) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&form.thread_id)?;
    thread_subject(&mut m, id).await?;
    ready_for_ai(&mut m).await?;
    let (org, user) = (m.org_id, m.user_id);
    mark_and_enqueue(&mut m.tx, org, id, Some(user)).await?;
    m.commit().await
}

/// Accepts the triage (or the member's change of it): the thread's category and urgency,
/// which the inbox list filters by, and its business when it had none.
#[server(endpoint = "ai/accept_triage", client = CsrfClient)]
pub async fn accept_triage(slug: String, form: TriageForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&form.thread_id)?;
    let (category, urgency) = super::parse_triage(&form.category, &form.urgency)?;
    let business = optional_id(&form.business_id)?;
    let subject = thread_subject(&mut m, id).await?;
    if let Some(b) = business {
        sqlx::query_scalar!(
            "select 1 as one from businesses where org_id = $1 and business_id = $2",
            m.org_id,
            b
        )
        .fetch_optional(&mut *m.tx)
        .await?
        .ok_or(AppError::NotFound)?;
    }
    sqlx::query!(
        "update inbox_threads set category = $3, urgency = $4, business_id = coalesce(business_id, $5)
         where org_id = $1 and thread_id = $2",
        m.org_id,
        id,
        category.map(Category::as_str),
        urgency.map(Urgency::as_str),
        business
    )
    .execute(&mut *m.tx)
    .await?;
    let said = |label: Option<&str>| label.unwrap_or("none").to_string();
    m.audit(
        AuditAction::ThreadTriaged,
        Some(&id.to_string()),
        &format!(
            "Triaged the thread \"{subject}\": {}, {} urgency",
            said(category.map(Category::label)),
            said(urgency.map(Urgency::label)).to_lowercase()
        ),
    )
    .await?;
    m.commit().await
}

/// Asks for a draft answer for the caller; it lands in their composer when ready.
#[server(endpoint = "ai/request_draft", client = CsrfClient)]
pub async fn request_draft(slug: String, form: AiThreadRef) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&form.thread_id)?;
    thread_subject(&mut m, id).await?;
    ready_for_ai(&mut m).await?;
    sqlx::query!(
        "insert into ai_drafts (org_id, thread_id, user_id) values ($1, $2, $3)
         on conflict (org_id, thread_id, user_id) do update
         set state = 'pending', body = null, unseen = '{}', note = null, updated_at = now()",
        m.org_id,
        id,
        m.user_id
    )
    .execute(&mut *m.tx)
    .await?;
    let job = DraftJob {
        thread_id: id,
        user_id: m.user_id,
    };
    let key = format!("{id}:{}", m.user_id);
    enqueue(&mut m.tx, &job, Queue::for_org(m.org_id).dedupe(key)).await?;
    m.commit().await
}

/// The caller's draft on the thread, if they asked for one.
#[server(endpoint = "ai/draft", client = CsrfClient)]
pub async fn get_draft(slug: String, form: AiThreadRef) -> Result<Option<DraftView>, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&form.thread_id)?;
    let draft = sqlx::query!(
        "select state, body, unseen, note from ai_drafts
         where org_id = $1 and thread_id = $2 and user_id = $3",
        m.org_id,
        id,
        m.user_id
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    Ok(draft.map(|d| DraftView {
        state: d.state,
        body: d.body,
        unseen: d.unseen,
        note: d.note,
    }))
}

/// The caller's ready draft on the thread, taken as they send an answer that began from it:
/// whether they changed it. `None` when there was no such draft.
#[cfg(feature = "ssr")]
pub async fn take_draft(
    m: &mut Member,
    thread: Uuid,
    sent: &str,
) -> Result<Option<bool>, AppError> {
    let body = sqlx::query_scalar!(
        "delete from ai_drafts where org_id = $1 and thread_id = $2 and user_id = $3 and state = 'ready'
         returning body",
        m.org_id,
        thread,
        m.user_id
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    Ok(body.map(|b| normalise(b.as_deref().unwrap_or_default()) != normalise(sent)))
}

/// Text compared for "edited": line endings and the ends of lines do not count.
#[cfg(feature = "ssr")]
fn normalise(s: &str) -> String {
    s.trim()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}
