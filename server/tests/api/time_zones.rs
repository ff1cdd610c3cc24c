//! Time zones: a person sees every time in theirs; an organisation's days (and so what is
//! overdue, and when an assignee hears that it is) begin and end in its own.

use app::{
    auth::{
        functions::ListSessions,
        time_zone::{MyTimeZone, SetTimeZone, TimeZoneForm, TimeZones},
    },
    domain::Zone,
    error::AppError,
    org::{
        forms::SettingsForm,
        functions::{CurrentOrg, UpdateSettings},
    },
    work::{
        dashboard::{DashboardQuery, LoadDashboard},
        issues::{CreateIssue, GetIssue, IssueForm, IssueQuery, ListIssues},
        notifications::ListNotifications,
    },
};
use sqlx::PgPool;

use crate::support::{
    browser::Browser,
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    wait::run_job,
    TestApp,
};

/// UTC-11 and UTC+14: 25 hours apart, so their dates always differ. An issue due today in the
/// first is overdue in the second, whatever the time of day.
const BEHIND: &str = "Pacific/Pago_Pago";
const AHEAD: &str = "Pacific/Kiritimati";

async fn set_org_zone(owner: &mut Browser<'_>, zone: &str) {
    owner
        .ok(UpdateSettings {
            slug: A_SLUG.into(),
            form: SettingsForm {
                name: "Alpha Cafés".into(),
                new_slug: A_SLUG.into(),
                time_zone: zone.into(),
            },
        })
        .await;
}

async fn overdue_listed(b: &mut Browser<'_>) -> Vec<i32> {
    b.ok(ListIssues {
        slug: A_SLUG.into(),
        form: IssueQuery {
            overdue: true,
            ..IssueQuery::default()
        },
    })
    .await
    .items
    .into_iter()
    .map(|i| i.number)
    .collect()
}

/// The quarter-hourly look for issues that became overdue, run now.
async fn run_overdue_job(db: &PgPool) {
    run_job(db, "notifications.overdue", None, serde_json::Value::Null).await;
}

#[tokio::test]
async fn overdue_is_counted_and_told_in_the_organisations_zone() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let mut admin = sign_in(&app, email_of("a-admin")).await;

    set_org_zone(&mut owner, BEHIND).await;
    let ctx = owner
        .ok(CurrentOrg {
            slug: A_SLUG.into(),
        })
        .await;
    assert_eq!(ctx.time_zone, BEHIND);
    let today_behind = Zone::parse(BEHIND).unwrap().today();
    let number = owner
        .ok(CreateIssue {
            slug: A_SLUG.into(),
            form: IssueForm {
                title: "Fire door check".into(),
                kind: "maintenance".into(),
                priority: "high".into(),
                assignee_id: f.users["a-admin"].to_string(),
                due_on: today_behind.to_string(),
                ..IssueForm::default()
            },
        })
        .await;
    let get = GetIssue {
        slug: A_SLUG.into(),
        number,
    };
    // Due today where the organisation is: not overdue, and nobody is told.
    assert!(!owner.ok(get.clone()).await.summary.overdue);
    assert!(!overdue_listed(&mut owner).await.contains(&number));
    run_overdue_job(&db).await;
    let texts = admin
        .ok(ListNotifications {
            slug: A_SLUG.into(),
        })
        .await
        .items
        .into_iter()
        .map(|n| n.text)
        .collect::<Vec<_>>();
    assert!(!texts.iter().any(|t| t.contains("overdue")), "{texts:?}");

    // The organisation moves to where that day has passed: overdue in the list, the issue and
    // the dashboard at once (the zone's change moves the kept figures on).
    set_org_zone(&mut owner, AHEAD).await;
    assert!(owner.ok(get.clone()).await.summary.overdue);
    assert!(overdue_listed(&mut owner).await.contains(&number));
    let dashboard = owner
        .ok(LoadDashboard {
            slug: A_SLUG.into(),
            form: DashboardQuery::default(),
        })
        .await;
    assert_eq!(dashboard.overdue, 1);

    // The assignee hears of it once, whoever ran the job how often.
    run_overdue_job(&db).await;
    run_overdue_job(&db).await;
    let list = admin
        .ok(ListNotifications {
            slug: A_SLUG.into(),
        })
        .await;
    let overdue: Vec<&str> = list
        .items
        .iter()
        .map(|n| n.text.as_str())
        .filter(|t| t.contains("overdue"))
        .collect();
    assert_eq!(
        overdue,
        vec![format!(
            "#{number} Fire door check is overdue: it was due on {}",
            app::domain::date::long_date(today_behind)
        )
        .as_str()]
    );
    let audit: Vec<String> = sqlx::query_scalar(
        "select summary from org_audit_events where org_id = $1 and action = 'organisation.time_zone_changed' order by event_id",
    )
    .bind(f.a)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        audit.last().map(String::as_str),
        Some(format!("Changed the time zone from {BEHIND} to {AHEAD}").as_str())
    );

    // A zone the database does not know is refused, and nothing changes.
    let bad = owner
        .err(UpdateSettings {
            slug: A_SLUG.into(),
            form: SettingsForm {
                name: "Alpha Cafés".into(),
                new_slug: A_SLUG.into(),
                time_zone: "Mars/Olympus_Mons".into(),
            },
        })
        .await;
    assert!(
        matches!(&bad, AppError::Invalid { field, .. } if field == "time_zone"),
        "{bad:?}"
    );
    let zone: String = sqlx::query_scalar("select time_zone from organisations where org_id = $1")
        .bind(f.a)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(zone, AHEAD);
}

#[tokio::test]
async fn each_person_sees_times_in_their_own_zone() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let _f = Fixture::create(&db).await;
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    assert_eq!(viewer.ok(MyTimeZone {}).await, "UTC");

    let zones = viewer.ok(TimeZones {}).await;
    assert!(zones.contains(&"Asia/Tokyo".to_string()) && zones.len() > 300);

    viewer
        .ok(SetTimeZone {
            form: TimeZoneForm {
                time_zone: "asia/tokyo".into(),
            },
        })
        .await;
    assert_eq!(viewer.ok(MyTimeZone {}).await, "Asia/Tokyo");
    let sessions = viewer.ok(ListSessions {}).await;
    let seen = &sessions[0].last_seen;
    assert!(seen.exact.ends_with(" JST"), "{seen:?}");
    assert_eq!(seen.ago, "just now");
    assert!(seen.utc.ends_with('Z'), "{seen:?}");

    // The issue page's times are the viewer's too.
    let issue = viewer
        .ok(GetIssue {
            slug: A_SLUG.into(),
            number: 1,
        })
        .await;
    assert!(
        issue.created_at.exact.ends_with(" JST"),
        "{:?}",
        issue.created_at
    );

    let bad = viewer
        .err(SetTimeZone {
            form: TimeZoneForm {
                time_zone: "Nowhere/Special".into(),
            },
        })
        .await;
    assert!(
        matches!(&bad, AppError::Invalid { field, .. } if field == "time_zone"),
        "{bad:?}"
    );
    assert_eq!(viewer.ok(MyTimeZone {}).await, "Asia/Tokyo");
}
