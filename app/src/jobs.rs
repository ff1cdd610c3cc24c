//! Queuing background work. A job is queued in the caller's transaction, so it exists if and
//! only if the change that asked for it commits; the server's job runner (server/src/jobs/)
//! takes it from there. Each kind of job is a payload type implementing [`Job`].

use serde::{de::DeserializeOwned, Serialize};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// A kind of background work, and the payload it carries.
pub trait Job: Serialize + DeserializeOwned {
    /// The kind's stored name: lower case, dots between words; never changed once used.
    const KIND: &'static str;
    /// Attempts before the job is dead and waits for an operator (`server jobs retry`).
    const MAX_ATTEMPTS: i32 = 10;
}

/// Where and when a job runs, beyond its payload.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    /// The organisation the job works for: it runs inside that organisation's row-level
    /// security, and can be queued only in a transaction that works for it.
    pub org: Option<Uuid>,
    /// Not before this time (now when unset).
    pub run_at: Option<OffsetDateTime>,
    /// While a job of the same kind with this key is queued or running, no other is queued.
    pub dedupe_key: Option<String>,
}

impl Queue {
    pub fn for_org(org: Uuid) -> Self {
        Self {
            org: Some(org),
            ..Self::default()
        }
    }

    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn at(mut self, when: OffsetDateTime) -> Self {
        self.run_at = Some(when);
        self
    }
}

/// Queues `job` in the caller's transaction; its id, or `None` when a job of the same kind and
/// dedupe key is already queued or running.
pub async fn enqueue<J: Job>(
    conn: &mut PgConnection,
    job: &J,
    queue: Queue,
) -> Result<Option<i64>, sqlx::Error> {
    let payload = serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query_scalar!(
        "select app_enqueue_job($1, $2, $3, $4, $5, $6)",
        J::KIND,
        queue.org,
        payload,
        queue.run_at,
        J::MAX_ATTEMPTS,
        queue.dedupe_key
    )
    .fetch_one(conn)
    .await
}
