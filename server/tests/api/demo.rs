//! The demo organisation the run command loads: loaded once, the same every time, and usable.

use crate::support::{orgs::sign_in_with, TestApp};
use app::work::issues::GetIssue;
use sqlx::PgPool;

#[tokio::test]
async fn the_demo_organisation_loads_once_through_the_application_role() {
    let app = TestApp::spawn().await;
    let app_pool = PgPool::connect(&app.db.app_url).await.unwrap();
    assert!(server::demo::load(&app_pool).await.unwrap(), "first load");
    assert!(
        !server::demo::load(&app_pool).await.unwrap(),
        "second load changes nothing"
    );

    let db = PgPool::connect(&app.db.url).await.unwrap();
    let (sites, outside, issues, numbers_ok, done_have_dates): (i64, i64, i64, bool, bool) = sqlx::query_as(
        "select (select count(*) from businesses where relationship = 'own_site'),
                (select count(*) from businesses where relationship <> 'own_site'),
                (select count(*) from issues),
                (select array_agg(number order by number) = array(select generate_series(1, 300)) from issues),
                (select bool_and((status in ('resolved', 'closed')) = (resolved_at is not null)) from issues)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((sites, issues), (6, 300));
    assert!((35..=45).contains(&outside), "{outside}");
    assert!(numbers_ok && done_have_dates);
    let oldest_days: f64 = sqlx::query_scalar(
        "select extract(epoch from now() - min(created_at))::float8 / 86400 from issues",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(oldest_days <= 91.0 && oldest_days > 60.0, "{oldest_days}");

    let mut b = sign_in_with(&app, server::demo::EMAIL, server::demo::PASSWORD).await;
    b.ok(GetIssue {
        slug: server::demo::SLUG.into(),
        number: 300,
    })
    .await;
}
