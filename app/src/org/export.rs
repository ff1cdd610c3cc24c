//! An organisation's whole export: everything it holds, as a ZIP of CSV and JSON files with its
//! inbox attachments. Owners and Admins ask for it; a background job builds it
//! (`server/src/exports.rs`) in chunks, so no process ever holds it whole; it is kept for 24
//! hours. Downloading takes a link made on request for the person asking, which works once and
//! for a few minutes only; the export counts as downloaded once a download has run to its end,
//! and until then (a dropped connection) another link can be made. Each step is in the audit log.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::client::CsrfClient, error::AppError};

/// How long an export is kept once built.
pub const KEPT_HOURS: i64 = 24;
/// How long a download link works once made.
pub const LINK_MINUTES: i64 = 5;
/// Where a download link points; the token follows.
pub const DOWNLOAD_PATH: &str = "/exports/";

/// The latest export, as the settings page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportStatus {
    pub state: ExportState,
    /// Rows written so far, of those counted when the build began.
    pub done: i64,
    pub total: i64,
    /// When it was asked for (UTC).
    pub requested_at: crate::domain::Moment,
    /// Until when it can be downloaded (UTC), once ready.
    pub expires_at: Option<crate::domain::Moment>,
    pub size_bytes: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportState {
    Queued,
    Building,
    Ready,
    Downloaded,
    Expired,
}

impl ExportState {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "building" => Self::Building,
            "ready" => Self::Ready,
            "downloaded" => Self::Downloaded,
            "expired" => Self::Expired,
            _ => return None,
        })
    }

    /// Whether the build is still under way, so the page should look again shortly.
    pub fn in_progress(self) -> bool {
        matches!(self, Self::Queued | Self::Building)
    }
}

impl ExportStatus {
    /// Progress as a whole percentage, never 100 before the build is done.
    pub fn percent(&self) -> i64 {
        match self.state {
            ExportState::Queued => 0,
            ExportState::Building if self.total == 0 => 0,
            ExportState::Building => (self.done * 100 / self.total).clamp(0, 99),
            _ => 100,
        }
    }
}

/// A link that downloads the export once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadLink {
    pub url: String,
}

/// The files of the archive and what each holds, as its README says.
pub const FILES: [(&str, &str); 14] = [
    ("organisation.json", "The organisation: its name, address, plan and settings, and when it was created."),
    ("members.csv", "Its members: name, email address, role and when each joined."),
    ("invitations.csv", "Invitations sent and not yet accepted or withdrawn."),
    ("businesses.csv", "The business register: each place with its kind, address, contact details, and what Google Maps last said of it."),
    ("issues.csv", "Every issue: number, title, description, status, priority, business, assignee, due date, who opened it and when."),
    ("issue_comments.csv", "The comments on issues, with the issue's number, author and time."),
    ("issue_timeline.csv", "The timeline of each issue: every change (status, priority, assignee and the rest) with who made it and when."),
    ("inbox_threads.csv", "The inbox's conversations: customer, subject, status, assignee, business and times."),
    ("inbox_messages.csv", "Every message of those conversations, received and sent, and internal notes."),
    ("inbox_attachments.csv", "Each attachment received, with the file in attachments/ that holds it."),
    ("attachments/", "The attachments themselves, one folder per conversation."),
    ("audit_log.csv", "The organisation's audit log: who did what, when, from which address."),
    ("ai_record.csv", "Every request made to the AI assistant: its purpose, model, who or what started it, its size and cost in tokens, and how it ended (a SHA-256 of what was sent, not the content)."),
    ("ai_drafts.json", "The AI assistant's suggestions for each conversation (category, urgency, summary and draft reply)."),
];

/// Starts building an export of everything the organisation holds.
#[server(endpoint = "org/export/start", client = CsrfClient)]
pub async fn start_export(slug: String) -> Result<ExportStatus, AppError> {
    use crate::{
        access,
        audit::AuditAction,
        jobs::{enqueue, Queue},
        roles::Permission,
    };
    let mut m = access::member(&slug, Permission::AuditExport).await?;
    let export_id = sqlx::query_scalar!(
        "insert into org_exports (org_id, requested_by) values ($1, $2)
         on conflict (org_id) where status in ('queued', 'building') do nothing
         returning export_id",
        m.org_id,
        m.user_id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or_else(|| AppError::Refused("An export is already being made.".into()))?;
    enqueue(
        &mut m.tx,
        &BuildExport { export_id },
        Queue::for_org(m.org_id).dedupe(export_id.to_string()),
    )
    .await?;
    m.audit(
        AuditAction::ExportRequested,
        None,
        "Asked for an export of all the organisation's data",
    )
    .await?;
    let status = latest(&mut m).await?.ok_or(AppError::Internal)?;
    m.commit().await?;
    Ok(status)
}

/// The latest export, if any.
#[server(endpoint = "org/export/status", client = CsrfClient)]
pub async fn get_export(slug: String) -> Result<Option<ExportStatus>, AppError> {
    let mut m = crate::access::member(&slug, crate::roles::Permission::AuditExport).await?;
    latest(&mut m).await
}

/// A link that downloads the latest export, once, within a few minutes.
#[server(endpoint = "org/export/link", client = CsrfClient)]
pub async fn export_link(slug: String) -> Result<DownloadLink, AppError> {
    use crate::{
        access,
        auth::tokens::{random_token, token_hash},
        roles::Permission,
    };
    let mut m = access::member(&slug, Permission::AuditExport).await?;
    let token = random_token();
    let made = sqlx::query_scalar!(
        "update org_exports set token_hash = $3, link_made_by = $2,
                link_expires_at = now() + make_interval(mins => $4)
         where org_id = $1 and status = 'ready' and expires_at > now()
           and export_id = (select export_id from org_exports where org_id = $1
                            order by created_at desc limit 1)
         returning export_id",
        m.org_id,
        m.user_id,
        token_hash(&token),
        LINK_MINUTES as i32
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    if made.is_none() {
        return Err(AppError::Refused(
            "There is no export ready to download. Make a new one.".into(),
        ));
    }
    m.commit().await?;
    Ok(DownloadLink {
        url: format!("{DOWNLOAD_PATH}{token}"),
    })
}

/// The job that builds an export (`server/src/exports.rs`).
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BuildExport {
    pub export_id: uuid::Uuid,
}

#[cfg(feature = "ssr")]
impl crate::jobs::Job for BuildExport {
    const KIND: &'static str = "export.build";
    const MAX_ATTEMPTS: i32 = 5;
}

/// The job that deletes an export when its time is up.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExpireExport {
    pub export_id: uuid::Uuid,
}

#[cfg(feature = "ssr")]
impl crate::jobs::Job for ExpireExport {
    const KIND: &'static str = "export.expire";
}

#[cfg(feature = "ssr")]
async fn latest(m: &mut crate::access::Member) -> Result<Option<ExportStatus>, AppError> {
    let row = sqlx::query!(
        r#"select case when status = 'ready' and expires_at <= now() then 'expired' else status end as "status!",
                  items_done, items_total, size_bytes,
                  created_at, expires_at
           from org_exports where org_id = $1 order by created_at desc limit 1"#,
        m.org_id
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    Ok(row.and_then(|r| {
        Some(ExportStatus {
            state: ExportState::parse(&r.status)?,
            done: r.items_done,
            total: r.items_total,
            requested_at: m.moment(r.created_at),
            expires_at: r.expires_at.map(|at| m.moment(at)),
            size_bytes: r.size_bytes,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: ExportState, done: i64, total: i64) -> ExportStatus {
        ExportStatus {
            state,
            done,
            total,
            requested_at: Default::default(),
            expires_at: None,
            size_bytes: None,
        }
    }

    #[test]
    fn progress_reaches_100_only_when_built() {
        assert_eq!(status(ExportState::Queued, 0, 0).percent(), 0);
        assert_eq!(status(ExportState::Building, 0, 0).percent(), 0);
        assert_eq!(status(ExportState::Building, 50, 200).percent(), 25);
        assert_eq!(status(ExportState::Building, 200, 200).percent(), 99);
        assert_eq!(status(ExportState::Ready, 200, 200).percent(), 100);
    }

    #[test]
    fn states_round_trip_their_stored_names() {
        for s in ["queued", "building", "ready", "downloaded", "expired"] {
            assert!(ExportState::parse(s).is_some(), "{s}");
        }
        assert_eq!(ExportState::parse("lost"), None);
        assert!(ExportState::Building.in_progress());
        assert!(!ExportState::Ready.in_progress());
    }
}
