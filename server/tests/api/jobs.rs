//! The background job queue: jobs survive a stop, are retried with back-off and then dead until
//! an operator retries them, share the workers fairly between organisations, run inside their
//! organisation's row-level security, and run once across worker processes.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::jobs::{enqueue, Job, Queue};
use serde::{Deserialize, Serialize};
use server::jobs::{admin, JobContext, JobError, Kind, Rate, Runner, Schedule, Settings};
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::support::{
    fake_sendgrid::{self, API_KEY},
    orgs::{tenant_tx, Fixture},
    TestApp,
};

/// A job of the tests' own: its number, and what its handler saw.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, Default)]
struct Probe {
    n: i64,
}

impl Job for Probe {
    const KIND: &'static str = "test.probe";
    const MAX_ATTEMPTS: i32 = 3;
}

/// A migrated database with no worker of the server's own, and a pool as the application role.
async fn queue() -> (TestApp, PgPool, PgPool) {
    let app = TestApp::spawn_with(&[("OPS_JOBS_IN_SERVE", "0")]).await;
    let pool = PgPool::connect(&app.db.app_url).await.unwrap();
    let admin = PgPool::connect(&app.db.url).await.unwrap();
    (app, pool, admin)
}

fn settings(lease: Duration, grace: Duration) -> Settings {
    Settings {
        poll: Duration::from_millis(20),
        lease,
        grace,
    }
}

struct Worker {
    stop: CancellationToken,
    task: JoinHandle<()>,
    name: String,
}

fn start(pool: &PgPool, kinds: Vec<Kind>, settings: Settings) -> Worker {
    let runner = Runner::new(pool.clone(), kinds, Vec::new(), settings);
    let name = runner.worker().to_string();
    let stop = CancellationToken::new();
    let task = tokio::spawn(runner.run(stop.clone()));
    Worker { stop, task, name }
}

impl Worker {
    async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

async fn add(pool: &PgPool, n: i64) -> i64 {
    let mut conn = pool.acquire().await.unwrap();
    enqueue(&mut conn, &Probe { n }, Queue::default())
        .await
        .unwrap()
        .expect("queued")
}

/// (state, attempts, last error) of a job, looked at past row-level security.
async fn job(admin: &PgPool, id: i64) -> (String, i32, Option<String>) {
    sqlx::query_as("select state, attempts, last_error from jobs where job_id = $1")
        .bind(id)
        .fetch_one(admin)
        .await
        .unwrap()
}

async fn wait_for_state(admin: &PgPool, id: i64, state: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let (now, attempts, error) = job(admin, id).await;
        if now == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} is {now} after {attempts} attempt(s), not {state}; last error {error:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A handler that records when each attempt started and fails while `failing` says so.
#[derive(Clone, Default)]
struct Recorder {
    started: Arc<Mutex<Vec<(i64, Instant)>>>,
    failing: Arc<Mutex<Option<JobError>>>,
}

impl Recorder {
    fn kind(&self, concurrency: usize, retry_base: Duration) -> Kind {
        let me = self.clone();
        Kind::new(concurrency, retry_base, move |job: Probe, _: JobContext| {
            let me = me.clone();
            async move {
                me.started.lock().unwrap().push((job.n, Instant::now()));
                let failing = me.failing.lock().unwrap().take();
                match failing {
                    Some(JobError::Retry { error, after }) => {
                        // Fails the same way next time too.
                        *me.failing.lock().unwrap() = Some(JobError::Retry {
                            error: error.clone(),
                            after,
                        });
                        Err(JobError::Retry { error, after })
                    }
                    Some(other) => Err(other),
                    None => Ok(()),
                }
            }
        })
    }

    fn fail_with(&self, error: Option<JobError>) {
        *self.failing.lock().unwrap() = error;
    }

    fn order(&self) -> Vec<i64> {
        self.started
            .lock()
            .unwrap()
            .iter()
            .map(|(n, _)| *n)
            .collect()
    }
}

#[tokio::test]
async fn a_failing_job_is_retried_with_back_off_then_dead_until_an_operator_retries_it() {
    let (_app, pool, admin) = queue().await;
    let recorder = Recorder::default();
    recorder.fail_with(Some(JobError::retry("the service is down")));
    let worker = start(
        &pool,
        vec![recorder.kind(1, Duration::from_millis(200))],
        settings(Duration::from_secs(10), Duration::from_secs(1)),
    );
    let id = add(&pool, 1).await;
    wait_for_state(&admin, id, "dead", Duration::from_secs(10)).await;
    let (_, attempts, error) = job(&admin, id).await;
    assert_eq!(attempts, Probe::MAX_ATTEMPTS);
    assert_eq!(error.as_deref(), Some("the service is down"));
    let times: Vec<Instant> = recorder
        .started
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(times.len(), 3, "three attempts, then no more");
    // 200 ms then 400 ms, each jittered down to no less than half.
    assert!(times[1] - times[0] >= Duration::from_millis(100));
    assert!(times[2] - times[1] >= Duration::from_millis(200));

    // The operator's view shows it; retried, it runs again with fresh attempts and succeeds.
    let dead = admin::list(&pool, "dead", 10).await.unwrap();
    assert_eq!(dead.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
    recorder.fail_with(None);
    assert_eq!(
        admin::retry(&pool, admin::Retry::Ids(vec![id]))
            .await
            .unwrap(),
        1
    );
    wait_for_state(&admin, id, "done", Duration::from_secs(5)).await;
    assert_eq!(job(&admin, id).await.1, 1, "a fresh set of attempts");
    worker.stop().await;
}

#[tokio::test]
async fn a_service_that_says_when_to_come_back_is_not_asked_sooner() {
    let (_app, pool, admin) = queue().await;
    let recorder = Recorder::default();
    recorder.fail_with(Some(JobError::retry_after(
        "429 RESOURCE_EXHAUSTED",
        Some(Duration::from_millis(1500)),
    )));
    let worker = start(
        &pool,
        vec![recorder.kind(1, Duration::from_millis(10))],
        settings(Duration::from_secs(10), Duration::from_secs(1)),
    );
    let id = add(&pool, 1).await;
    while recorder.started.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    recorder.fail_with(None);
    wait_for_state(&admin, id, "done", Duration::from_secs(10)).await;
    let times: Vec<Instant> = recorder
        .started
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(times.len(), 2);
    assert!(
        times[1] - times[0] >= Duration::from_millis(1500),
        "the second attempt came {:?} after the first",
        times[1] - times[0]
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_fatal_failure_is_dead_at_once_and_a_malformed_payload_is_fatal() {
    let (_app, pool, admin) = queue().await;
    let recorder = Recorder::default();
    recorder.fail_with(Some(JobError::fatal("the request itself was refused")));
    let worker = start(
        &pool,
        vec![recorder.kind(1, Duration::from_millis(10))],
        settings(Duration::from_secs(10), Duration::from_secs(1)),
    );
    let id = add(&pool, 1).await;
    wait_for_state(&admin, id, "dead", Duration::from_secs(5)).await;
    assert_eq!(job(&admin, id).await.1, 1, "no retry");

    let malformed: i64 = sqlx::query_scalar(
        "select app_enqueue_job('test.probe', null, '{\"n\": \"not a number\"}', null, 3, null)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    wait_for_state(&admin, malformed, "dead", Duration::from_secs(5)).await;
    let (_, attempts, error) = job(&admin, malformed).await;
    assert_eq!(attempts, 1);
    assert!(error.unwrap().contains("malformed test.probe payload"));
    worker.stop().await;
}

#[tokio::test]
async fn jobs_running_at_a_stop_go_back_to_the_queue_and_run_after_the_restart() {
    let (_app, pool, admin) = queue().await;
    let started = Arc::new(Mutex::new(0));
    let slow = {
        let started = started.clone();
        move || {
            let started = started.clone();
            Kind::new(
                2,
                Duration::from_millis(10),
                move |_: Probe, _: JobContext| {
                    let started = started.clone();
                    async move {
                        let first = {
                            let mut n = started.lock().unwrap();
                            *n += 1;
                            *n == 1
                        };
                        if first {
                            // Longer than the grace period: still running at the stop.
                            tokio::time::sleep(Duration::from_secs(60)).await;
                        }
                        Ok(())
                    }
                },
            )
        }
    };
    let id = add(&pool, 1).await;
    let worker = start(
        &pool,
        vec![slow()],
        settings(Duration::from_secs(30), Duration::from_millis(300)),
    );
    wait_for_state(&admin, id, "running", Duration::from_secs(5)).await;
    worker.stop().await;
    let (state, attempts, _) = job(&admin, id).await;
    assert_eq!(
        (state.as_str(), attempts),
        ("queued", 0),
        "handed back, its attempt not counted"
    );
    let restarted = start(
        &pool,
        vec![slow()],
        settings(Duration::from_secs(30), Duration::from_millis(300)),
    );
    wait_for_state(&admin, id, "done", Duration::from_secs(5)).await;
    assert_eq!(job(&admin, id).await.1, 1);
    restarted.stop().await;
}

#[tokio::test]
async fn the_jobs_of_a_worker_that_died_go_to_another_when_its_lease_runs_out() {
    let (_app, pool, admin) = queue().await;
    let hang = || {
        Kind::new(
            1,
            Duration::from_millis(10),
            |_: Probe, _: JobContext| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            },
        )
    };
    let id = add(&pool, 1).await;
    let dying = start(
        &pool,
        vec![hang()],
        settings(Duration::from_secs(1), Duration::from_secs(1)),
    );
    wait_for_state(&admin, id, "running", Duration::from_secs(5)).await;
    // Gone without a word: no hand-back, no more lease renewals.
    dying.task.abort();
    let _ = dying.task.await;
    let recorder = Recorder::default();
    let other = start(
        &pool,
        vec![recorder.kind(1, Duration::from_millis(10))],
        settings(Duration::from_secs(1), Duration::from_secs(1)),
    );
    wait_for_state(&admin, id, "done", Duration::from_secs(10)).await;
    let (worker, attempts): (String, i32) =
        sqlx::query_as("select worker, attempts from jobs where job_id = $1")
            .bind(id)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(worker, other.name);
    assert_eq!(attempts, 2, "the lost attempt counts");
    other.stop().await;
}

#[tokio::test]
async fn one_organisations_backlog_does_not_hold_up_anothers_job() {
    let (_app, pool, admin) = queue().await;
    let fixture = Fixture::create(&admin).await;
    let mut conn = pool.acquire().await.unwrap();
    let mut tx = tenant_tx(&mut conn, fixture.a).await;
    for n in 1..=200 {
        enqueue(&mut tx, &Probe { n }, Queue::for_org(fixture.a))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = tenant_tx(&mut conn, fixture.b).await;
    enqueue(&mut tx, &Probe { n: -1 }, Queue::for_org(fixture.b))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let recorder = Recorder::default();
    let worker = start(
        &pool,
        vec![recorder.kind(1, Duration::from_millis(10))],
        settings(Duration::from_secs(10), Duration::from_secs(1)),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !recorder.order().contains(&-1) {
        assert!(Instant::now() < deadline, "B's job never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let position = recorder.order().iter().position(|n| *n == -1).unwrap();
    assert!(
        position <= 2,
        "B's one job ran after {position} of A's 200, not in its turn"
    );
    worker.stop().await;
}

/// What a tenant's job saw of the database.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
struct Census;

impl Job for Census {
    const KIND: &'static str = "test.census";
}

#[tokio::test]
async fn a_job_sees_only_its_own_organisations_rows() {
    let (_app, pool, admin) = queue().await;
    let fixture = Fixture::create(&admin).await;
    // Per job: the businesses' names it saw, and how many jobs.
    type Seen = Vec<(Vec<String>, i64)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let census = {
        let seen = seen.clone();
        Kind::new(
            1,
            Duration::from_millis(10),
            move |_: Census, context: JobContext| {
                let seen = seen.clone();
                async move {
                    let mut tx = context.begin().await?;
                    let names: Vec<String> =
                        sqlx::query_scalar("select name from businesses order by name")
                            .fetch_all(&mut *tx)
                            .await?;
                    let jobs: i64 = sqlx::query_scalar("select count(*) from jobs")
                        .fetch_one(&mut *tx)
                        .await?;
                    seen.lock().unwrap().push((names, jobs));
                    context.finish(tx).await
                }
            },
        )
    };
    let mut conn = pool.acquire().await.unwrap();
    for org in [fixture.a, fixture.b] {
        let mut tx = tenant_tx(&mut conn, org).await;
        enqueue(&mut tx, &Census, Queue::for_org(org))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    // A transaction of A cannot queue work for B.
    let mut tx = tenant_tx(&mut conn, fixture.a).await;
    let refused = enqueue(&mut tx, &Census, Queue::for_org(fixture.b))
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("queued outside its transaction"),
        "{refused}"
    );
    drop(tx);
    // Nor see B's jobs.
    let mut tx = tenant_tx(&mut conn, fixture.a).await;
    let orgs: Vec<Option<Uuid>> = sqlx::query_scalar("select org_id from jobs")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        orgs,
        vec![Some(fixture.a); 2],
        "its census and the fixture's job"
    );
    drop(tx);

    let worker = start(
        &pool,
        vec![census],
        settings(Duration::from_secs(10), Duration::from_secs(1)),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "the jobs did not run");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.stop().await;
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (vec!["Bravo Flour Mill".to_string()], 2),
            (vec!["Quay Street Coffee".to_string()], 2)
        ],
        "each job saw its organisation's one business, and of the jobs its own and the \
         fixture's for that organisation only"
    );
}

#[tokio::test]
async fn a_rate_limited_kind_starts_no_faster_than_its_rate() {
    let (_app, pool, admin) = queue().await;
    let recorder = Recorder::default();
    let kind = recorder
        .kind(8, Duration::from_millis(10))
        .rate_limited(Rate {
            per_second: 10.0,
            burst: 2,
        });
    let ids: Vec<i64> = futures::future::join_all((1..=12).map(|n| add(&pool, n))).await;
    let worker = start(
        &pool,
        vec![kind],
        settings(Duration::from_secs(10), Duration::from_secs(1)),
    );
    for id in &ids {
        wait_for_state(&admin, *id, "done", Duration::from_secs(10)).await;
    }
    worker.stop().await;
    let mut times: Vec<Instant> = recorder
        .started
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.1)
        .collect();
    times.sort();
    let span = *times.last().unwrap() - times[0];
    // Two at once, then ten more at ten a second.
    assert!(
        span >= Duration::from_millis(900),
        "twelve jobs started within {span:?}"
    );
}

#[tokio::test]
async fn a_recurring_job_is_queued_once_per_time_however_many_workers_look() {
    let (_app, pool, admin) = queue().await;
    let schedule = || {
        Schedule::new::<Probe>(
            "test.hourly",
            time::macros::datetime!(2026-01-01 00:00 UTC),
            Duration::from_secs(3600),
        )
    };
    let (a, b) = (schedule(), schedule());
    let (first, second) = tokio::join!(a.queue_if_due(&pool), b.queue_if_due(&pool));
    assert_eq!(
        [first.unwrap(), second.unwrap()]
            .iter()
            .filter(|d| **d)
            .count(),
        1,
        "one of the two queued this hour's run"
    );
    assert!(
        !a.queue_if_due(&pool).await.unwrap(),
        "not due again this hour"
    );
    let queued: i64 = sqlx::query_scalar("select count(*) from jobs where kind = 'test.probe'")
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(queued, 1);
}

#[tokio::test]
async fn two_worker_processes_send_each_email_exactly_once() {
    const EMAILS: usize = 40;
    // Each send takes a while, as a remote API's does, so that one process cannot send every
    // email before the other has started.
    let (fake, addr) = fake_sendgrid::start_with(fake_sendgrid::Options {
        delay: Duration::from_millis(50),
        ..fake_sendgrid::Options::default()
    })
    .await;
    let (app, pool, admin) = queue().await;
    let mut tx = pool.begin().await.unwrap();
    for i in 0..EMAILS {
        app::email::enqueue_email(
            &mut tx,
            app::email::Email {
                kind: app::email::EmailKind::PasswordReset,
                to: format!("person{i}@example.com"),
                subject: "Reset your password".into(),
                text: "text".into(),
                html: "<p>html</p>".into(),
                org: None,
                forget_recipient: false,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    // Each email queued its delivery job, of the kind the worker runs.
    let queued: Vec<(String, i32, i64)> = sqlx::query_as(
        "select kind, max_attempts, count(*) from jobs where state = 'queued' group by 1, 2",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    use app::email::SendEmail;
    assert_eq!(
        queued,
        vec![(
            SendEmail::KIND.to_string(),
            SendEmail::MAX_ATTEMPTS,
            EMAILS as i64
        )]
    );

    let sendgrid = format!("http://{addr}");
    let workers: Vec<_> = (0..2)
        .map(|_| {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
                .arg("worker")
                .env_clear()
                .env("OPS_ENV", "development")
                .env("DATABASE_URL", &app.db.app_url)
                .env("OPS_PUBLIC_URL", "http://ops.test")
                .env("OPS_SECURITY_CONTACT", "security@ops.test")
                .env("OPS_SECURITY_UPDATED", "2026-11-01")
                .env("SENDGRID_API_KEY", API_KEY)
                .env("OPS_EMAIL_FROM", "no-reply@ops.test")
                .env("OPS_SENDGRID_BASE_URL", &sendgrid)
                .env("OPS_JOBS_POLL_MS", "20")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("server worker starts")
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.accepted.lock().unwrap().len() < EMAILS {
        assert!(
            Instant::now() < deadline,
            "{} of {EMAILS} sent",
            fake.accepted.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Time for a second delivery of any email, were there one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut to: Vec<String> = fake
        .accepted
        .lock()
        .unwrap()
        .iter()
        .map(|m| {
            m["personalizations"][0]["to"][0]["email"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), EMAILS, "each sent once");
    assert_eq!(
        fake.accepted.lock().unwrap().len(),
        EMAILS,
        "none sent twice"
    );
    let by: Vec<(String, i64)> = sqlx::query_as(
        "select worker, count(*) from jobs where kind = 'email.send' and state = 'done' group by worker",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert_eq!(by.len(), 2, "both processes sent some: {by:?}");
    for mut worker in workers {
        // SIGTERM, as an operator's service manager sends; both stop cleanly.
        let pid = worker.id().unwrap() as i32;
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(10), worker.wait())
            .await
            .expect("stops within its grace")
            .unwrap();
        assert!(status.success(), "exited with {status}");
    }
}
