//! Retention: the daily job deletes conversations, audit entries and AI records once they have
//! outlived their configured ages, and nothing younger; the privacy notice states those ages.

use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{orgs::Fixture, wait::wait_for, TestApp};

async fn count(db: &PgPool, sql: &str, id: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_daily_job_deletes_only_what_has_outlived_its_retention_period() {
    let app = TestApp::spawn_with(&[
        ("OPS_RETAIN_INBOX_DAYS", "30"),
        ("OPS_RETAIN_AUDIT_DAYS", "90"),
        ("OPS_RETAIN_AI_DAYS", "10"),
    ])
    .await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;

    // A's conversation has been quiet for a day more than its age, B's for a day less.
    for (thread, days) in [(f.thread_a, 31), (f.thread_b, 29)] {
        sqlx::query(
            "update inbox_threads set last_message_at = now() - make_interval(days => $2)
             where thread_id = $1",
        )
        .bind(thread)
        .bind(days)
        .execute(&db)
        .await
        .unwrap();
    }
    assert!(
        count(
            &db,
            "select count(*) from inbox_attachments where attachment_id = $1",
            f.attachment_a
        )
        .await
            == 1
    );
    // An audit entry and an AI request either side of their ages, in each organisation, and
    // two entries of the account log.
    for org in [f.a, f.b] {
        for (summary, days) in [("old entry", 91), ("young entry", 89)] {
            sqlx::query(
                "insert into org_audit_events (org_id, action, summary, occurred_at)
                 values ($1, 'test.event', $2, now() - make_interval(days => $3))",
            )
            .bind(org)
            .bind(summary)
            .bind(days)
            .execute(&db)
            .await
            .unwrap();
        }
        for (model, days) in [("old-model", 11), ("young-model", 9)] {
            sqlx::query(
                "insert into ai_requests (org_id, purpose, model, trigger, content_sha256, created_at)
                 values ($1, 'triage', $2, 'new_message', repeat('a', 64), now() - make_interval(days => $3))",
            )
            .bind(org)
            .bind(model)
            .bind(days)
            .execute(&db)
            .await
            .unwrap();
        }
    }
    for (action, days) in [("test.old", 91), ("test.young", 89)] {
        sqlx::query(
            "insert into audit_events (action, occurred_at) values ($1, now() - make_interval(days => $2))",
        )
        .bind(action)
        .bind(days)
        .execute(&db)
        .await
        .unwrap();
    }

    // The daily run, as its schedule queues it.
    sqlx::query("select app_enqueue_job('retention.expire', null, 'null', null, 5, null)")
        .execute(&db)
        .await
        .unwrap();
    wait_for("the retention job", async || {
        sqlx::query_scalar::<_, bool>(
            "select coalesce(bool_and(state = 'done'), false) from jobs where kind = 'retention.expire'",
        )
        .fetch_one(&db)
        .await
        .unwrap()
    })
    .await;

    // The old conversation went whole, with its messages and attachments; the young one stays.
    assert_eq!(
        count(
            &db,
            "select count(*) from inbox_threads where thread_id = $1",
            f.thread_a
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "select count(*) from inbox_messages where thread_id = $1",
            f.thread_a
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "select count(*) from inbox_attachments where attachment_id = $1",
            f.attachment_a
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "select count(*) from inbox_threads where thread_id = $1",
            f.thread_b
        )
        .await,
        1
    );
    assert!(
        count(
            &db,
            "select count(*) from inbox_messages where thread_id = $1",
            f.thread_b
        )
        .await
            > 0
    );
    for org in [f.a, f.b] {
        let kept: Vec<String> = sqlx::query_scalar(
            "select summary from org_audit_events where org_id = $1 and action = 'test.event'",
        )
        .bind(org)
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(kept, ["young entry"], "organisation {org}'s audit log");
        let kept: Vec<String> =
            sqlx::query_scalar("select model from ai_requests where org_id = $1 and model like '%-model' order by model")
                .bind(org)
                .fetch_all(&db)
                .await
                .unwrap();
        assert_eq!(kept, ["young-model"], "organisation {org}'s AI record");
    }
    let kept: Vec<String> =
        sqlx::query_scalar("select action from audit_events where action like 'test.%'")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(kept, ["test.young"], "the account log");

    // The privacy notice says the ages this deployment keeps.
    let privacy = app.get("/privacy").await.text().await.unwrap();
    for said in [
        "with their attachments: 30 days after the last message",
        "): 3 months.",
        "The record of each AI request: 10 days",
    ] {
        assert!(privacy.contains(said), "the privacy notice says {said:?}");
    }
}

#[tokio::test]
async fn the_application_can_expire_records_only_by_age_and_never_delete_the_account_log() {
    let app = TestApp::spawn().await;
    let as_app = PgPool::connect(&app.db.app_url).await.unwrap();
    let refused = sqlx::query("select * from app_expire_records(0, 30, 30)")
        .execute(&as_app)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("at least one day"),
        "{refused}"
    );
    let deleted = sqlx::query("delete from audit_events")
        .execute(&as_app)
        .await;
    assert!(
        deleted.is_err(),
        "the application may not delete the account log"
    );
}
