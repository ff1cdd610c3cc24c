//! The AI record: every call to the AI service, for Owners and Admins to read and export. It
//! holds when, why (triage or a draft), what started it (a new message, or which member), the
//! model, the tokens in and out, how long it took, how it ended, and a SHA-256 of exactly what
//! was sent, so a call can be matched to its content without the content being kept.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Outcome, Purpose};
use crate::{allowance::Standing, auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::settings::switch,
    crate::{
        access::{self, Member},
        allowance::{self, Meter},
        audit::AuditAction,
        csv::to_csv,
        roles::Permission,
        work::fields::optional_choice,
    },
};

/// Calls per page of the record.
pub const PAGE_SIZE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AiCall {
    pub id: String,
    pub at: crate::domain::Moment,
    pub purpose: Purpose,
    /// "New message", or the member who asked.
    pub started_by: String,
    pub thread_id: Option<String>,
    pub thread: Option<String>,
    pub model: String,
    pub input_tokens: Option<i32>,
    pub output_tokens: Option<i32>,
    pub latency_ms: Option<i32>,
    pub outcome: Outcome,
    pub content_sha256: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AiRecordPage {
    pub calls: Vec<AiCall>,
    pub next: Option<String>,
    /// This month's requests against the plan's allowance: the calls above that counted.
    pub allowance: Standing,
}

/// The record's filters, as its form sends them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AiRecordQuery {
    /// A [`Purpose`]'s stored name, or empty for both.
    #[serde(default)]
    pub purpose: String,
    /// An [`Outcome`]'s stored name, or empty for any.
    #[serde(default)]
    pub outcome: String,
    /// The cursor of the page to show, or empty for the first.
    #[serde(default)]
    pub after: String,
}

#[cfg(feature = "ssr")]
struct Filter {
    purpose: Option<Purpose>,
    outcome: Option<Outcome>,
    after: Option<(i64, uuid::Uuid)>,
}

#[cfg(feature = "ssr")]
impl TryFrom<&AiRecordQuery> for Filter {
    type Error = AppError;

    fn try_from(q: &AiRecordQuery) -> Result<Self, AppError> {
        let bad = || AppError::invalid("after", "This page link is not valid.");
        let after = match q.after.trim() {
            "" => None,
            a => {
                let (micros, id) = a.split_once('_').ok_or_else(bad)?;
                Some((
                    micros.parse().map_err(|_| bad())?,
                    uuid::Uuid::parse_str(id).map_err(|_| bad())?,
                ))
            }
        };
        Ok(Filter {
            purpose: optional_choice(&q.purpose, Purpose::parse, "purpose", "Choose a purpose.")?,
            outcome: optional_choice(&q.outcome, Outcome::parse, "outcome", "Choose an outcome.")?,
            after,
        })
    }
}

#[cfg(feature = "ssr")]
async fn calls(m: &mut Member, f: &Filter, limit: i64) -> Result<Vec<(i64, AiCall)>, AppError> {
    let rows = sqlx::query!(
        r#"select r.request_id, r.purpose, r.trigger, u.name as "member?", r.thread_id,
                  t.subject as "subject?", r.model, r.input_tokens, r.output_tokens, r.latency_ms,
                  r.outcome, r.content_sha256,
                  (extract(epoch from r.created_at) * 1000000)::bigint as "at_micros!", r.created_at
           from ai_requests r
           left join users u on u.user_id = r.started_by
           left join inbox_threads t on t.org_id = r.org_id and t.thread_id = r.thread_id
           where r.org_id = $1
             and ($2::text is null or r.purpose = $2)
             and ($3::text is null or r.outcome = $3)
             and ($4::bigint is null
                  or (r.created_at, r.request_id) < (to_timestamp($4::bigint / 1000000.0), $5::uuid))
           order by r.created_at desc, r.request_id desc
           limit $6"#,
        m.org_id,
        f.purpose.map(Purpose::as_str),
        f.outcome.map(Outcome::as_str),
        f.after.map(|a| a.0),
        f.after.map(|a| a.1),
        limit
    )
    .fetch_all(&mut *m.tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let started_by = match (r.trigger.as_str(), r.member) {
                ("new_message", _) => "New message".to_string(),
                ("schedule", _) => "Weekly digest".to_string(),
                (_, Some(name)) => name,
                (_, None) => "A former member".to_string(),
            };
            (
                r.at_micros,
                AiCall {
                    id: r.request_id.to_string(),
                    at: m.moment(r.created_at),
                    purpose: Purpose::parse(&r.purpose).unwrap_or(Purpose::Triage),
                    started_by,
                    thread_id: r.thread_id.map(|t| t.to_string()),
                    thread: r.subject,
                    model: r.model,
                    input_tokens: r.input_tokens,
                    output_tokens: r.output_tokens,
                    latency_ms: r.latency_ms,
                    outcome: Outcome::parse(&r.outcome).unwrap_or(Outcome::Sent),
                    content_sha256: r.content_sha256,
                },
            )
        })
        .collect())
}

#[server(endpoint = "ai/record", client = CsrfClient)]
pub async fn ai_record(slug: String, form: AiRecordQuery) -> Result<AiRecordPage, AppError> {
    let mut m = access::member(&slug, Permission::Settings).await?;
    let filter = Filter::try_from(&form)?;
    let mut rows = calls(&mut m, &filter, PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next = rows
        .last()
        .filter(|_| more)
        .map(|(at, c)| format!("{at}_{}", c.id));
    let limit = switch(&mut m.tx, m.org_id).await?.limit;
    let allowance = allowance::standing(&mut m.tx, m.org_id, Meter::Ai, limit).await?;
    Ok(AiRecordPage {
        calls: rows.into_iter().map(|(_, c)| c).collect(),
        next,
        allowance,
    })
}

/// The record as CSV, with the same filters. The export itself is audited.
#[server(endpoint = "ai/record_csv", client = CsrfClient)]
pub async fn export_ai_record_csv(slug: String, form: AiRecordQuery) -> Result<String, AppError> {
    let mut m = access::member(&slug, Permission::Settings).await?;
    let filter = Filter::try_from(&form)?;
    let rows = calls(&mut m, &filter, 100_000).await?;
    let number = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_default();
    let csv = to_csv(
        &[
            "time",
            "purpose",
            "started_by",
            "thread",
            "model",
            "input_tokens",
            "output_tokens",
            "latency_ms",
            "outcome",
            "content_sha256",
        ],
        rows.iter().map(|(_, c)| {
            vec![
                c.at.utc.clone(),
                c.purpose.as_str().to_string(),
                c.started_by.clone(),
                c.thread.clone().unwrap_or_default(),
                c.model.clone(),
                number(c.input_tokens),
                number(c.output_tokens),
                number(c.latency_ms),
                c.outcome.as_str().to_string(),
                c.content_sha256.clone(),
            ]
        }),
    )?;
    m.audit(
        AuditAction::DataExported,
        None,
        &format!("Exported {} AI record entries as CSV", rows.len()),
    )
    .await?;
    m.commit().await?;
    Ok(csv)
}
