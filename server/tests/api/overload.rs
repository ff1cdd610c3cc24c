//! Overload answers at once: a request that finds no free connection within the pool's wait, or
//! whose statement runs past the role's time limit, is answered 503 with `Retry-After` quickly,
//! never queued indefinitely, and the server serves again as soon as the load is gone.

use std::time::{Duration, Instant};

use app::work::issues::{IssueQuery, ListIssues};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::support::{
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    TestApp,
};

fn list() -> ListIssues {
    ListIssues {
        slug: A_SLUG.into(),
        form: IssueQuery::default(),
    }
}

#[tokio::test]
async fn a_stuck_database_is_answered_503_at_once_and_the_server_recovers() {
    let app = TestApp::spawn_with(&[
        ("OPS_DB_MAX_CONNECTIONS", "2"),
        ("OPS_DB_ACQUIRE_TIMEOUT_SECS", "1"),
    ])
    .await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    // In this database only, the application's statements may run for one second (the role's
    // own limit, from scripts/roles.sql, is longer); connections opened before take it up anew.
    sqlx::query(&format!(
        "alter role ops_app in database {} set statement_timeout = '1s'",
        app.db.name
    ))
    .execute(&db)
    .await
    .unwrap();
    sqlx::query(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and usename = 'ops_app'",
    )
    .execute(&db)
    .await
    .unwrap();
    Fixture::create(&db).await;
    let mut b = sign_in(&app, email_of("a-manager")).await;
    let before = b.ok(list()).await.items.len();
    assert!(before > 0);

    // Someone holds every issue locked, after a change (so no page of issues kept from before
    // can answer): each list waits on the lock until its statement is cancelled, and the calls
    // beyond the pool's two connections wait for one to come free.
    sqlx::query("update issues set title = title || '.'")
        .execute(&db)
        .await
        .unwrap();
    let mut locker = db.begin().await.unwrap();
    sqlx::query("lock table issues in access exclusive mode")
        .execute(&mut *locker)
        .await
        .unwrap();
    let calls = (0..6).map(|_| {
        let mut b = b.clone();
        async move {
            let started = Instant::now();
            let (status, body) = b.call_fn(list()).await;
            (status, body, b.last_retry_after.clone(), started.elapsed())
        }
    });
    for (status, body, retry_after, took) in futures::future::join_all(calls).await {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(retry_after.is_some(), "503 says when to try again");
        assert!(
            !body.contains("57014") && !body.contains("statement"),
            "{body}"
        );
        assert!(took < Duration::from_secs(4), "answered after {took:?}");
    }
    locker.rollback().await.unwrap();

    assert_eq!(
        b.ok(list()).await.items.len(),
        before,
        "served again at once"
    );
}
