//! The demo organisation the run command loads: loaded once, the same every time, and usable.

use crate::support::{orgs::sign_in_with, TestApp};
use app::work::issues::GetIssue;
use sqlx::PgPool;

#[tokio::test]
async fn the_demo_organisation_loads_once_through_the_application_role() {
    let app = TestApp::spawn().await;
    let app_pool = PgPool::connect(&app.db.app_url).await.unwrap();
    assert!(
        server::demo::load(&app_pool, true).await.unwrap(),
        "first load"
    );
    assert!(
        !server::demo::load(&app_pool, true).await.unwrap(),
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
    // A realistic inbox: a few dozen conversations across the sites, some linked to issues,
    // none from the future, every answer after the message it answers.
    let (threads, sites_with_mail, linked, waiting, in_order): (i64, i64, i64, i64, bool) =
        sqlx::query_as(
            "select count(*), count(distinct business_id), count(issue_id),
                count(*) filter (where awaiting_reply),
                (select bool_and(m.created_at <= now()
                                 and (m.direction = 'in' or m.created_at >= t2.created_at))
                 from inbox_messages m join inbox_threads t2 using (org_id, thread_id))
         from inbox_threads",
        )
        .fetch_one(&db)
        .await
        .unwrap();
    assert!((24..=60).contains(&threads), "{threads}");
    assert_eq!(sites_with_mail, 6);
    assert!(
        linked >= 3 && waiting >= 3,
        "{linked} linked, {waiting} waiting"
    );
    assert!(in_order);
    // AI on, on the Business plan: each conversation waiting for an answer has its triage queued.
    let (plan, ai, pending, queued): (String, bool, i64, i64) = sqlx::query_as(
        "select o.plan, o.ai_enabled,
                (select count(*) from inbox_threads where triage_state = 'pending'),
                (select count(*) from jobs where kind = 'ai.triage')
         from organisations o",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((plan.as_str(), ai), ("business", true));
    assert_eq!((pending, queued), (waiting, waiting));

    let mut b = sign_in_with(&app, server::demo::EMAIL, server::demo::PASSWORD).await;
    b.ok(GetIssue {
        slug: server::demo::SLUG.into(),
        number: 300,
    })
    .await;
}

/// Runs `server seed-demo` itself with exactly `vars` for its environment.
fn seed_demo_with(vars: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("seed-demo")
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("the server binary runs")
}

#[tokio::test]
async fn seed_demo_refuses_anywhere_but_development() {
    let app = TestApp::spawn().await;
    let production = [
        ("DATABASE_URL", app.db.app_url.as_str()),
        ("OPS_PUBLIC_URL", "https://ops.example"),
        ("OPS_SECURITY_CONTACT", "security@ops.example"),
        ("OPS_SECURITY_UPDATED", "2026-11-01"),
        ("SENDGRID_API_KEY", "test-key-not-real"),
        ("OPS_EMAIL_FROM", "no-reply@ops.example"),
        ("OPS_INBOUND_DOMAIN", "in.ops.example"),
        (
            "OPS_TOTP_KEY",
            "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=",
        ),
    ];
    // Unset (a deployment that forgot to say) and explicitly production.
    for extra in [None, Some(("OPS_ENV", "production"))] {
        let vars: Vec<_> = production.iter().copied().chain(extra).collect();
        let out = seed_demo_with(&vars);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "{extra:?}: {said}");
        assert!(said.contains("development only"), "{extra:?}: {said}");
        assert!(!said.contains(server::demo::PASSWORD), "{said}");
    }
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let demo_users: i64 = sqlx::query_scalar("select count(*) from users where email = $1")
        .bind(server::demo::EMAIL)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(demo_users, 0, "no Owner with a known password");
}
