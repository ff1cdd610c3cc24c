//! What a job's handler gets (its job, a way into its organisation's data) and what it answers.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use app::jobs::Job;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// Why an attempt did not finish the job.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt: after the back-off, or after `after` when the outside service said
    /// how long to wait (`Retry-After`), whichever is later.
    #[error("{error}")]
    Retry {
        error: String,
        after: Option<Duration>,
    },
    /// No attempt will ever succeed (the payload is malformed, the service refused the request
    /// itself): the job is dead at once, for an operator to look at.
    #[error("{0}")]
    Fatal(String),
    /// The job's lease ran out while it ran, and another worker may hold it now: this attempt's
    /// writes were not committed, and its outcome is not recorded.
    #[error("the job's lease was lost")]
    LeaseLost,
}

impl JobError {
    pub fn retry(error: impl std::fmt::Display) -> Self {
        Self::Retry {
            error: error.to_string(),
            after: None,
        }
    }

    pub fn retry_after(error: impl std::fmt::Display, after: Option<Duration>) -> Self {
        Self::Retry {
            error: error.to_string(),
            after,
        }
    }

    pub fn fatal(error: impl std::fmt::Display) -> Self {
        Self::Fatal(error.to_string())
    }
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        Self::retry(format!("database: {e}"))
    }
}

/// One attempt at a job, as a worker claimed it.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: i64,
    pub kind: String,
    pub org: Option<Uuid>,
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
}

/// A handler's view of its job.
pub struct JobContext {
    pub job: Claimed,
    pool: PgPool,
    worker: Arc<str>,
    finished: Arc<AtomicBool>,
}

impl JobContext {
    pub(super) fn new(job: Claimed, pool: PgPool, worker: Arc<str>) -> (Self, Arc<AtomicBool>) {
        let finished = Arc::new(AtomicBool::new(false));
        let context = Self {
            job,
            pool,
            worker,
            finished: finished.clone(),
        };
        (context, finished)
    }

    /// The job's payload; a payload that does not parse can never succeed.
    pub fn payload<J: Job>(&self) -> Result<J, JobError> {
        serde_json::from_value(self.job.payload.clone())
            .map_err(|e| JobError::fatal(format!("malformed {} payload: {e}", J::KIND)))
    }

    /// The organisation a tenant's job works for; a job of a kind that needs one but was queued
    /// without it can never succeed.
    pub fn org(&self) -> Result<Uuid, JobError> {
        self.job.org.ok_or_else(|| {
            JobError::fatal(format!("a {} job needs an organisation", self.job.kind))
        })
    }

    /// The database pool, for reads and writes that need no organisation.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A transaction inside the job's organisation's row-level security, as a request working
    /// for that organisation would have (it sees no other organisation's rows).
    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>, JobError> {
        let mut tx = self.pool.begin().await?;
        if let Some(org) = self.job.org {
            app::tenancy::set_tenant(&mut tx, org)
                .await
                .map_err(|e| JobError::retry(format!("entering the organisation: {e:?}")))?;
        }
        Ok(tx)
    }

    /// Commits the handler's writes and the job's completion together: both happen, or, when
    /// this worker no longer holds the job ([`JobError::LeaseLost`]), neither does.
    pub async fn finish(&self, mut tx: Transaction<'static, Postgres>) -> Result<(), JobError> {
        let held = sqlx::query_scalar!(
            r#"select app_job_done($1, $2, $3) as "held!""#,
            self.job.id,
            &*self.worker,
            self.job.attempt
        )
        .fetch_one(&mut *tx)
        .await?;
        if !held {
            tx.rollback().await?;
            return Err(JobError::LeaseLost);
        }
        tx.commit().await?;
        self.finished.store(true, Ordering::Release);
        Ok(())
    }
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
pub type HandlerFn = Arc<dyn Fn(JobContext) -> HandlerFuture + Send + Sync>;

/// A limit on how often a kind's jobs start, across every worker process: an outside API's quota.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub per_second: f64,
    /// How many may start at once after a quiet spell.
    pub burst: u32,
}

/// A kind of job this worker runs, and how.
#[derive(Clone)]
pub struct Kind {
    pub name: &'static str,
    pub handler: HandlerFn,
    /// Jobs of this kind running at once in this process.
    pub concurrency: usize,
    pub rate: Option<Rate>,
    /// The first retry's delay; each later one doubles it (with jitter), up to an hour.
    pub retry_base: Duration,
}

impl Kind {
    /// A kind whose handler takes the parsed payload and the context.
    pub fn new<J, F, Fut>(concurrency: usize, retry_base: Duration, handler: F) -> Self
    where
        J: Job + Send + 'static,
        F: Fn(J, JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        Self {
            name: J::KIND,
            handler: Arc::new(move |context: JobContext| {
                let handler = handler.clone();
                Box::pin(async move {
                    let payload = context.payload::<J>()?;
                    handler(payload, context).await
                })
            }),
            concurrency: concurrency.max(1),
            rate: None,
            retry_base,
        }
    }

    pub fn rate_limited(mut self, rate: Rate) -> Self {
        self.rate = Some(rate);
        self
    }
}
