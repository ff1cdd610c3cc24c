//! What a signed-in page costs the database: every resource of the page declares its access, but
//! the request checks the sign-in once, resolves the organisation once (in the statement that
//! also sets the tenant), and its reads share one transaction. Counted by PostgreSQL itself
//! (pg_stat_statements), for the application role in this test's database only.

use crate::support::{
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    TestApp,
};
use sqlx::PgPool;

/// Each statement the application ran in this database since the last reset, with its calls.
async fn statements(db: &PgPool) -> Vec<(String, i64)> {
    settled(db).await;
    sqlx::query_as(
        "select s.query, s.calls from pg_stat_statements s
         where s.dbid = (select oid from pg_database where datname = current_database())
           and s.userid = 'ops_app'::regrole
         order by s.calls desc, s.query",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

/// Waits until the application's connections to this database are idle: a request's
/// transaction ends with a `ROLLBACK` sent when its connection returns to the pool, which may be
/// just after the response has reached the client.
async fn settled(db: &PgPool) {
    for _ in 0..200 {
        let busy: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity
             where datname = current_database() and usename = 'ops_app' and state <> 'idle'",
        )
        .fetch_one(db)
        .await
        .unwrap();
        if busy == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the application's connections stay busy after the request");
}

async fn reset(db: &PgPool) {
    settled(db).await;
    sqlx::query(
        "select pg_stat_statements_reset(0, (select oid from pg_database where datname = current_database()), 0)",
    )
    .execute(db)
    .await
    .unwrap();
}

fn calls(all: &[(String, i64)], what: impl Fn(&str) -> bool) -> i64 {
    all.iter()
        .filter(|(query, _)| what(&query.to_lowercase()))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn a_signed_in_page_checks_its_caller_once_and_reads_in_one_transaction() {
    // Without the job worker, whose polling would count as the page's.
    let app = TestApp::spawn_with(&[("OPS_JOBS_IN_SERVE", "0")]).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    sqlx::query("create extension if not exists pg_stat_statements")
        .execute(&db)
        .await
        .expect("pg_stat_statements is loaded (scripts/pg.sh configures its clusters so)");
    Fixture::create(&db).await;
    let mut b = sign_in(&app, email_of("a-manager")).await;
    // The issue list page: the organisation's frame (the organisation, the switcher's list) and
    // the page's own resources (the issues, the assignee and business choices) all declare access.
    let page = format!("/o/{A_SLUG}/issues");
    assert!(b.open(&page).await.contains("Issues"));

    reset(&db).await;
    let html = b.open(&page).await;
    assert!(html.contains("<table"), "the page lists its issues");
    let all = statements(&db).await;
    let report = format!("{all:#?}");

    assert_eq!(
        calls(&all, |q| q.contains("app_session_alive")),
        0,
        "the sign-in is checked once, in the statement that enters the organisation: {report}"
    );
    assert_eq!(
        calls(&all, |q| q.contains("app_enter_organisation")),
        1,
        "the organisation is resolved once: {report}"
    );
    assert_eq!(
        calls(&all, |q| q.trim() == "begin"),
        1,
        "the page's reads share one transaction: {report}"
    );
    assert_eq!(
        calls(&all, |q| q.contains("set_config")),
        0,
        "resolving the organisation sets the tenant: {report}"
    );
    assert_eq!(
        calls(&all, |q| q.trim() == "commit"),
        0,
        "a page that only reads commits nothing: {report}"
    );
    assert_eq!(
        calls(&all, |q| q.trim() == "rollback"),
        1,
        "and ends its one transaction once: {report}"
    );
    // Besides the data (the issues, the choices and the organisation list): the session store's
    // load, the transaction's start, the membership (with the sign-in's check), and the
    // transaction's end.
    let data = calls(&all, |q| {
        !(q.contains("tower_sessions")
            || q.contains("app_session_alive")
            || q.contains("app_enter_organisation")
            || ["begin", "rollback"].contains(&q.trim()))
    });
    let total: i64 = all.iter().map(|(_, n)| n).sum();
    assert!(data >= 3, "the page's own data: {report}");
    assert!(
        total <= data + 4,
        "{total} statements for {data} of data: {report}"
    );
}

#[tokio::test]
async fn a_function_checks_the_sign_in_in_the_statement_that_enters_the_organisation() {
    use app::work::issues::{IssueQuery, ListIssues};
    // Without the job worker, whose polling would count as the page's.
    let app = TestApp::spawn_with(&[("OPS_JOBS_IN_SERVE", "0")]).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    sqlx::query("create extension if not exists pg_stat_statements")
        .execute(&db)
        .await
        .unwrap();
    let f = Fixture::create(&db).await;
    let mut b = sign_in(&app, email_of("a-manager")).await;
    let list = || ListIssues {
        slug: A_SLUG.into(),
        form: IssueQuery::default(),
    };
    assert!(!b.ok(list()).await.items.is_empty());

    reset(&db).await;
    b.ok(list()).await;
    let all = statements(&db).await;
    let report = format!("{all:#?}");
    assert_eq!(
        calls(&all, |q| q.contains("app_session_alive")),
        0,
        "no separate sign-in check: {report}"
    );
    assert_eq!(
        calls(&all, |q| q.contains("app_enter_organisation")),
        1,
        "{report}"
    );
    let total: i64 = all.iter().map(|(_, n)| n).sum();
    assert!(
        total <= 5,
        "the session's load, begin, enter, the list, rollback: {report}"
    );

    // Ended elsewhere: refused at once, and the browser's session is over.
    let manager = f.users["a-manager"];
    let stored = || {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from tower_sessions.session")
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let before = stored().await;
    sqlx::query("delete from user_sessions where user_id = $1")
        .bind(manager)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        b.err(list()).await.status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        stored().await,
        before - 1,
        "the browser's session is removed"
    );
}
