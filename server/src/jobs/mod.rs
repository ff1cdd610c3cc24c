//! Background jobs: work that runs outside a request (sending email, and the outside services
//! that follow), survives restarts and outages, and runs once among several server processes.
//!
//! Jobs are queued with `app::jobs::enqueue` in the transaction of the change that asks for
//! them. They live in PostgreSQL (`migrations/*_jobs.sql`): queued, running under a lease one
//! worker holds and renews, then done, or dead after their last attempt. Workers claim due jobs
//! with `FOR UPDATE SKIP LOCKED`, so any number of processes share the queue and never take the
//! same job; a worker that dies loses its leases and the jobs run again elsewhere. Delivery is
//! therefore at least once, and every handler is idempotent.
//!
//! - Retries: a failed attempt is queued again after an exponential back-off with jitter, or
//!   after the outside service's `Retry-After` when that is later ([`JobError::Retry`]); after
//!   its kind's last attempt, or at once for a failure no retry can fix ([`JobError::Fatal`]),
//!   the job is dead until an operator retries it (`server jobs list|retry`).
//! - Limits: per kind, a number running at once in each process, and optionally a rate shared by
//!   every process (a token bucket in the database), for an outside API's quota.
//! - Fairness: each organisation's jobs form a lane, and workers take the lanes' jobs in turn
//!   (the `slot` order), so one organisation's 10,000 jobs do not hold up another's one.
//! - Tenancy: a job of an organisation runs inside that organisation's row-level security, like a
//!   request ([`JobContext::begin`]); its writes and its completion commit together
//!   ([`JobContext::finish`]).
//! - Outside calls run with no transaction open: a job holds no database connection while it
//!   waits on a slow service.
//! - Recurring jobs ([`Schedule`]) are queued once per time among all workers.
//! - Stopping: no new jobs are claimed; running ones get the grace period, then are handed back
//!   without their attempt counted.
//!
//! Why a queue of our own rather than a crate: we looked at apalis (PostgreSQL backend), underway,
//! graphile_worker and sqlxmq. None has fairness between tenants, a rate limit shared across
//! processes, or a retry time the handler can set from `Retry-After`; most record completion
//! outside the handler's transaction, which row-level security and idempotent writes need inside
//! it; graphile_worker's current releases need a newer sqlx than ours. What they do is a few
//! hundred lines over PostgreSQL here, in the same checked SQL and row-level security as the rest
//! of the application.

pub mod admin;
pub mod handler;
pub mod runner;
pub mod schedule;

pub use handler::{Claimed, JobContext, JobError, Kind, Rate};
pub use runner::{Runner, Settings};
pub use schedule::Schedule;
