//! The worker: claims due jobs, runs each on a task of its own within its kind's limits, keeps
//! their leases alive, records outcomes, queues recurring runs, and on stop lets running jobs
//! finish or hands them back.

use std::{
    collections::{HashMap, HashSet},
    sync::{atomic::Ordering, Arc, Mutex},
    time::Duration,
};

use rand::Rng;
use sqlx::PgPool;
use tokio::{
    sync::{Notify, OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use super::{
    handler::{Claimed, JobContext, JobError, Kind},
    schedule::Schedule,
};

/// Longest wait before a failed job's next attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often expired leases are looked for and recurring runs queued.
const HOUSEKEEPING: Duration = Duration::from_secs(1);

/// How a worker polls, leases and stops.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// How long an idle worker waits before it looks for due jobs again.
    pub poll: Duration,
    /// How long a claimed job stays this worker's without renewal; renewed every third of it
    /// while the job runs. A worker that dies loses its jobs to others after this long.
    pub lease: Duration,
    /// On stop, how long running jobs may take to finish before they are handed back.
    pub grace: Duration,
}

struct Lane {
    kind: Kind,
    slots: Arc<Semaphore>,
}

pub struct Runner {
    pool: PgPool,
    lanes: Vec<Lane>,
    schedules: Vec<Schedule>,
    settings: Settings,
    worker: Arc<str>,
}

/// What the running jobs share with the loop that started them.
struct Shared {
    pool: PgPool,
    worker: Arc<str>,
    running: Mutex<HashSet<i64>>,
    finished: Notify,
}

impl Runner {
    pub fn new(
        pool: PgPool,
        kinds: Vec<Kind>,
        schedules: Vec<Schedule>,
        settings: Settings,
    ) -> Self {
        let worker = format!(
            "{}:{}:{:04x}",
            hostname(),
            std::process::id(),
            rand::rng().random::<u16>()
        );
        Self {
            pool,
            lanes: kinds
                .into_iter()
                .map(|kind| Lane {
                    slots: Arc::new(Semaphore::new(kind.concurrency)),
                    kind,
                })
                .collect(),
            schedules,
            settings,
            worker: worker.into(),
        }
    }

    /// This worker's name in the `jobs.worker` column.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Runs until `stop` is cancelled, then stops as the module says.
    pub async fn run(self, stop: CancellationToken) {
        let shared = Arc::new(Shared {
            pool: self.pool.clone(),
            worker: self.worker.clone(),
            running: Mutex::new(HashSet::new()),
            finished: Notify::new(),
        });
        let kinds: Vec<&str> = self.lanes.iter().map(|l| l.kind.name).collect();
        tracing::info!(worker = %self.worker, ?kinds, "job worker started");
        let mut tasks = JoinSet::new();
        let mut next_housekeeping = Instant::now();
        let mut next_renewal = Instant::now() + self.settings.lease / 3;
        while !stop.is_cancelled() {
            while tasks.try_join_next().is_some() {}
            if Instant::now() >= next_housekeeping {
                self.housekeeping().await;
                next_housekeeping = Instant::now() + HOUSEKEEPING;
            }
            if Instant::now() >= next_renewal {
                self.renew_leases(&shared).await;
                next_renewal = Instant::now() + self.settings.lease / 3;
            }
            let (started, full) = match self.claim_and_start(&shared, &mut tasks).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    tracing::error!(error = %e, "job queue unavailable");
                    (0, false)
                }
            };
            if started > 0 && !full {
                continue; // more may be due
            }
            tokio::select! {
                () = stop.cancelled() => {}
                () = shared.finished.notified(), if full => {}
                () = tokio::time::sleep(self.settings.poll) => {}
            }
        }
        self.stop(shared, tasks).await;
    }

    /// Claims as many due jobs as the kinds' free places and rates allow and starts them;
    /// how many it started, and whether every kind is now at its limit.
    async fn claim_and_start(
        &self,
        shared: &Arc<Shared>,
        tasks: &mut JoinSet<()>,
    ) -> Result<(usize, bool), sqlx::Error> {
        let mut names = Vec::new();
        let mut limits = Vec::new();
        let mut tokens: HashMap<&str, i32> = HashMap::new();
        for lane in &self.lanes {
            let mut free = lane.slots.available_permits() as i32;
            if free == 0 {
                continue;
            }
            if let Some(rate) = lane.kind.rate {
                free = sqlx::query_scalar!(
                    r#"select app_take_job_tokens($1, $2, $3, $4) as "taken!""#,
                    lane.kind.name,
                    free,
                    rate.per_second,
                    rate.burst as i32
                )
                .fetch_one(&self.pool)
                .await?;
                tokens.insert(lane.kind.name, free);
                if free == 0 {
                    continue;
                }
            }
            names.push(lane.kind.name.to_string());
            limits.push(free);
        }
        if names.is_empty() {
            return Ok((0, self.all_full()));
        }
        let claimed = sqlx::query!(
            r#"select job_id as "job_id!", kind as "kind!", org_id, payload as "payload!",
                      attempts as "attempts!", max_attempts as "max_attempts!"
               from app_claim_jobs($1, $2, $3, $4)"#,
            &names,
            &limits,
            &*self.worker,
            self.settings.lease.as_secs_f64()
        )
        .fetch_all(&self.pool)
        .await?;
        let started = claimed.len();
        for row in claimed {
            let Some(lane) = self.lanes.iter().find(|l| l.kind.name == row.kind) else {
                continue; // cannot happen: only our kinds were asked for
            };
            if let Some(taken) = tokens.get_mut(lane.kind.name) {
                *taken -= 1;
            }
            let permit = lane
                .slots
                .clone()
                .try_acquire_owned()
                .expect("no more claimed than free places");
            let job = Claimed {
                id: row.job_id,
                kind: row.kind,
                org: row.org_id,
                payload: row.payload,
                attempt: row.attempts,
                max_attempts: row.max_attempts,
            };
            shared.running.lock().expect("not poisoned").insert(job.id);
            tasks.spawn(run_one(shared.clone(), lane.kind.clone(), job, permit));
        }
        // Tokens taken for jobs that were not there go back to the bucket.
        for (name, unused) in tokens.into_iter().filter(|(_, n)| *n > 0) {
            let burst = self
                .lanes
                .iter()
                .find_map(|l| (l.kind.name == name).then_some(l.kind.rate?.burst))
                .unwrap_or(0);
            sqlx::query_scalar!(
                "select app_give_job_tokens($1, $2, $3)",
                name,
                unused,
                burst as i32
            )
            .fetch_one(&self.pool)
            .await?;
        }
        Ok((started, self.all_full()))
    }

    fn all_full(&self) -> bool {
        self.lanes.iter().all(|l| l.slots.available_permits() == 0)
    }

    /// Expired leases back to the queue, and recurring runs that are due.
    async fn housekeeping(&self) {
        match sqlx::query_scalar!(r#"select app_reclaim_expired_jobs() as "n!""#)
            .fetch_one(&self.pool)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "jobs whose worker stopped were queued again"),
            Err(e) => tracing::error!(error = %e, "job queue unavailable"),
        }
        for schedule in &self.schedules {
            if let Err(e) = schedule.queue_if_due(&self.pool).await {
                tracing::error!(schedule = schedule.name, error = %e, "cannot queue a recurring job");
            }
        }
    }

    async fn renew_leases(&self, shared: &Shared) {
        let ids: Vec<i64> = shared
            .running
            .lock()
            .expect("not poisoned")
            .iter()
            .copied()
            .collect();
        if ids.is_empty() {
            return;
        }
        if let Err(e) = sqlx::query_scalar!(
            "select app_extend_leases($1, $2, $3)",
            &*self.worker,
            &ids,
            self.settings.lease.as_secs_f64()
        )
        .fetch_one(&self.pool)
        .await
        {
            tracing::error!(error = %e, "cannot renew job leases");
        }
    }

    /// Running jobs get the grace period to finish; the rest are stopped and handed back, their
    /// attempt not counted.
    async fn stop(self, shared: Arc<Shared>, mut tasks: JoinSet<()>) {
        let waiting = tasks.len();
        if waiting > 0 {
            tracing::info!(
                jobs = waiting,
                "job worker stopping: letting running jobs finish"
            );
        }
        let deadline = Instant::now() + self.settings.grace;
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(_) => {}
                Err(_) => break,
            }
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        let left: Vec<i64> = shared
            .running
            .lock()
            .expect("not poisoned")
            .drain()
            .collect();
        if !left.is_empty() {
            match sqlx::query_scalar!(
                r#"select app_release_jobs($1, $2) as "n!""#,
                &*self.worker,
                &left
            )
            .fetch_one(&self.pool)
            .await
            {
                Ok(n) => tracing::info!(jobs = n, "unfinished jobs handed back to the queue"),
                // Their leases run out and other workers take them then.
                Err(e) => {
                    tracing::error!(error = %e, "cannot hand jobs back; their leases will expire")
                }
            }
        }
        tracing::info!(worker = %self.worker, "job worker stopped");
    }
}

/// Runs one attempt and records its outcome.
async fn run_one(shared: Arc<Shared>, kind: Kind, job: Claimed, _permit: OwnedSemaphorePermit) {
    let (id, attempt, max_attempts) = (job.id, job.attempt, job.max_attempts);
    let (context, finished) = JobContext::new(job, shared.pool.clone(), shared.worker.clone());
    // On a task of its own, so that a panic in a handler is an outcome like any other; stopped
    // with this one when the worker stops it.
    let mut handler = AbortOnDrop(tokio::spawn((kind.handler)(context)));
    let outcome = match (&mut handler.0).await {
        Ok(outcome) => outcome,
        Err(e) if e.is_panic() => Err(JobError::retry("the handler panicked")),
        Err(_) => return, // stopped: the job is handed back
    };
    let recorded = match &outcome {
        Ok(()) if finished.load(Ordering::Acquire) => Ok(true),
        Ok(()) => {
            sqlx::query_scalar!(
                r#"select app_job_done($1, $2, $3) as "held!""#,
                id,
                &*shared.worker,
                attempt
            )
            .fetch_one(&shared.pool)
            .await
        }
        Err(JobError::LeaseLost) => Ok(false),
        Err(e @ (JobError::Retry { .. } | JobError::Fatal(_))) => {
            let (delay, dead) = match e {
                JobError::Retry { after, .. } => {
                    let delay = backoff(kind.retry_base, attempt);
                    (after.map_or(delay, |after| after.max(delay)), false)
                }
                _ => (Duration::ZERO, true),
            };
            let last = dead || attempt >= max_attempts;
            tracing::warn!(
                job_id = id,
                kind = kind.name,
                attempt,
                error = %e,
                retry_in_secs = (!last).then_some(delay.as_secs()),
                "{}",
                if last { "job failed for good" } else { "job failed; will retry" }
            );
            sqlx::query_scalar!(
                r#"select app_job_failed($1, $2, $3, $4, $5, $6) as "held!""#,
                id,
                &*shared.worker,
                attempt,
                e.to_string(),
                delay.as_secs_f64(),
                dead
            )
            .fetch_one(&shared.pool)
            .await
        }
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            job_id = id,
            kind = kind.name,
            "the job's lease ran out while it ran; its outcome is another worker's to record"
        ),
        // The lease runs out and the job runs again: handlers are idempotent.
        Err(e) => tracing::error!(job_id = id, error = %e, "cannot record a job's outcome"),
    }
    shared.running.lock().expect("not poisoned").remove(&id);
    shared.finished.notify_one();
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The wait before attempt `attempt + 1`: `base` doubled per attempt so far, capped, and
/// jittered to between half and all of that, so that jobs failing together spread out.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let doubled = base
        .saturating_mul(1u32 << (attempt - 1).clamp(0, 20))
        .min(MAX_BACKOFF);
    doubled.mul_f64(rand::rng().random_range(0.5..=1.0))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_with_jitter_up_to_an_hour() {
        let base = Duration::from_secs(10);
        for _ in 0..100 {
            let first = backoff(base, 1);
            assert!(
                first >= Duration::from_secs(5) && first <= base,
                "{first:?}"
            );
            let fourth = backoff(base, 4);
            assert!(fourth >= Duration::from_secs(40) && fourth <= Duration::from_secs(80));
            assert!(backoff(base, 60) <= MAX_BACKOFF);
            assert!(backoff(base, 60) >= MAX_BACKOFF / 2);
        }
    }
}
