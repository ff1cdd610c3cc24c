//! The operator's view of the queue (`server jobs list|retry`), and the recurring job that
//! clears finished jobs away.

use std::{fmt::Write, time::Duration};

use app::jobs::Job;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{JobContext, Kind};

/// Done jobs are kept this many days, dead ones (for an operator to look at) longer.
const KEEP_DONE_DAYS: i32 = 7;
const KEEP_DEAD_DAYS: i32 = 30;

/// A transaction that sees every organisation's jobs: the runner's and the operator's only.
async fn operator_tx(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("select set_config('app.jobs', 'work', true)")
        .fetch_one(&mut *tx)
        .await?;
    Ok(tx)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub org: Option<Uuid>,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: OffsetDateTime,
    pub last_error: Option<String>,
}

/// The states a job can be in, as `jobs list` takes them.
pub const STATES: [&str; 4] = ["queued", "running", "dead", "done"];

/// Up to `limit` jobs in `state`, the most recent first.
pub async fn list(pool: &PgPool, state: &str, limit: i64) -> Result<Vec<JobRow>, sqlx::Error> {
    let mut tx = operator_tx(pool).await?;
    let rows = sqlx::query_as!(
        JobRow,
        "select job_id as id, kind, org_id as org, state, attempts, max_attempts, run_at, last_error
         from jobs where state = $1 order by job_id desc limit $2",
        state,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// How many jobs there are of each kind in each state.
pub async fn counts(pool: &PgPool) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    let mut tx = operator_tx(pool).await?;
    let rows = sqlx::query!(
        r#"select kind, state, count(*) as "count!" from jobs group by kind, state order by kind, state"#
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.kind, r.state, r.count))
        .collect())
}

/// Which dead jobs to queue again.
pub enum Retry {
    Ids(Vec<i64>),
    AllDead,
}

/// Queues dead jobs again with a fresh set of attempts; how many.
pub async fn retry(pool: &PgPool, which: Retry) -> Result<u64, sqlx::Error> {
    let (all, ids) = match which {
        Retry::AllDead => (true, Vec::new()),
        Retry::Ids(ids) => (false, ids),
    };
    let mut tx = operator_tx(pool).await?;
    let done = sqlx::query!(
        "update jobs set state = 'queued', attempts = 0, run_at = now(), finished_at = null,
             slot = job_next_slot(lane)
         where state = 'dead' and ($1 or job_id = any($2))",
        all,
        &ids
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// The text `server jobs list` prints.
pub fn render(counts: &[(String, String, i64)], rows: &[JobRow], state: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<28} {:<8} {:>8}", "kind", "state", "jobs");
    for (kind, state, count) in counts {
        let _ = writeln!(out, "{kind:<28} {state:<8} {count:>8}");
    }
    let _ = writeln!(out, "\n{state} jobs, most recent first:");
    if rows.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for r in rows {
        let _ = writeln!(
            out,
            "  #{} {} {} attempt {}/{} {} {}",
            r.id,
            r.kind,
            r.org.map_or_else(|| "-".to_string(), |o| o.to_string()),
            r.attempts,
            r.max_attempts,
            r.run_at,
            r.last_error.as_deref().unwrap_or("")
        );
    }
    out
}

/// Clears away finished jobs past their keeping time; runs daily.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Prune;

impl Job for Prune {
    const KIND: &'static str = "jobs.prune";
    const MAX_ATTEMPTS: i32 = 3;
}

pub fn prune_kind() -> Kind {
    Kind::new(
        1,
        Duration::from_secs(60),
        |_: Prune, context: JobContext| async move {
            let mut tx = operator_tx(context.pool()).await?;
            let removed = sqlx::query!(
            "delete from jobs where (state = 'done' and finished_at < now() - make_interval(days => $1))
                 or (state = 'dead' and finished_at < now() - make_interval(days => $2))",
            KEEP_DONE_DAYS,
            KEEP_DEAD_DAYS
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
            tracing::info!(jobs = removed, "finished jobs cleared away");
            context.finish(tx).await
        },
    )
}
