//! The operator side against the real server and database: who may be staff and how they are
//! named, the breach register from discovery to closure with exactly one notice per affected
//! person, and support access recorded in the organisation's own audit log.

use std::collections::BTreeMap;

use app::{
    error::AppError,
    staff::{
        forms::{IncidentForm, NoticeForm, StaffSearchForm, StepForm, SupportForm},
        functions::{
            GetIncident, IncidentCsv, Incidents, OpenIncident, RecordStep, SendNotices,
            StaffOrganisations, SupportAccess,
        },
        register::ReportState,
    },
};
use server::staff::{change, Change};
use sqlx::{PgPool, Row};

use crate::{
    support::{
        browser::Browser,
        fake_sendgrid::{self, API_KEY},
        orgs::{create_user, email_of, sign_in, Fixture, A_SLUG},
        wait::wait_for,
        TestApp,
    },
    two_factor::turn_on,
};

const STAFF: &str = "operator@opsintel.test";

/// A member of staff, named from the command line's function, signed in with two-factor on.
async fn staff_browser<'a>(app: &'a TestApp, db: &PgPool) -> Browser<'a> {
    create_user(db, STAFF, true).await;
    let owner = PgPool::connect(&app.db.owner_url).await.unwrap();
    change(&owner, Change::Grant, STAFF).await.unwrap();
    let mut b = sign_in(app, STAFF).await;
    turn_on(&mut b).await;
    b
}

fn step(kind: &str, summary: &str) -> RecordStep {
    RecordStep {
        number: 1,
        form: StepForm {
            kind: kind.into(),
            summary: summary.into(),
            ..StepForm::default()
        },
    }
}

fn utc_minutes_ago(minutes: i64) -> String {
    let t = time::OffsetDateTime::now_utc() - time::Duration::minutes(minutes);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[tokio::test]
async fn only_the_command_line_makes_staff_and_only_staff_with_two_factor_reach_the_register() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let user = create_user(&db, STAFF, true).await;

    // The application's own role cannot name anyone staff, whatever a request sends it.
    let as_app = PgPool::connect(&app.db.app_url).await.unwrap();
    let refused = sqlx::query("insert into staff_members (user_id) values ($1)")
        .bind(user)
        .execute(&as_app)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("permission denied"),
        "{refused}"
    );

    // Not staff: the operator side does not show itself.
    let mut b = sign_in(&app, STAFF).await;
    assert_eq!(b.err(Incidents {}).await, AppError::NotFound);
    assert!(b.open("/staff").await.contains("Not found"));

    // Staff, but without two-factor: told to turn it on.
    let owner = PgPool::connect(&app.db.owner_url).await.unwrap();
    assert_eq!(
        change(&owner, Change::Grant, STAFF).await.unwrap(),
        format!("{STAFF} is now staff; they reach /staff once they turn on two-factor sign-in")
    );
    match b.err(Incidents {}).await {
        AppError::Forbidden(m) => assert!(m.contains("two-factor"), "{m}"),
        other => panic!("{other:?}"),
    }
    turn_on(&mut b).await;
    assert_eq!(b.ok(Incidents {}).await, vec![]);
    assert!(b.open("/staff").await.contains("Incident register"));

    // Revoked: at once, in the same session.
    assert_eq!(
        change(&owner, Change::Revoke, STAFF).await.unwrap(),
        format!("{STAFF} is no longer staff")
    );
    assert_eq!(b.err(Incidents {}).await, AppError::NotFound);
    assert!(change(&owner, Change::Grant, "nobody@opsintel.test")
        .await
        .is_err());

    // Both changes are in the person's account log.
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where actor_user_id = $1 and action like 'staff.%' order by audit_event_id",
    )
    .bind(user)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(actions, ["staff.granted", "staff.revoked"]);
}

#[tokio::test]
async fn an_incident_runs_from_discovery_to_closure_and_each_affected_person_gets_one_notice() {
    let (sendgrid, addr) = fake_sendgrid::start(0).await;
    let base = format!("http://{addr}");
    let app = TestApp::spawn_with(&[
        ("SENDGRID_API_KEY", API_KEY),
        ("OPS_EMAIL_FROM", "no-reply@ops.test"),
        ("OPS_SENDGRID_BASE_URL", &base),
        ("OPS_EMAIL_RETRY_SECS", "1"),
    ])
    .await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut b = staff_browser(&app, &db).await;

    // Discovered two hours ago; affecting organisation A's members and one person of B.
    let bad = b
        .err(OpenIncident {
            form: IncidentForm {
                title: "Support export readable by a contractor".into(),
                description: "A support export was shared with the wrong contractor.".into(),
                discovered_at: utc_minutes_ago(120),
                categories: BTreeMap::new(),
                scope: "chosen".into(),
                organisations: A_SLUG.into(),
                people: email_of("b-member").into(),
            },
        })
        .await;
    assert!(bad.for_field("categories").is_some(), "{bad:?}");
    let number = b
        .ok(OpenIncident {
            form: IncidentForm {
                title: "Support export readable by a contractor".into(),
                description: "A support export was shared with the wrong contractor.".into(),
                discovered_at: utc_minutes_ago(120),
                categories: [("account".to_string(), "on".to_string())].into(),
                scope: "chosen".into(),
                organisations: A_SLUG.into(),
                people: email_of("b-member").into(),
            },
        })
        .await;
    assert_eq!(number, 1);
    let i = b.ok(GetIncident { number }).await;
    let a_members: i64 = sqlx::query_scalar("select count(*) from memberships where org_id = $1")
        .bind(f.a)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(i.people_affected, a_members + 1);
    assert_eq!(i.clock.state, ReportState::Undecided);
    assert!(
        (69 * 60..=70 * 60).contains(&i.clock.minutes_left),
        "{}",
        i.clock.minutes_left
    );
    assert!(
        i.clock.summary().starts_with("ICO report due in 2 days 2"),
        "{}",
        i.clock.summary()
    );

    // Assessment, the decision, the ICO's report.
    b.ok(step(
        "assessment",
        "Names and addresses of two organisations' members.",
    ))
    .await;
    b.ok(RecordStep {
        number,
        form: StepForm {
            kind: "decision".into(),
            summary: "Likely to result in a risk to people's rights: report.".into(),
            must_report: "yes".into(),
            ..StepForm::default()
        },
    })
    .await;
    assert_eq!(
        b.ok(GetIncident { number }).await.clock.overdue,
        ["The notice to affected people is not written yet."]
    );
    b.ok(RecordStep {
        number,
        form: StepForm {
            kind: "ico_report".into(),
            summary: "Reported through the ICO's breach form.".into(),
            ico_reference: "IC-123456-A1B2".into(),
            reported_at: utc_minutes_ago(5),
            ..StepForm::default()
        },
    })
    .await;

    // The notice, written once, to everyone affected; sending again sends nobody a second one.
    let notice = NoticeForm {
        subject: "A security incident affecting your Ops Intel account".into(),
        body: "On 1 December a support export holding your name and email address was shared with a contractor.\r\n\r\nYou need not do anything.".into(),
    };
    let queued = b
        .ok(SendNotices {
            number,
            form: notice.clone(),
        })
        .await;
    assert_eq!(queued, a_members + 1);
    assert_eq!(
        b.ok(SendNotices {
            number,
            form: NoticeForm::default()
        })
        .await,
        0
    );
    assert!(matches!(
        b.err(SendNotices {
            number,
            form: notice.clone()
        })
        .await,
        AppError::Refused(_)
    ));
    // Someone who joins A afterwards is affected too, and gets the same notice, once.
    sqlx::query("insert into memberships (org_id, user_id, role) values ($1, $2, 'viewer')")
        .bind(f.a)
        .bind(f.users["b-owner"])
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        b.ok(SendNotices {
            number,
            form: NoticeForm::default()
        })
        .await,
        1
    );

    // Exactly one notice per affected person, and none to anyone else.
    let mut expected: Vec<String> = sqlx::query_scalar(
        "select u.email::text from users u join memberships m using (user_id) where m.org_id = $1
         union select $2 order by 1",
    )
    .bind(f.a)
    .bind(email_of("b-member"))
    .fetch_all(&db)
    .await
    .unwrap();
    expected.sort();
    let rows = sqlx::query(
        "select to_address, count(*) as n, min(text_body) as text, min(html_body) as html
         from email_outbox where kind = 'breach_notice' group by to_address order by to_address",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let sent: Vec<String> = rows.iter().map(|r| r.get("to_address")).collect();
    assert_eq!(sent, expected);
    for r in &rows {
        assert_eq!(r.get::<i64, _>("n"), 1);
    }
    // Each is delivered through the email path, and the incident shows it.
    wait_for("every notice delivered", async || {
        sendgrid
            .accepted
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m["subject"] == notice.subject.as_str())
            .count()
            == expected.len()
    })
    .await;
    wait_for("deliveries recorded", async || {
        let i = b.ok(GetIncident { number }).await;
        i.deliveries.len() == expected.len() && i.deliveries.iter().all(|d| d.sent.is_some())
    })
    .await;
    // Each addressed by name, in both parts, the name escaped in the HTML.
    let to_owner = sendgrid
        .accepted
        .lock()
        .unwrap()
        .iter()
        .find(|m| m["personalizations"][0]["to"][0]["email"] == email_of("a-owner"))
        .cloned()
        .expect("the Owner's notice");
    assert_eq!(
        to_owner["content"][0]["value"]
            .as_str()
            .unwrap()
            .lines()
            .next(),
        Some("Hello User owner,")
    );
    assert!(to_owner["content"][1]["value"]
        .as_str()
        .unwrap()
        .contains("<p>Hello User owner,</p><p>On 1 December"));
    let i = b.ok(GetIncident { number }).await;
    assert_eq!(i.clock.state, ReportState::Reported);
    assert!(i.clock.overdue.is_empty(), "{:?}", i.clock.overdue);

    // Closed: nothing more is recorded. The record exports whole.
    b.ok(step(
        "closed",
        "Contractor confirmed deletion; people told.",
    ))
    .await;
    assert!(matches!(
        b.err(step("note", "Late note.")).await,
        AppError::Refused(_)
    ));
    assert!(matches!(
        b.err(SendNotices {
            number,
            form: NoticeForm::default()
        })
        .await,
        AppError::Refused(_)
    ));
    let csv = b.ok(IncidentCsv { number }).await;
    for needle in [
        "INC-1",
        "IC-123456-A1B2",
        "Decision on reporting",
        "Closed",
        email_of("b-member"),
    ] {
        assert!(csv.contains(needle), "{needle} in {csv}");
    }
    assert_eq!(b.ok(Incidents {}).await[0].state, "Closed");
}

#[tokio::test]
async fn the_register_is_append_only_and_support_access_is_recorded_for_the_organisation() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut b = staff_browser(&app, &db).await;
    let number = b
        .ok(OpenIncident {
            form: IncidentForm {
                title: "Lost laptop".into(),
                description: "An encrypted laptop was lost.".into(),
                discovered_at: utc_minutes_ago(10),
                categories: [("sessions".to_string(), "on".to_string())].into(),
                scope: "all".into(),
                ..IncidentForm::default()
            },
        })
        .await;
    b.ok(step("note", "Disk encryption confirmed.")).await;

    // Even as staff, the application's role can change or delete nothing in the register.
    let staff: uuid::Uuid = sqlx::query_scalar("select user_id from users where email = $1")
        .bind(STAFF)
        .fetch_one(&db)
        .await
        .unwrap();
    let as_app = PgPool::connect(&app.db.app_url).await.unwrap();
    for statement in [
        "update incidents set title = 'Nothing happened'",
        "delete from incident_steps",
        "update incident_steps set summary = 'x'",
        "delete from incident_notices",
        "delete from incidents",
    ] {
        let mut tx = as_app.begin().await.unwrap();
        sqlx::query("select set_config('app.user_id', $1, true)")
            .bind(staff.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let refused = sqlx::query(statement).execute(&mut *tx).await.unwrap_err();
        assert!(
            refused.to_string().contains("permission denied"),
            "{statement}: {refused}"
        );
    }
    // Someone else's transaction sees none of it.
    let others: i64 = sqlx::query_scalar("select count(*) from incidents")
        .fetch_one(&as_app)
        .await
        .unwrap();
    assert_eq!(others, 0);
    assert_eq!(b.ok(GetIncident { number }).await.steps.len(), 1);

    // Organisations are listed by what they are; their content needs a reason, which their
    // own audit log records.
    let orgs = b
        .ok(StaffOrganisations {
            form: StaffSearchForm { q: "alpha".into() },
        })
        .await;
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].slug, A_SLUG);
    let no_reason = b
        .err(SupportAccess {
            form: SupportForm {
                org_id: f.a.to_string(),
                reason: " ".into(),
            },
        })
        .await;
    assert!(no_reason.for_field("reason").is_some(), "{no_reason:?}");
    let view = b
        .ok(SupportAccess {
            form: SupportForm {
                org_id: f.a.to_string(),
                reason: "Ticket 4411: the owner cannot see an issue".into(),
            },
        })
        .await;
    assert_eq!(view.name, "Alpha Cafés");
    let logged: Vec<(String, String)> = sqlx::query_as(
        "select actor_email, summary from org_audit_events where org_id = $1 and action = 'support.access'",
    )
    .bind(f.a)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        logged,
        [(
            STAFF.to_string(),
            "Ops Intel staff viewed the organisation's content: Ticket 4411: the owner cannot see an issue".to_string()
        )]
    );
    // The Owner reads it in the audit log.
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    assert!(owner
        .open(&format!("/o/{A_SLUG}/audit"))
        .await
        .contains("Ticket 4411"));
}
