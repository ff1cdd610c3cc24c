//! The inbox: customer email that arrives through SendGrid Inbound Parse (received by
//! `server/src/inbound/`), threaded, linked to businesses and issues, and answered from here.
//! Viewers read; answering, notes, assigning, status and links need `Edit`; deleting a thread
//! needs `ArchiveDelete` (the roles matrix, `crate::roles`).

pub mod address;
pub mod excerpt;
pub mod reply;
#[cfg(feature = "ssr")]
pub mod sanitise;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::ai::{suggest::ThreadAi, Category, TriageState, Urgency};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::fields::{choice, optional_choice, optional_id, parse_id, InField},
    super::issues::{insert_issue, IssueForm, IssueInput},
    super::notifications::{notify, Kind, Notice, Notifier},
    crate::access::{self, Member},
    crate::audit::AuditAction,
    crate::domain::MessageBody,
    crate::jobs::{enqueue, Queue},
    crate::roles::Permission,
    reply::SendReply,
    uuid::Uuid,
};

/// The most of a customer's message an issue opened from it takes as its description.
#[cfg(feature = "ssr")]
const ISSUE_DESCRIPTION_CHARS: usize = 19_000;

choice!(
    /// Where a conversation stands.
    ThreadStatus {
        Open => ("open", "Open"),
        Waiting => ("waiting", "Waiting on customer"),
        Closed => ("closed", "Closed"),
    }
);

choice!(
    /// A message of a thread: from the customer, an answer, or a note only members see.
    Direction {
        In => ("in", "Received"),
        Out => ("out", "Reply"),
        Note => ("note", "Internal note"),
    }
);

choice!(
    /// Where an answer's delivery stands.
    Delivery {
        Queued => ("queued", "Sending…"),
        Sent => ("sent", "Sent"),
        Failed => ("failed", "Not delivered"),
    }
);

/// Threads per page of the list.
pub const PAGE_SIZE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadSummary {
    pub id: String,
    pub subject: String,
    /// The customer's name, or their address when they gave none.
    pub customer: String,
    pub status: ThreadStatus,
    pub awaiting_reply: bool,
    pub assignee: Option<String>,
    pub business: Option<String>,
    pub last_message_at: crate::domain::Moment,
    pub preview: String,
    pub messages: i64,
    /// The category and urgency a member accepted, or else the triage's suggestion.
    pub category: Option<Category>,
    pub urgency: Option<Urgency>,
    /// Whether those are still only the triage's suggestion.
    pub suggested: bool,
    pub triage: TriageState,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InboxPage {
    pub threads: Vec<ThreadSummary>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// The list's filters, as its form sends them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InboxQuery {
    /// A [`ThreadStatus`]'s stored name, or empty for every status.
    #[serde(default)]
    pub status: String,
    /// `mine`, `unassigned`, or empty for anyone.
    #[serde(default)]
    pub who: String,
    /// A business's id, or empty for any.
    #[serde(default)]
    pub business_id: String,
    /// A [`Category`]'s stored name (accepted, or else suggested), or empty for any.
    #[serde(default)]
    pub category: String,
    /// An [`Urgency`]'s stored name (accepted, or else suggested), or empty for any.
    #[serde(default)]
    pub urgency: String,
    /// The cursor of the page to show (from [`InboxPage::next`]), or empty for the first.
    #[serde(default)]
    pub after: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachmentView {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: String,
    pub direction: Direction,
    /// Who wrote it: the customer's name and address, or the member's name.
    pub from: String,
    pub at: crate::domain::Moment,
    pub text: String,
    /// Sanitised HTML, shown only when the message has no text of its own.
    pub html: Option<String>,
    pub blocked_images: usize,
    pub delivery: Option<Delivery>,
    pub delivery_error: Option<String>,
    pub attachments: Vec<AttachmentView>,
    /// Attachments the organisation's storage allowance had no room for.
    pub attachments_dropped: i32,
    /// An answer that began as an AI draft, and whether the person changed it.
    pub ai_draft: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadView {
    pub id: String,
    pub subject: String,
    pub customer_name: String,
    pub customer_address: String,
    pub status: ThreadStatus,
    pub awaiting_reply: bool,
    pub assignee_id: Option<String>,
    pub business_id: Option<String>,
    pub business_name: Option<String>,
    pub issue_number: Option<i32>,
    pub messages: Vec<MessageView>,
    pub images_shown: bool,
    pub ai: ThreadAi,
}

/// Which thread, and whether its remote images are shown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadQuery {
    pub thread_id: String,
    #[serde(default)]
    pub images: bool,
}

/// A change to a thread's status, assignee or business, as its form sends them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadUpdate {
    pub thread_id: String,
    /// A [`ThreadStatus`]'s stored name.
    pub status: String,
    /// A member's id, or empty for nobody.
    pub assignee_id: String,
    /// A business's id, or empty for none.
    pub business_id: String,
}

/// A reply to the customer, or an internal note.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageForm {
    pub thread_id: String,
    pub body: String,
    /// The answer began as the sender's AI draft.
    #[serde(default)]
    pub from_draft: bool,
}

/// An issue opened from a thread.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadIssueForm {
    pub thread_id: String,
    pub title: String,
    /// A [`super::IssueKind`]'s stored name.
    pub kind: String,
    /// A [`super::Priority`]'s stored name.
    pub priority: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadRef {
    pub thread_id: String,
}

#[cfg(feature = "ssr")]
fn status_choice(value: &str) -> Result<Option<ThreadStatus>, AppError> {
    optional_choice(value, ThreadStatus::parse, "status", "Choose a status.")
}

/// The list cursor: the last thread's time (microseconds) and id.
#[cfg(feature = "ssr")]
fn parse_cursor(after: &str) -> Result<Option<(i64, Uuid)>, AppError> {
    if after.trim().is_empty() {
        return Ok(None);
    }
    let (micros, id) = after
        .split_once('_')
        .ok_or_else(|| AppError::invalid("after", "This page link is not valid."))?;
    let micros = micros
        .parse()
        .map_err(|_| AppError::invalid("after", "This page link is not valid."))?;
    Ok(Some((micros, parse_id(id)?)))
}

#[server(endpoint = "inbox/threads", client = CsrfClient)]
pub async fn list_threads(slug: String, form: InboxQuery) -> Result<InboxPage, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let status = status_choice(&form.status)?;
    let (mine, unassigned) = match form.who.trim() {
        "" => (false, false),
        "mine" => (true, false),
        "unassigned" => (false, true),
        _ => return Err(AppError::invalid("who", "Choose whose threads to show.")),
    };
    let business = optional_id(&form.business_id)?;
    let (category, urgency) = super::ai::parse_triage(&form.category, &form.urgency)?;
    let cursor = parse_cursor(&form.after)?;
    // The page is chosen first, by the filters and the order alone; only its threads' latest
    // message and count are then looked up.
    let rows = sqlx::query!(
        r#"with page as (
               select t.* from inbox_threads t
               where t.org_id = $1
                 and ($2::text is null or t.status = $2)
                 and (not $3 or t.assignee_id = $4)
                 and (not $5 or t.assignee_id is null)
                 and ($6::uuid is null or t.business_id = $6)
                 -- A suggestion holds each choice by its name, whose lower case is the stored name.
                 and ($10::text is null or coalesce(t.category, lower(t.triage->>'category')) = $10)
                 and ($11::text is null or coalesce(t.urgency, lower(t.triage->>'urgency')) = $11)
                 and ($7::bigint is null
                      or (t.last_message_at, t.thread_id) < (to_timestamp($7::bigint / 1000000.0), $8::uuid))
               order by t.last_message_at desc, t.thread_id desc
               limit $9
           )
           select t.thread_id, t.subject, t.customer_name, t.customer_address, t.status,
                  t.awaiting_reply, u.name as "assignee?", b.name as "business?",
                  t.category, t.urgency, t.triage_state,
                  lower(t.triage->>'category') as "suggested_category?",
                  lower(t.triage->>'urgency') as "suggested_urgency?",
                  (extract(epoch from t.last_message_at) * 1000000)::bigint as "at_micros!",
                  t.last_message_at as "last_at!",
                  coalesce(last.preview, '') as "preview!",
                  (select count(*) from inbox_messages c
                   where c.org_id = t.org_id and c.thread_id = t.thread_id and c.direction <> 'note') as "count!"
           from page t
           left join users u on u.user_id = t.assignee_id
           left join businesses b on b.org_id = t.org_id and b.business_id = t.business_id
           left join lateral (
               select left(regexp_replace(left(m.text_body, 400), '\s+', ' ', 'g'), 140) as preview
               from inbox_messages m
               where m.org_id = t.org_id and m.thread_id = t.thread_id and m.direction <> 'note'
               order by m.created_at desc limit 1
           ) last on true
           order by t.last_message_at desc, t.thread_id desc"#,
        m.org_id,
        status.map(ThreadStatus::as_str),
        mine,
        m.user_id,
        unassigned,
        business,
        cursor.map(|c| c.0),
        cursor.map(|c| c.1),
        PAGE_SIZE + 1,
        category.map(Category::as_str),
        urgency.map(Urgency::as_str)
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let mut threads = Vec::with_capacity(rows.len());
    let mut next = None;
    for r in rows.into_iter().take(PAGE_SIZE as usize) {
        next = Some(format!("{}_{}", r.at_micros, r.thread_id));
        threads.push(ThreadSummary {
            id: r.thread_id.to_string(),
            subject: r.subject,
            customer: if r.customer_name.is_empty() {
                r.customer_address
            } else {
                r.customer_name
            },
            status: ThreadStatus::parse(&r.status).unwrap_or(ThreadStatus::Open),
            awaiting_reply: r.awaiting_reply,
            assignee: r.assignee,
            business: r.business,
            last_message_at: m.moment(r.last_at),
            preview: r.preview,
            messages: r.count,
            suggested: r.category.is_none() && r.suggested_category.is_some(),
            category: r
                .category
                .or(r.suggested_category)
                .as_deref()
                .and_then(Category::parse),
            urgency: r
                .urgency
                .or(r.suggested_urgency)
                .as_deref()
                .and_then(Urgency::parse),
            triage: TriageState::parse(&r.triage_state).unwrap_or(TriageState::NotAsked),
        });
    }
    Ok(InboxPage {
        threads,
        next: next.filter(|_| more),
    })
}

#[server(endpoint = "inbox/thread", client = CsrfClient)]
pub async fn get_thread(slug: String, form: ThreadQuery) -> Result<ThreadView, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let id = parse_id(&form.thread_id)?;
    let t = sqlx::query!(
        r#"select t.subject, t.customer_name, t.customer_address, t.status, t.awaiting_reply,
                  t.assignee_id, t.business_id, b.name as "business_name?", i.number as "issue_number?",
                  t.triage_state, t.triage, t.triage_note, t.category, t.urgency
           from inbox_threads t
           left join businesses b on b.org_id = t.org_id and b.business_id = t.business_id
           left join issues i on i.org_id = t.org_id and i.issue_id = t.issue_id
           where t.org_id = $1 and t.thread_id = $2"#,
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let rows = sqlx::query!(
        r#"select m.message_id, m.direction, m.from_address, m.from_name, u.name as "author?",
                  m.created_at,
                  m.text_body, m.html_body, m.delivery, m.delivery_error, m.attachments_dropped,
                  m.ai_edited
           from inbox_messages m left join users u on u.user_id = m.author_id
           where m.org_id = $1 and m.thread_id = $2
           order by m.created_at, m.message_id"#,
        m.org_id,
        id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let files = sqlx::query!(
        "select a.attachment_id, a.message_id, a.file_name, a.content_type, a.size_bytes
         from inbox_attachments a join inbox_messages m using (org_id, message_id)
         where a.org_id = $1 and m.thread_id = $2 order by a.message_id, a.position",
        m.org_id,
        id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let messages = rows
        .into_iter()
        .map(|r| {
            let direction = Direction::parse(&r.direction).unwrap_or(Direction::In);
            // Text is preferred; HTML is shown, sanitised, only when there is no text.
            let (html, blocked_images) = match (&r.html_body, r.text_body.trim().is_empty()) {
                (Some(html), true) => {
                    let s = sanitise::sanitise(html, form.images);
                    (Some(s.html), s.blocked_images)
                }
                _ => (None, 0),
            };
            let from = match direction {
                Direction::In if r.from_name.is_empty() => r.from_address.clone(),
                Direction::In => format!("{} <{}>", r.from_name, r.from_address),
                _ => r.author.clone().unwrap_or_else(|| "A former member".into()),
            };
            MessageView {
                id: r.message_id.to_string(),
                direction,
                from,
                at: m.moment(r.created_at),
                text: r.text_body,
                html,
                blocked_images,
                delivery: r.delivery.as_deref().and_then(Delivery::parse),
                delivery_error: r.delivery_error,
                attachments: files
                    .iter()
                    .filter(|f| f.message_id == r.message_id)
                    .map(|f| AttachmentView {
                        id: f.attachment_id.to_string(),
                        name: f.file_name.clone(),
                        content_type: f.content_type.clone(),
                        size: f.size_bytes.into(),
                    })
                    .collect(),
                attachments_dropped: r.attachments_dropped,
                ai_draft: r.ai_edited,
            }
        })
        .collect();
    let triage = super::ai::suggest::StoredTriage {
        state: t.triage_state,
        triage: t.triage,
        note: t.triage_note,
        category: t.category,
        urgency: t.urgency,
    };
    Ok(ThreadView {
        id: id.to_string(),
        subject: t.subject,
        customer_name: t.customer_name,
        customer_address: t.customer_address,
        status: ThreadStatus::parse(&t.status).unwrap_or(ThreadStatus::Open),
        awaiting_reply: t.awaiting_reply,
        assignee_id: t.assignee_id.map(|a| a.to_string()),
        business_id: t.business_id.map(|b| b.to_string()),
        business_name: t.business_name,
        issue_number: t.issue_number,
        messages,
        images_shown: form.images,
        ai: super::ai::suggest::thread_ai(&mut m, triage).await?,
    })
}

/// The thread's subject, for the audit log, with the thread held for the change; "not found"
/// when it is not this organisation's.
#[cfg(feature = "ssr")]
pub(crate) async fn thread_subject(m: &mut Member, id: Uuid) -> Result<String, AppError> {
    sqlx::query_scalar!(
        "select subject from inbox_threads where org_id = $1 and thread_id = $2 for update",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)
}

#[server(endpoint = "inbox/update_thread", client = CsrfClient)]
pub async fn update_thread(slug: String, form: ThreadUpdate) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&form.thread_id)?;
    let status = choice(
        &form.status,
        ThreadStatus::parse,
        "status",
        "Choose a status.",
    )?;
    let assignee = optional_id(&form.assignee_id)?;
    let business = optional_id(&form.business_id)?;
    let subject = thread_subject(&mut m, id).await?;
    let linked = sqlx::query_scalar!(
        r#"select ($2::uuid is null or exists (select 1 from memberships where org_id = $1 and user_id = $2))
              and ($3::uuid is null or exists (select 1 from businesses where org_id = $1 and business_id = $3)) as "ok!""#,
        m.org_id,
        assignee,
        business
    )
    .fetch_one(&mut *m.tx)
    .await?;
    if !linked {
        return Err(AppError::NotFound);
    }
    let before = sqlx::query_scalar!(
        "select assignee_id from inbox_threads where org_id = $1 and thread_id = $2 for update",
        m.org_id,
        id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    sqlx::query!(
        "update inbox_threads set status = $3, assignee_id = $4, business_id = $5,
                awaiting_reply = awaiting_reply and $3 <> 'closed'
         where org_id = $1 and thread_id = $2",
        m.org_id,
        id,
        status.as_str(),
        assignee,
        business
    )
    .execute(&mut *m.tx)
    .await?;
    if let Some(to) = assignee.filter(|a| before != Some(*a)) {
        let notice = Notice {
            to,
            kind: Kind::ThreadAssigned,
            title: format!("assigned the conversation \"{subject}\" to you"),
            link: format!("/o/{}/inbox/{id}", m.slug),
        };
        notify(&mut Notifier::of(&mut m), notice).await?;
    }
    m.audit(
        AuditAction::ThreadUpdated,
        Some(&id.to_string()),
        &format!("Updated the thread \"{subject}\": {}", status.label()),
    )
    .await?;
    m.commit().await
}

#[server(endpoint = "inbox/note", client = CsrfClient)]
pub async fn add_note(slug: String, form: MessageForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&form.thread_id)?;
    let body = MessageBody::parse(&form.body).in_field("body")?;
    thread_subject(&mut m, id).await?;
    sqlx::query!(
        "insert into inbox_messages (org_id, thread_id, direction, text_body, author_id)
         values ($1, $2, 'note', $3, $4)",
        m.org_id,
        id,
        body.as_str(),
        m.user_id
    )
    .execute(&mut *m.tx)
    .await?;
    m.commit().await
}

/// Queues an answer to the customer; the job delivers it (and retries while SendGrid is down),
/// and the thread shows it as sending until then.
#[server(endpoint = "inbox/reply", client = CsrfClient)]
pub async fn reply_to_thread(slug: String, form: MessageForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&form.thread_id)?;
    let body = MessageBody::parse(&form.body).in_field("body")?;
    let subject = thread_subject(&mut m, id).await?;
    // Our Message-ID for it, which the customer's answer will name in In-Reply-To.
    let message = Uuid::new_v4();
    let rfc_message_id = format!("{message}@{}", m.svc.inbound_domain);
    // Whether it began as the sender's AI draft, and whether they changed it.
    let edited = match form.from_draft {
        true => super::ai::suggest::take_draft(&mut m, id, body.as_str()).await?,
        false => None,
    };
    sqlx::query!(
        "insert into inbox_messages (org_id, message_id, thread_id, direction, text_body, author_id,
                                     delivery, subject, rfc_message_id, ai_draft, ai_edited)
         values ($1, $2, $3, 'out', $4, $5, 'queued', $6, $7, $8, $9)",
        m.org_id,
        message,
        id,
        body.as_str(),
        m.user_id,
        reply::reply_subject(&subject),
        rfc_message_id,
        edited.is_some(),
        edited
    )
    .execute(&mut *m.tx)
    .await?;
    sqlx::query!(
        "update inbox_threads set awaiting_reply = false, last_message_at = now(),
                status = case when status = 'open' then 'waiting' else status end,
                first_response_at = coalesce(first_response_at, now())
         where org_id = $1 and thread_id = $2",
        m.org_id,
        id
    )
    .execute(&mut *m.tx)
    .await?;
    enqueue(
        &mut m.tx,
        &SendReply {
            message_id: message,
        },
        Queue::for_org(m.org_id).dedupe(message.to_string()),
    )
    .await?;
    m.audit(
        AuditAction::ThreadReplied,
        Some(&id.to_string()),
        &format!("Replied to the thread \"{subject}\""),
    )
    .await?;
    m.commit().await
}

/// Opens an issue from a thread: the customer's first message is its description, the
/// thread's business its business; the thread and the issue link to each other.
#[server(endpoint = "inbox/to_issue", client = CsrfClient)]
pub async fn thread_to_issue(slug: String, form: ThreadIssueForm) -> Result<i32, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&form.thread_id)?;
    let t = sqlx::query!(
        r#"select t.business_id, t.issue_id, t.customer_address,
                  (select m.text_body from inbox_messages m where m.org_id = t.org_id and m.thread_id = t.thread_id
                     and m.direction = 'in' order by m.created_at limit 1) as "first_text?"
           from inbox_threads t where t.org_id = $1 and t.thread_id = $2 for update of t"#,
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if t.issue_id.is_some() {
        return Err(AppError::Refused(
            "This thread has an issue already.".into(),
        ));
    }
    let text = t.first_text.unwrap_or_default();
    let description: String = format!("From {}:\n\n{}", t.customer_address, text.trim())
        .chars()
        .take(ISSUE_DESCRIPTION_CHARS)
        .collect();
    let issue = IssueForm {
        title: form.title.clone(),
        description,
        kind: form.kind,
        priority: form.priority,
        status: String::new(),
        business_id: t.business_id.map(|b| b.to_string()).unwrap_or_default(),
        assignee_id: String::new(),
        due_on: String::new(),
    };
    let input = IssueInput::try_from(issue.opening())?;
    let number = insert_issue(&mut m, &input).await?;
    sqlx::query!(
        "update inbox_threads set issue_id = (select issue_id from issues where org_id = $1 and number = $3)
         where org_id = $1 and thread_id = $2",
        m.org_id,
        id,
        number
    )
    .execute(&mut *m.tx)
    .await?;
    m.audit(
        AuditAction::IssueCreated,
        Some(&format!("#{number}")),
        &format!(
            "Opened issue #{number} from a message: {}",
            form.title.trim()
        ),
    )
    .await?;
    m.commit().await?;
    Ok(number)
}

#[server(endpoint = "inbox/delete_thread", client = CsrfClient)]
pub async fn delete_thread(slug: String, form: ThreadRef) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::ArchiveDelete).await?;
    let id = parse_id(&form.thread_id)?;
    let subject = thread_subject(&mut m, id).await?;
    sqlx::query!(
        "delete from inbox_threads where org_id = $1 and thread_id = $2",
        m.org_id,
        id
    )
    .execute(&mut *m.tx)
    .await?;
    m.audit(
        AuditAction::ThreadDeleted,
        Some(&id.to_string()),
        &format!("Deleted the thread \"{subject}\""),
    )
    .await?;
    let slug = m.slug.clone();
    m.commit().await?;
    leptos_axum::redirect(&format!("/o/{slug}/inbox"));
    Ok(())
}

/// The organisation's receiving address, and how to forward mail to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundAddress {
    pub address: String,
}

#[server(endpoint = "inbox/address", client = CsrfClient)]
pub async fn get_inbound_address(slug: String) -> Result<InboundAddress, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let local = sqlx::query_scalar!(
        "select local_part from inbound_addresses where org_id = $1 and retired_at is null",
        m.org_id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    Ok(InboundAddress {
        address: address::inbound_address(&local, &m.svc.inbound_domain),
    })
}

/// Retires the receiving address (mail to it is dropped from now on) and makes a new one.
#[server(endpoint = "inbox/regenerate_address", client = CsrfClient)]
pub async fn regenerate_inbound_address(slug: String) -> Result<InboundAddress, AppError> {
    let mut m = access::member(&slug, Permission::Settings).await?;
    sqlx::query!(
        "update inbound_addresses set retired_at = now() where org_id = $1 and retired_at is null",
        m.org_id
    )
    .execute(&mut *m.tx)
    .await?;
    let local = sqlx::query_scalar!(
        "insert into inbound_addresses (local_part, org_id)
         select inbound_local_part(slug::text), org_id from organisations where org_id = $1
         returning local_part",
        m.org_id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    let address = address::inbound_address(&local, &m.svc.inbound_domain);
    m.audit(
        AuditAction::InboundAddressRegenerated,
        None,
        &format!("Made a new inbound address, {address}; the old one no longer receives mail"),
    )
    .await?;
    m.commit().await?;
    Ok(InboundAddress { address })
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub attachment_id: String,
}

/// An attachment's content for the reader's browser to save. It is always offered as a
/// download (`application/octet-stream`, never shown inline), whatever type the sender claimed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachmentFile {
    pub name: String,
    pub base64: String,
}

#[server(endpoint = "inbox/attachment", client = CsrfClient)]
pub async fn download_attachment(
    slug: String,
    form: AttachmentRef,
) -> Result<AttachmentFile, AppError> {
    use base64::Engine as _;
    let mut m = access::member(&slug, Permission::View).await?;
    let id = parse_id(&form.attachment_id)?;
    let file = sqlx::query!(
        "select file_name, content from inbox_attachments where org_id = $1 and attachment_id = $2",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(AttachmentFile {
        name: file.file_name,
        base64: base64::engine::general_purpose::STANDARD.encode(file.content),
    })
}
