//! An organisation's whole export (`app::org::export`): the job that builds it, the job that
//! deletes it when its day is up, and the route that downloads it.
//!
//! The build reads the organisation in one read-only, repeatable-read transaction (one consistent
//! picture, however long it takes) and streams each table into a ZIP written as it goes: the
//! archive's bytes are cut into chunks of [`CHUNK_BYTES`] and stored as they fill, with the
//! progress, so memory holds one chunk and one row (or one slice of an attachment) whatever the
//! organisation's size. A retried build starts again from nothing. The download streams the same
//! chunks back one short query at a time, so any server process can serve it and none holds it.

use std::{
    io::Write,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use app::{
    audit::{record_org_event, AuditAction},
    auth::tokens::token_hash,
    csv::csv_safe,
    email::{action_email, enqueue_email, EmailKind},
    jobs::{enqueue, Queue},
    org::export::{BuildExport, ExpireExport, FILES, KEPT_HOURS},
    request::RequestMeta,
    tenancy::set_tenant,
};
use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use futures_util::{Stream, TryStreamExt};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use zip::{write::SimpleFileOptions, CompressionMethod, ZipWriter};

use crate::{
    jobs::{JobContext, JobError, Kind},
    startup::AppState,
};

/// The size of each stored piece of an archive.
pub const CHUNK_BYTES: usize = 1024 * 1024;
/// Attachments are copied into the archive in slices of this size.
const SLICE_BYTES: usize = 64 * 1024;
/// Rows written between looks at whether a chunk is full.
const ROWS_PER_DRAIN: u64 = 256;

pub fn build_kind(public_url: String) -> Kind {
    let public_url: Arc<str> = public_url.into();
    Kind::new(
        1,
        Duration::from_secs(30),
        move |job: BuildExport, context| {
            let public_url = public_url.clone();
            async move { build(job, &context, &public_url).await }
        },
    )
}

pub fn expire_kind() -> Kind {
    Kind::new(
        2,
        Duration::from_secs(60),
        |job: ExpireExport, context: JobContext| async move {
            let org = context.org()?;
            let mut tx = context.begin().await?;
            sqlx::query!(
                "delete from org_export_chunks where org_id = $1 and export_id = $2",
                org,
                job.export_id
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "update org_exports set status = 'expired', token_hash = null
                 where org_id = $1 and export_id = $2 and status in ('ready', 'downloaded')",
                org,
                job.export_id
            )
            .execute(&mut *tx)
            .await?;
            context.finish(tx).await
        },
    )
}

/// Bytes the ZIP writer has produced and that are not stored yet.
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Write for Pending {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

type Zip = ZipWriter<zip::write::StreamWriter<Pending>>;

/// Where an archive's chunks go, and how far it has got.
struct Store {
    pending: Pending,
    pool: PgPool,
    org: Uuid,
    export_id: Uuid,
    seq: i32,
    size: i64,
    rows: i64,
    /// The most bytes waiting in memory at once, for the log (and the test that reads it).
    peak: usize,
}

impl Store {
    /// Stores every full chunk waiting (and, at the end, what is left), with the progress.
    async fn drain(&mut self, last: bool) -> Result<(), JobError> {
        loop {
            let chunk = {
                let mut pending = self
                    .pending
                    .0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                self.peak = self.peak.max(pending.len());
                if pending.len() >= CHUNK_BYTES {
                    let rest = pending.split_off(CHUNK_BYTES);
                    std::mem::replace(&mut *pending, rest)
                } else if last && !pending.is_empty() {
                    std::mem::take(&mut *pending)
                } else {
                    return Ok(());
                }
            };
            let mut tx = self.pool.begin().await?;
            set_tenant(&mut tx, self.org).await?;
            sqlx::query!(
                "insert into org_export_chunks (org_id, export_id, seq, bytes) values ($1, $2, $3, $4)",
                self.org,
                self.export_id,
                self.seq,
                &chunk
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "update org_exports set items_done = least($3, items_total) where org_id = $1 and export_id = $2",
                self.org,
                self.export_id,
                self.rows
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            self.seq += 1;
            self.size += chunk.len() as i64;
        }
    }
}

fn zip_error(e: impl std::fmt::Display) -> JobError {
    JobError::retry(format!("writing the archive: {e}"))
}

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true)
}

/// Writes one CSV file of the archive from a stream of rows, each cell made safe to open in a
/// spreadsheet.
async fn write_csv<S>(
    zip: &mut Zip,
    store: &mut Store,
    name: &str,
    header: &[&str],
    rows: S,
) -> Result<(), JobError>
where
    S: Stream<Item = Result<Vec<String>, sqlx::Error>>,
{
    zip.start_file(name, deflated()).map_err(zip_error)?;
    let mut out = csv::Writer::from_writer(&mut *zip);
    out.write_record(header).map_err(zip_error)?;
    futures_util::pin_mut!(rows);
    let mut written = 0u64;
    while let Some(row) = rows.try_next().await? {
        out.write_record(row.iter().map(|cell| csv_safe(cell)))
            .map_err(zip_error)?;
        written += 1;
        store.rows += 1;
        if written.is_multiple_of(ROWS_PER_DRAIN) {
            out.flush().map_err(zip_error)?;
            store.drain(false).await?;
        }
    }
    out.flush().map_err(zip_error)?;
    drop(out);
    store.drain(false).await
}

/// Writes one JSON file: an array of the stream's values.
async fn write_json<S>(
    zip: &mut Zip,
    store: &mut Store,
    name: &str,
    values: S,
) -> Result<(), JobError>
where
    S: Stream<Item = Result<serde_json::Value, sqlx::Error>>,
{
    zip.start_file(name, deflated()).map_err(zip_error)?;
    futures_util::pin_mut!(values);
    let mut first = true;
    zip.write_all(b"[\n").map_err(zip_error)?;
    while let Some(value) = values.try_next().await? {
        if !first {
            zip.write_all(b",\n").map_err(zip_error)?;
        }
        first = false;
        serde_json::to_writer_pretty(&mut *zip, &value).map_err(zip_error)?;
        store.rows += 1;
        store.drain(false).await?;
    }
    zip.write_all(b"\n]\n").map_err(zip_error)?;
    store.drain(false).await
}

/// A name safe to use in an archive: letters, digits, dots, dashes and underscores only.
fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "file".to_string()
    } else {
        cleaned.to_string()
    }
}

/// Where an attachment is in the archive: one folder per conversation.
fn attachment_path(thread_id: &str, attachment_id: &str, file_name: &str) -> String {
    format!(
        "attachments/{thread_id}/{attachment_id}-{}",
        safe_file_name(file_name)
    )
}

fn readme(org_name: &str, at: &str) -> String {
    let mut text = format!(
        "{org_name}: everything it holds in Ops Intel\n\nExported at {at} (UTC), as one consistent \
         picture. CSV files are UTF-8 with a header row; a cell that would start a spreadsheet \
         formula begins with an apostrophe. Times are UTC.\n\n"
    );
    for (file, what) in FILES {
        text.push_str(&format!("{file}\n    {what}\n\n"));
    }
    text
}

async fn build(job: BuildExport, context: &JobContext, public_url: &str) -> Result<(), JobError> {
    let org = context.org()?;
    let pool = context.pool().clone();
    // Start from nothing: an earlier attempt may have stored part of the archive.
    let mut tx = context.begin().await?;
    let started = sqlx::query!(
        "update org_exports set status = 'building', items_done = 0
         where org_id = $1 and export_id = $2 and status in ('queued', 'building')
         returning export_id",
        org,
        job.export_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if started.is_none() {
        // Built already (a repeated attempt after its completion was lost), or gone with the
        // organisation.
        return context.finish(tx).await;
    }
    sqlx::query!(
        "delete from org_export_chunks where org_id = $1 and export_id = $2",
        org,
        job.export_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    let mut read = pool.begin().await?;
    sqlx::query("set transaction isolation level repeatable read, read only")
        .execute(&mut *read)
        .await?;
    set_tenant(&mut read, org).await?;
    let total = sqlx::query_scalar!(
        r#"select (select count(*) from memberships where org_id = $1)
                + (select count(*) from invitations where org_id = $1)
                + (select count(*) from businesses where org_id = $1)
                + (select count(*) from issues where org_id = $1)
                + (select count(*) from issue_comments where org_id = $1)
                + (select count(*) from issue_events where org_id = $1)
                + (select count(*) from inbox_threads where org_id = $1)
                + (select count(*) from inbox_messages where org_id = $1)
                + 2 * (select count(*) from inbox_attachments where org_id = $1)
                + (select count(*) from org_audit_events where org_id = $1)
                + (select count(*) from ai_requests where org_id = $1)
                + (select count(*) from ai_drafts where org_id = $1) as "total!""#,
        org
    )
    .fetch_one(&mut *read)
    .await?;
    sqlx::query!(
        "update org_exports set items_total = $3 where org_id = $1 and export_id = $2",
        org,
        job.export_id,
        total
    )
    .execute(&pool)
    .await?;

    let mut store = Store {
        pending: Pending::default(),
        pool: pool.clone(),
        org,
        export_id: job.export_id,
        seq: 0,
        size: 0,
        rows: 0,
        peak: 0,
    };
    let mut zip = ZipWriter::new_stream(store.pending.clone());
    let o = sqlx::query!(
        r#"select o.name, o.slug::text as "slug!", o.require_two_factor, o.ai_signature,
                  to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "created!",
                  to_char(now() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as "now!",
                  o.plan as "plan!"
           from organisations o where o.org_id = $1"#,
        org
    )
    .fetch_one(&mut *read)
    .await?;
    zip.start_file("README.txt", deflated())
        .map_err(zip_error)?;
    zip.write_all(readme(&o.name, &o.now).as_bytes())
        .map_err(zip_error)?;
    zip.start_file("organisation.json", deflated())
        .map_err(zip_error)?;
    serde_json::to_writer_pretty(
        &mut zip,
        &serde_json::json!({
            "name": o.name,
            "address": o.slug,
            "plan": o.plan,
            "requires_two_factor_sign_in": o.require_two_factor,
            "ai_signature": o.ai_signature,
            "created_at": o.created,
        }),
    )
    .map_err(zip_error)?;

    write_csv(
        &mut zip,
        &mut store,
        "members.csv",
        &["name", "email", "role", "joined_at"],
        sqlx::query_scalar!(
            r#"select array[u.name, u.email::text, m.role, to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')] as "row!: Vec<String>"
               from memberships m join users u on u.user_id = m.user_id
               where m.org_id = $1 order by m.created_at"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_csv(
        &mut zip,
        &mut store,
        "invitations.csv",
        &["email", "role", "sent_at", "expires_at", "accepted_at", "withdrawn_at"],
        sqlx::query_scalar!(
            r#"select array[i.email::text, i.role, to_char(i.sent_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                            to_char(i.expires_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                            coalesce(to_char(i.accepted_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), ''),
                            coalesce(to_char(i.revoked_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '')] as "row!: Vec<String>"
               from invitations i where i.org_id = $1 order by i.created_at"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_csv(
        &mut zip,
        &mut store,
        "businesses.csv",
        &[
            "id", "name", "relationship", "address", "phone", "website", "notes", "tags",
            "google_place_id", "google_address", "latitude", "longitude", "google_phone",
            "google_website", "rating", "rating_count", "google_status", "google_maps_url",
            "opening_hours", "archived_at", "created_at",
        ],
        sqlx::query_scalar!(
            r#"select array[b.business_id::text, b.name, b.relationship, coalesce(b.address, ''), coalesce(b.phone, ''),
                            coalesce(b.website, ''), coalesce(b.notes, ''), coalesce(b.tags::text, ''),
                            coalesce(b.place_id, ''), coalesce(b.formatted_address, ''), coalesce(b.latitude::text, ''),
                            coalesce(b.longitude::text, ''), coalesce(b.maps_phone, ''), coalesce(b.maps_website, ''),
                            coalesce(b.rating::text, ''), coalesce(b.rating_count::text, ''), coalesce(b.business_status, ''),
                            coalesce(b.maps_url, ''), coalesce(b.opening_hours::text, ''),
                            coalesce(to_char(b.archived_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), ''),
                            to_char(b.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')] as "row!: Vec<String>"
               from businesses b where b.org_id = $1 order by b.created_at, b.business_id"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_csv(
        &mut zip,
        &mut store,
        "issues.csv",
        &[
            "number", "title", "description", "kind", "priority", "status", "business",
            "business_id", "assignee", "due_on", "opened_by", "created_at", "updated_at",
            "resolved_at", "archived_at",
        ],
        sqlx::query_scalar!(
            r#"select array[i.number::text, i.title, i.description, i.kind, i.priority, i.status,
                            coalesce(b.name, ''), coalesce(i.business_id::text, ''), coalesce(a.name, ''),
                            coalesce(i.due_on::text, ''), coalesce(c.name, ''),
                            to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                            to_char(i.updated_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                            coalesce(to_char(i.resolved_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), ''),
                            coalesce(to_char(i.archived_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '')] as "row!: Vec<String>"
               from issues i
               left join businesses b on b.org_id = i.org_id and b.business_id = i.business_id
               left join users a on a.user_id = i.assignee_id
               left join users c on c.user_id = i.created_by
               where i.org_id = $1 order by i.number"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_csv(
        &mut zip,
        &mut store,
        "issue_comments.csv",
        &["issue_number", "author", "comment", "written_at"],
        sqlx::query_scalar!(
            r#"select array[i.number::text, coalesce(u.name, ''), c.body,
                            to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')] as "row!: Vec<String>"
               from issue_comments c join issues i on i.org_id = c.org_id and i.issue_id = c.issue_id
               left join users u on u.user_id = c.author_id
               where c.org_id = $1 order by i.number, c.created_at"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_csv(
        &mut zip,
        &mut store,
        "issue_timeline.csv",
        &["issue_number", "by", "field", "from", "to", "at"],
        sqlx::query_scalar!(
            r#"select array[i.number::text, coalesce(u.name, ''), e.field, coalesce(e.old_value, ''), coalesce(e.new_value, ''),
                            to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')] as "row!: Vec<String>"
               from issue_events e join issues i on i.org_id = e.org_id and i.issue_id = e.issue_id
               left join users u on u.user_id = e.actor_id
               where e.org_id = $1 order by i.number, e.event_id"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_csv(
        &mut zip,
        &mut store,
        "inbox_threads.csv",
        &[
            "id", "subject", "customer_email", "customer_name", "status", "awaiting_reply",
            "assignee", "business_id", "issue_number", "started_at", "last_message_at",
            "first_response_at",
        ],
        sqlx::query_scalar!(
            r#"select array[t.thread_id::text, t.subject, t.customer_address, coalesce(t.customer_name, ''), t.status,
                            t.awaiting_reply::text, coalesce(u.name, ''), coalesce(t.business_id::text, ''),
                            coalesce(i.number::text, ''),
                            to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                            to_char(t.last_message_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                            coalesce(to_char(t.first_response_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '')] as "row!: Vec<String>"
               from inbox_threads t
               left join users u on u.user_id = t.assignee_id
               left join issues i on i.org_id = t.org_id and i.issue_id = t.issue_id
               where t.org_id = $1 order by t.created_at, t.thread_id"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_csv(
        &mut zip,
        &mut store,
        "inbox_messages.csv",
        &[
            "thread_id", "message_id", "direction", "from_email", "from_name", "to", "subject",
            "text", "written_by", "delivery", "at",
        ],
        sqlx::query_scalar!(
            r#"select array[m.thread_id::text, m.message_id::text, m.direction, coalesce(m.from_address, ''),
                            coalesce(m.from_name, ''), coalesce(array_to_string(m.to_addresses, ', '), ''), coalesce(m.subject, ''),
                            coalesce(m.text_body, ''), coalesce(u.name, ''), coalesce(m.delivery, ''),
                            to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')] as "row!: Vec<String>"
               from inbox_messages m left join users u on u.user_id = m.author_id
               where m.org_id = $1 order by m.thread_id, m.created_at, m.message_id"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_csv(
        &mut zip,
        &mut store,
        "inbox_attachments.csv",
        &["thread_id", "message_id", "file_name", "content_type", "size_bytes", "file"],
        sqlx::query_scalar!(
            r#"select array[m.thread_id::text, a.message_id::text, a.file_name, a.content_type, a.size_bytes::text,
                            a.attachment_id::text] as "row!: Vec<String>"
               from inbox_attachments a join inbox_messages m on m.org_id = a.org_id and m.message_id = a.message_id
               where a.org_id = $1 order by m.thread_id, a.message_id, a.position"#,
            org
        )
        .fetch(&mut *read)
        .map_ok(|mut row: Vec<String>| {
            row[5] = attachment_path(&row[0], &row[5], &row[2]);
            row
        }),
    )
    .await?;
    // The attachments themselves, stored as they came (most are compressed already), one at a
    // time and in slices.
    {
        let attachments = sqlx::query!(
            r#"select m.thread_id, a.attachment_id, a.file_name, a.content
               from inbox_attachments a join inbox_messages m on m.org_id = a.org_id and m.message_id = a.message_id
               where a.org_id = $1 order by m.thread_id, a.message_id, a.position"#,
            org
        )
        .fetch(&mut *read);
        futures_util::pin_mut!(attachments);
        let stored = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(true);
        while let Some(a) = attachments.try_next().await? {
            let path = attachment_path(
                &a.thread_id.to_string(),
                &a.attachment_id.to_string(),
                &a.file_name,
            );
            zip.start_file(path, stored).map_err(zip_error)?;
            for slice in a.content.chunks(SLICE_BYTES) {
                zip.write_all(slice).map_err(zip_error)?;
                store.drain(false).await?;
            }
            store.rows += 1;
        }
    }
    write_csv(
        &mut zip,
        &mut store,
        "audit_log.csv",
        &["at", "actor", "action", "target", "summary", "ip_address", "browser"],
        sqlx::query_scalar!(
            r#"select array[to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), coalesce(e.actor_email, ''),
                            e.action, coalesce(e.target, ''), e.summary, coalesce(host(e.ip), ''), coalesce(e.user_agent, '')] as "row!: Vec<String>"
               from org_audit_events e where e.org_id = $1 order by e.event_id"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_csv(
        &mut zip,
        &mut store,
        "ai_record.csv",
        &[
            "at", "purpose", "model", "started_by", "trigger", "thread_id", "input_tokens",
            "output_tokens", "latency_ms", "outcome", "content_sha256",
        ],
        sqlx::query_scalar!(
            r#"select array[to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), r.purpose, r.model,
                            coalesce(u.name, ''), r.trigger, coalesce(r.thread_id::text, ''),
                            coalesce(r.input_tokens::text, ''), coalesce(r.output_tokens::text, ''),
                            coalesce(r.latency_ms::text, ''), r.outcome, r.content_sha256] as "row!: Vec<String>"
               from ai_requests r left join users u on u.user_id = r.started_by
               where r.org_id = $1 order by r.created_at, r.request_id"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    write_json(
        &mut zip,
        &mut store,
        "ai_drafts.json",
        sqlx::query_scalar!(
            r#"select jsonb_build_object('thread_id', d.thread_id, 'for', u.name, 'state', d.state,
                                         'draft', d.body, 'note', d.note, 'updated_at', d.updated_at) as "draft!"
               from ai_drafts d left join users u on u.user_id = d.user_id
               where d.org_id = $1 order by d.thread_id, d.updated_at"#,
            org
        )
        .fetch(&mut *read),
    )
    .await?;
    read.commit().await?;
    zip.finish().map_err(zip_error)?;
    store.drain(true).await?;
    tracing::info!(
        rows = store.rows,
        bytes = store.size,
        chunks = store.seq,
        peak_buffer_bytes = store.peak,
        "organisation export built"
    );

    // Ready: kept for a day, then deleted; the person who asked is told.
    let mut tx = context.begin().await?;
    let ready = sqlx::query!(
        r#"update org_exports e set status = 'ready', items_done = items_total, size_bytes = $3,
                  ready_at = now(), expires_at = now() + make_interval(hours => $4)
           where e.org_id = $1 and e.export_id = $2 and e.status = 'building'
           returning e.expires_at as "expires_at!",
                     (select u.email::text from users u where u.user_id = e.requested_by) as email,
                     (select u.name from users u where u.user_id = e.requested_by) as name"#,
        org,
        job.export_id,
        store.size,
        KEPT_HOURS as i32
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(ready) = ready {
        enqueue(
            &mut tx,
            &ExpireExport {
                export_id: job.export_id,
            },
            Queue::for_org(org).at(ready.expires_at),
        )
        .await?;
        if let (Some(email), Some(name)) = (ready.email, ready.name) {
            let link = format!("{public_url}/o/{}/settings#export", o.slug);
            enqueue_email(
                &mut tx,
                action_email(
                    EmailKind::ExportReady,
                    &email,
                    &format!("The export of {} is ready", o.name),
                    &name,
                    &[&format!(
                        "The export of everything {} holds in Ops Intel is ready. Download it \
                         from the organisation's settings within {KEPT_HOURS} hours; after \
                         that it is deleted.",
                        o.name
                    )],
                    "Go to the export",
                    &link,
                )
                .for_org(org),
            )
            .await
            .map_err(|e| JobError::retry(format!("queuing the email: {e:?}")))?;
        }
    }
    context.finish(tx).await
}

/// Why a download link did not work, as the person sees it.
const LINK_GONE: &str = "This download link has already been used or has expired. Make a new \
                         one from the organisation's settings.";

/// `GET /exports/{token}`: the export the link was made for, streamed, once.
pub async fn download(
    State(state): State<AppState>,
    Path(token): Path<String>,
    parts: axum::http::request::Parts,
) -> Response {
    let pool = state.pool.clone();
    let claimed = sqlx::query!(
        r#"select org_id as "org_id!", export_id as "export_id!", slug as "slug!",
                  size_bytes as "size_bytes!", made_by
           from app_claim_export_link($1)"#,
        token_hash(&token)
    )
    .fetch_optional(&pool)
    .await;
    let claimed = match claimed {
        Ok(Some(c)) => c,
        Ok(None) => return (StatusCode::GONE, LINK_GONE).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "claiming an export download link");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong on our side. Try again in a moment.",
            )
                .into_response();
        }
    };
    let meta = RequestMeta::from_parts(&parts);
    let file_name = format!(
        "ops-intel-{}-{}.zip",
        safe_file_name(&claimed.slug),
        time::OffsetDateTime::now_utc().date()
    );
    let stream = chunks(
        pool,
        claimed.org_id,
        claimed.export_id,
        claimed.size_bytes,
        claimed.made_by,
        meta,
    );
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(header::CONTENT_LENGTH, claimed.size_bytes.into());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The export's chunks in order, each read in its own short transaction. With the last one the
/// export is marked downloaded and the download recorded in the audit log (the response has a
/// length, so nothing asks for the stream past its last byte).
fn chunks(
    pool: PgPool,
    org: Uuid,
    export_id: Uuid,
    size: i64,
    made_by: Option<Uuid>,
    meta: RequestMeta,
) -> impl Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    futures_util::stream::try_unfold(Some((0i32, 0i64)), move |at| {
        let (pool, meta) = (pool.clone(), meta.clone());
        async move {
            let Some((seq, sent)) = at else {
                return Ok(None);
            };
            let mut tx = pool.begin().await.map_err(std::io::Error::other)?;
            set_tenant(&mut tx, org)
                .await
                .map_err(std::io::Error::other)?;
            let chunk = sqlx::query_scalar!(
                "select bytes from org_export_chunks where org_id = $1 and export_id = $2 and seq = $3",
                org,
                export_id,
                seq
            )
            .fetch_optional(&mut *tx)
            .await
            .map_err(std::io::Error::other)?
            .ok_or_else(|| std::io::Error::other("the export ended before its length"))?;
            let sent = sent + chunk.len() as i64;
            let next = if sent >= size {
                downloaded(&mut tx, org, export_id, made_by, &meta)
                    .await
                    .map_err(std::io::Error::other)?;
                None
            } else {
                Some((seq + 1, sent))
            };
            tx.commit().await.map_err(std::io::Error::other)?;
            Ok(Some((bytes::Bytes::from(chunk), next)))
        }
    })
}

async fn downloaded(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    org: Uuid,
    export_id: Uuid,
    made_by: Option<Uuid>,
    meta: &RequestMeta,
) -> Result<(), sqlx::Error> {
    let conn: &mut PgConnection = tx;
    sqlx::query!(
        "update org_exports set status = 'downloaded', downloaded_at = now()
         where org_id = $1 and export_id = $2 and status = 'ready'",
        org,
        export_id
    )
    .execute(&mut *conn)
    .await?;
    record_org_event(
        tx,
        org,
        made_by,
        AuditAction::ExportDownloaded,
        None,
        "Downloaded the export of all the organisation's data",
        meta,
    )
    .await
    .map_err(|e| sqlx::Error::Protocol(format!("recording the download: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names_keep_only_safe_characters() {
        assert_eq!(safe_file_name("menu (final).pdf"), "menu__final_.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name("..."), "file");
        assert_eq!(safe_file_name("été.txt"), "_t_.txt");
        assert_eq!(safe_file_name(&"a".repeat(300)).len(), 100);
    }

    #[tokio::test]
    async fn the_archive_streams_through_the_pending_buffer() {
        use std::io::Read;
        let pending = Pending::default();
        let mut zip = ZipWriter::new_stream(pending.clone());
        zip.start_file("a.csv", deflated()).unwrap();
        zip.write_all(b"x,y\n1,2\n").unwrap();
        zip.start_file("b/c.bin", SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&[7u8; 100_000]).unwrap();
        zip.finish().unwrap();
        let bytes = pending.0.lock().unwrap().clone();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        archive
            .by_name("a.csv")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "x,y\n1,2\n");
        assert_eq!(archive.by_name("b/c.bin").unwrap().size(), 100_000);
    }
}
