//! The weekly digest: opted in per person; one email per person, organisation and week, from
//! templates with a plain-text part; an AI summary where the organisation has AI on, counted
//! and on the record; the preview shows the next one.

use app::{
    domain::Zone,
    work::{
        digest::{DigestForm, PreviewDigest as Preview, SetWeeklyDigest, WeeklyDigestOn},
        issues::{CreateIssue, IssueForm},
    },
};
use server::{digest::due_week, standins::anthropic::Anthropic};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{
    anthropic_standin,
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    wait::run_job,
    TestApp,
};

const KEY: &str = "test-anthropic-key";

async fn app_with_ai() -> (TestApp, Anthropic) {
    let (ai, url) = anthropic_standin(KEY).await;
    let app = TestApp::spawn_with(&[
        ("ANTHROPIC_API_KEY", KEY),
        ("OPS_ANTHROPIC_BASE_URL", url.as_str()),
        ("OPS_AI_RETRY_SECS", "1"),
    ])
    .await;
    (app, ai)
}

/// One person's digest of organisation `org` for the week starting `week`, queued as the
/// weekly job does; done when it returns.
async fn send_digest(db: &PgPool, org: Uuid, user: Uuid, week: &str) {
    let payload = serde_json::json!({ "user_id": user, "week": week });
    run_job(db, "digest.send", Some(org), payload).await;
}

async fn digests(db: &PgPool, to: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "select subject, text_body, html_body from email_outbox where kind = 'digest' and to_address = $1
         order by email_id",
    )
    .bind(to)
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn opted_in_members_get_one_digest_a_week_with_an_ai_summary_when_ai_is_on() {
    let (app, ai) = app_with_ai().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    sqlx::query("delete from ai_requests")
        .execute(&db)
        .await
        .unwrap();
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    let manager_id = f.users["a-manager"];

    // A week's work: one issue opened and overdue.
    let number = manager
        .ok(CreateIssue {
            slug: A_SLUG.into(),
            form: IssueForm {
                title: "Leaking <tap> & sink".into(),
                kind: "maintenance".into(),
                priority: "high".into(),
                due_on: "2026-01-05".into(),
                ..IssueForm::default()
            },
        })
        .await;

    // Opting in, from the preview page.
    assert!(!manager.ok(WeeklyDigestOn {}).await);
    let preview = manager
        .ok(Preview {
            slug: A_SLUG.into(),
        })
        .await;
    assert!(!preview.subscribed);
    assert!(!preview.ai, "AI is off in organisation A");
    assert_eq!(preview.subject, "Alpha Cafés: your week in Ops Intel");
    // The fixture's issue was opened today too.
    assert_eq!(preview.digest.opened, 2);
    assert_eq!(preview.digest.overdue, 1);
    assert!(
        preview
            .text
            .contains(&format!("#{number} Leaking <tap> & sink (due 5 Jan 2026)")),
        "{}",
        preview.text
    );
    manager
        .ok(SetWeeklyDigest {
            form: DigestForm { on: true },
        })
        .await;
    assert!(manager.ok(WeeklyDigestOn {}).await);

    // Without AI: the figures alone, nothing asked of the AI.
    send_digest(&db, f.a, manager_id, "2026-11-30").await;
    let sent = digests(&db, "manager@alpha.test").await;
    assert_eq!(sent.len(), 1);
    let (subject, text, html) = &sent[0];
    assert_eq!(subject, "Alpha Cafés: your week in Ops Intel");
    assert!(text.contains("Issues opened: 2"), "{text}");
    assert!(text.contains("Overdue now: 1 of"), "{text}");
    assert!(!text.contains("need attention first"), "{text}");
    assert!(
        html.contains("Leaking &#60;tap&#62; &#38; sink")
            || html.contains("Leaking &lt;tap&gt; &amp; sink"),
        "{html}"
    );
    assert!(ai.requests.lock().unwrap().is_empty());

    // The same week again: nothing more.
    send_digest(&db, f.a, manager_id, "2026-11-30").await;
    assert_eq!(digests(&db, "manager@alpha.test").await.len(), 1);

    // With AI on, the next week's digest opens with the AI's summary, on the record.
    sqlx::query("update organisations set ai_enabled = true, plan = 'team' where org_id = $1")
        .bind(f.a)
        .execute(&db)
        .await
        .unwrap();
    let preview = manager
        .ok(Preview {
            slug: A_SLUG.into(),
        })
        .await;
    assert!(preview.subscribed && preview.ai);
    send_digest(&db, f.a, manager_id, "2026-12-07").await;
    let sent = digests(&db, "manager@alpha.test").await;
    assert_eq!(sent.len(), 2);
    let (_, text, _) = &sent[1];
    assert!(
        text.contains("1 overdue and 1 messages waiting for a reply need attention first."),
        "{text}"
    );
    let asked = ai.requests.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["tool_choice"]["name"], "write_digest_summary");
    let record: Vec<(String, String, String)> =
        sqlx::query_as("select purpose, trigger, outcome from ai_requests where org_id = $1")
            .bind(f.a)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        record,
        vec![("digest".into(), "schedule".into(), "ok".into())]
    );
    let used: i32 = sqlx::query_scalar(
        "select coalesce(sum(used), 0)::int from usage_meters where org_id = $1 and meter = 'ai'",
    )
    .bind(f.a)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(used, 1);

    // Opting out stops the next one.
    manager
        .ok(SetWeeklyDigest {
            form: DigestForm { on: false },
        })
        .await;
    send_digest(&db, f.a, manager_id, "2026-12-14").await;
    assert_eq!(digests(&db, "manager@alpha.test").await.len(), 2);
}

#[tokio::test]
async fn the_hourly_job_queues_each_subscribers_digest_on_their_monday_morning() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    // Two subscribers, in zones 25 hours apart. As of Monday 30 November 08:30 UTC it is Monday
    // evening in Kiritimati and still Sunday in Pago Pago: only the first is due.
    let zones = [
        ("a-viewer", "Pacific/Kiritimati"),
        ("a-admin", "Pacific/Pago_Pago"),
    ];
    for (who, zone) in zones {
        sqlx::query("update users set weekly_digest = true, time_zone = $2 where user_id = $1")
            .bind(f.users[who])
            .bind(zone)
            .execute(&db)
            .await
            .unwrap();
    }
    let now = time::macros::datetime!(2026-11-30 08:30 UTC);
    let as_of = serde_json::json!({ "as_of": now.unix_timestamp() });
    run_job(&db, "digest.weekly", None, as_of).await;
    let queued: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "select org_id, (payload->>'user_id')::uuid from jobs where kind = 'digest.send' order by 2",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(queued, vec![(f.a, f.users["a-viewer"])]);
    assert!(due_week(&Zone::parse("Pacific/Kiritimati").unwrap(), now).is_some());
    let week: String =
        sqlx::query_scalar("select payload->>'week' from jobs where kind = 'digest.send'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(week, "2026-11-30");
}
