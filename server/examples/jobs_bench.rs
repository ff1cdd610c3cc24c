//! The job queue's throughput and latency (scripts/bench-jobs.sh runs it): no-op jobs per second
//! through one worker at 1, 4 and 16 at once, then the time from enqueue to start of jobs queued
//! one at a time. Prints figures; a measurement, not a test.
//!
//!   jobs_bench APP_DATABASE_URL ADMIN_DATABASE_URL [JOBS]
//!
//! APP_DATABASE_URL connects as the application's role (the worker's); ADMIN_DATABASE_URL as a
//! superuser, to queue the throughput rounds' jobs in one statement and clear them after.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::jobs::{enqueue, Job, Queue};
use serde::{Deserialize, Serialize};
use server::jobs::{JobContext, Kind, Runner, Settings};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

#[derive(Serialize, Deserialize)]
struct Noop {
    /// When it was queued, in microseconds since the Unix epoch (for the latency round).
    at: i64,
}

impl Job for Noop {
    const KIND: &'static str = "bench.noop";
}

fn now_micros() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1000
}

fn settings() -> Settings {
    Settings {
        // The production default (OPS_JOBS_POLL_MS).
        poll: Duration::from_millis(50),
        lease: Duration::from_secs(60),
        grace: Duration::from_secs(5),
    }
}

async fn remaining(admin: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from jobs where kind = 'bench.noop' and state <> 'done'")
        .fetch_one(admin)
        .await
        .expect("count")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [app_url, admin_url, rest @ ..] = &args[..] else {
        eprintln!("usage: jobs_bench APP_DATABASE_URL ADMIN_DATABASE_URL [JOBS]");
        std::process::exit(2);
    };
    let jobs: i64 = rest.first().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect(app_url)
        .await
        .expect("connect as the application");
    let admin = PgPool::connect(admin_url).await.expect("connect as admin");
    sqlx::query("delete from jobs where kind = 'bench.noop'")
        .execute(&admin)
        .await
        .unwrap();

    for concurrency in [1usize, 4, 16] {
        sqlx::query(
            "select app_enqueue_job('bench.noop', null, jsonb_build_object('at', 0), null, 10, null)
             from generate_series(1, $1)",
        )
        .bind(jobs)
        .execute(&admin)
        .await
        .expect("queue the round's jobs");
        let kind = Kind::new(
            concurrency,
            Duration::from_secs(1),
            |_: Noop, _: JobContext| async { Ok(()) },
        );
        let stop = CancellationToken::new();
        let started = Instant::now();
        let worker = tokio::spawn(
            Runner::new(pool.clone(), vec![kind], vec![], settings()).run(stop.clone()),
        );
        while remaining(&admin).await > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let seconds = started.elapsed().as_secs_f64();
        stop.cancel();
        worker.await.unwrap();
        println!(
            "no-op jobs, {concurrency:>2} at once: {jobs} in {seconds:.2} s = {:.0} jobs/s",
            jobs as f64 / seconds
        );
        sqlx::query("delete from jobs where kind = 'bench.noop'")
            .execute(&admin)
            .await
            .unwrap();
    }

    // Latency: one job queued every 20 ms for 10 s, each timed from its queuing to its start.
    let waits: Arc<Mutex<Vec<f64>>> = Arc::default();
    let kind = {
        let waits = waits.clone();
        Kind::new(
            4,
            Duration::from_secs(1),
            move |job: Noop, _: JobContext| {
                let waits = waits.clone();
                async move {
                    let waited = (now_micros() - job.at) as f64 / 1000.0;
                    waits.lock().unwrap().push(waited);
                    Ok(())
                }
            },
        )
    };
    let stop = CancellationToken::new();
    let worker =
        tokio::spawn(Runner::new(pool.clone(), vec![kind], vec![], settings()).run(stop.clone()));
    let sent = 500;
    let mut conn = pool.acquire().await.unwrap();
    for _ in 0..sent {
        // Queued outside a transaction: visible to the worker as the statement ends.
        enqueue(&mut conn, &Noop { at: now_micros() }, Queue::default())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(conn);
    while waits.lock().unwrap().len() < sent {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    worker.await.unwrap();
    let mut waits = waits.lock().unwrap().clone();
    waits.sort_by(f64::total_cmp);
    let at = |q: f64| waits[((waits.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "enqueue to start, {sent} jobs one at a time: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    );
    sqlx::query("delete from jobs where kind = 'bench.noop'")
        .execute(&admin)
        .await
        .unwrap();
}
