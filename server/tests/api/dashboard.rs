//! The dashboard's figures, bulk changes to issues, and the issue list's orders and pages,
//! through the real server functions against real PostgreSQL.

use crate::support::{
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    TestApp,
};
use app::work::{
    dashboard::{DashboardQuery, LoadDashboard, SiteCount},
    issues::{BulkForm, BulkUpdate, IssueQuery, ListIssues},
    Priority, Relationship,
};
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

/// An issue to add: (number, priority, status, business, age in days, days to resolve, due in
/// days).
type IssueRow<'a> = (
    i32,
    &'a str,
    &'a str,
    Option<Uuid>,
    i32,
    Option<i32>,
    Option<i32>,
);

/// Adds issues to organisation A as the superuser.
async fn add_issues(db: &PgPool, f: &Fixture, rows: &[IssueRow<'_>]) {
    for (number, priority, status, business, age, resolve, due) in rows {
        sqlx::query(
            "insert into issues (org_id, number, title, kind, priority, status, business_id, created_at,
                                 resolved_at, due_on)
             values ($1, $2, 'Task ' || $2, 'task', $3, $4, $5, now() - make_interval(days => $6),
                     now() - make_interval(days => $6) + make_interval(days => $7),
                     current_date + $8)",
        )
        .bind(f.a)
        .bind(number)
        .bind(priority)
        .bind(status)
        .bind(business)
        .bind(age)
        .bind(resolve)
        .bind(due)
        .execute(db)
        .await
        .unwrap();
    }
    let next = rows.iter().map(|r| r.0).max().unwrap_or(1) + 1;
    sqlx::query("update organisations set next_issue_number = $2 where org_id = $1")
        .bind(f.a)
        .bind(next)
        .execute(db)
        .await
        .unwrap();
}

async fn add_site(db: &PgPool, f: &Fixture, name: &str) -> Uuid {
    sqlx::query_scalar(
        "insert into businesses (org_id, name, relationship) values ($1, $2, 'own_site') returning business_id",
    )
    .bind(f.a)
    .bind(name)
    .fetch_one(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_dashboard_counts_what_is_open_late_and_done_by_site_and_period() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let (leeds, york) = (
        add_site(&db, &f, "Leeds Quay").await,
        add_site(&db, &f, "York Minster").await,
    );
    // The fixture's #1 is open, high, linked to a supplier (so not at a site).
    add_issues(
        &db,
        &f,
        &[
            (2, "urgent", "open", Some(leeds), 3, None, Some(-2)),
            (3, "urgent", "blocked", Some(leeds), 10, None, Some(5)),
            (4, "low", "in_progress", Some(york), 1, None, Some(-1)),
            (5, "normal", "resolved", Some(leeds), 20, Some(2), Some(-9)),
            (6, "normal", "closed", Some(york), 6, Some(4), None),
            // Resolved long ago: outside the last 30 days, inside the last 12 months.
            (7, "high", "resolved", Some(york), 200, Some(10), None),
        ],
    )
    .await;
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    let load = |site: String, days: &str| LoadDashboard {
        slug: A_SLUG.into(),
        form: DashboardQuery {
            site,
            days: days.into(),
        },
    };

    let d = viewer.ok(load(String::new(), "30")).await;
    assert_eq!(d.open, 4, "#1–#4 are open, in progress or blocked");
    assert_eq!(
        d.overdue, 2,
        "#2 and #4 are past their due date; #5 is done"
    );
    assert_eq!(d.resolved, 2, "#5 and #6 within 30 days; #7 is older");
    let median = d.median_hours_to_resolve.unwrap();
    assert!(
        (median - 72.0).abs() < 0.1,
        "median of 48 h and 96 h: {median}"
    );
    assert_eq!(
        d.open_by_priority,
        vec![
            (Priority::Urgent, 2),
            (Priority::High, 1),
            (Priority::Normal, 0),
            (Priority::Low, 1)
        ]
    );
    let sites: Vec<(String, i64)> = d
        .open_by_site
        .iter()
        .map(|SiteCount { name, open, .. }| (name.clone(), *open))
        .collect();
    assert_eq!(
        sites,
        vec![("Leeds Quay".into(), 2), ("York Minster".into(), 1)]
    );
    assert_eq!(d.open_elsewhere, 1);
    let weeks = &d.weeks;
    assert!((5..=6).contains(&weeks.len()), "30 days span 5 or 6 weeks");
    let opened: i64 = weeks.iter().map(|w| w.opened).sum();
    let resolved: i64 = weeks.iter().map(|w| w.resolved).sum();
    assert_eq!(
        (opened, resolved),
        (6, 2),
        "#1–#6 opened, #5 and #6 resolved"
    );
    assert!(d.businesses.contains(&(Relationship::OwnSite, 2)));

    // Figures are kept while the data stands still, and never served once it has moved: a write
    // made anywhere (here straight into the database, as another server instance would) shows
    // on the next load.
    assert_eq!(viewer.ok(load(String::new(), "30")).await, d);
    add_issues(
        &db,
        &f,
        &[(8, "urgent", "open", Some(leeds), 0, None, None)],
    )
    .await;
    let moved = viewer.ok(load(String::new(), "30")).await;
    assert_eq!((moved.open, moved.open_by_site[0].open), (5, 3));

    // One site, over a year: the flow figures and counts narrow; the site comparison does not.
    let d = viewer.ok(load(york.to_string(), "365")).await;
    assert_eq!((d.open, d.overdue), (1, 1));
    assert_eq!(d.resolved, 2, "#6 and #7 at York within the year");
    assert_eq!(d.open_by_site.len(), 2);

    // Bad input is refused with a reason; another organisation's business is not found.
    let refused = viewer.err(load(String::new(), "31")).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{refused:?}");
    assert!(
        refused.to_string().contains("Choose one of the periods"),
        "{refused:?}"
    );
    for site in [
        f.business_b.to_string(),
        f.business_a.to_string(),
        "x".into(),
    ] {
        assert_eq!(
            viewer.err(load(site, "30")).await.status(),
            StatusCode::NOT_FOUND,
            "only own sites filter the dashboard"
        );
    }

    // A site archived (straight in the database again) leaves the comparison at once.
    sqlx::query("update businesses set archived_at = now() where business_id = $1")
        .bind(york)
        .execute(&db)
        .await
        .unwrap();
    let moved = viewer.ok(load(String::new(), "30")).await;
    assert_eq!(
        moved.open_by_site.len(),
        1,
        "an archived site leaves the comparison"
    );
}

#[tokio::test]
async fn a_bulk_change_updates_every_selected_issue_and_records_each_on_its_timeline() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    add_issues(
        &db,
        &f,
        &[
            (2, "low", "open", None, 1, None, None),
            (3, "low", "resolved", None, 1, Some(0), None),
        ],
    )
    .await;
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    let target = f.users["a-target"].to_string();
    let bulk = |numbers: &str, status: &str, assignee: &str| BulkUpdate {
        slug: A_SLUG.into(),
        form: BulkForm {
            numbers: numbers.into(),
            status: status.into(),
            assignee_id: assignee.into(),
        },
    };
    let state = || async {
        sqlx::query_as::<_, (i32, String, Option<Uuid>, i32)>(
            "select number, status, assignee_id, version from issues where org_id = $1 order by number",
        )
        .bind(f.a)
        .fetch_all(&db)
        .await
        .unwrap()
    };
    let before = state().await;

    // Refusals change nothing: an unknown number, a member of another organisation, no change.
    for (change, expected) in [
        (bulk("1,2,99", "blocked", ""), StatusCode::NOT_FOUND),
        (
            bulk("1,2", "", &f.users["b-owner"].to_string()),
            StatusCode::NOT_FOUND,
        ),
        (bulk("1,2", "", ""), StatusCode::BAD_REQUEST),
        (bulk("", "blocked", ""), StatusCode::BAD_REQUEST),
        (bulk("1,2", "done", ""), StatusCode::BAD_REQUEST),
    ] {
        let refused = manager.err(change).await;
        assert_eq!(refused.status(), expected, "{refused:?}");
    }
    assert_eq!(state().await, before);
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    assert_eq!(
        viewer.err(bulk("1,2", "blocked", "")).await.status(),
        StatusCode::FORBIDDEN
    );

    assert_eq!(manager.ok(bulk("1, 2 #3", "blocked", &target)).await, 3);
    let after = state().await;
    for ((n, status, assignee, version), (_, _, _, old)) in after.iter().zip(&before) {
        assert_eq!(status, "blocked", "#{n}");
        assert_eq!(
            assignee.map(|a| a.to_string()),
            Some(target.clone()),
            "#{n}"
        );
        assert_eq!(
            *version,
            old + 1,
            "an open editor's copy of #{n} is now stale"
        );
    }
    let resolved_at: Option<String> =
        sqlx::query_scalar("select resolved_at::text from issues where org_id = $1 and number = 3")
            .bind(f.a)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(resolved_at, None, "reopened work is no longer resolved");
    let timeline: Vec<(i32, String, Option<String>, Option<String>)> = sqlx::query_as(
        "select i.number, e.field, e.old_value, e.new_value from issue_events e
         join issues i using (org_id, issue_id)
         where e.org_id = $1 and e.field <> 'created' order by i.number, e.event_id",
    )
    .bind(f.a)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        timeline.len(),
        6,
        "status and assignee of each: {timeline:?}"
    );
    assert_eq!(
        timeline[0],
        (
            1,
            "status".into(),
            Some("Open".into()),
            Some("Blocked".into())
        )
    );
    assert_eq!(timeline[1].1, "assignee");
    assert_eq!(timeline[1].2, None);

    // Unassigning; issues already in the state are not changed again.
    assert_eq!(manager.ok(bulk("1,2", "blocked", "none")).await, 2);
    assert_eq!(manager.ok(bulk("1,2", "blocked", "none")).await, 0);
    let audit: i64 = sqlx::query_scalar(
        "select count(*) from org_audit_events where org_id = $1 and summary like 'Changed % issues at once%'",
    )
    .bind(f.a)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        audit, 2,
        "one audit entry per bulk change that changed something"
    );
}

#[tokio::test]
async fn every_list_order_pages_through_each_issue_once_in_order() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let priorities = ["urgent", "high", "normal", "low"];
    let rows: Vec<_> = (2..=130)
        .map(|n| {
            let due = (n % 3 != 0).then_some(n % 17 - 8);
            (
                n,
                priorities[(n as usize * 7) % 4],
                "open",
                None,
                1,
                None,
                due,
            )
        })
        .collect();
    add_issues(&db, &f, &rows).await;
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    for (order, sql) in [
        ("newest", "number desc"),
        ("oldest", "number asc"),
        (
            "priority",
            "array_position(array['urgent', 'high', 'normal', 'low'], priority), number desc",
        ),
        ("due", "due_on asc nulls last, number desc"),
    ] {
        let expected: Vec<i32> = sqlx::query_scalar(&format!(
            "select number from issues where org_id = $1 order by {sql}"
        ))
        .bind(f.a)
        .fetch_all(&db)
        .await
        .unwrap();
        let (mut seen, mut after, mut pages) = (Vec::new(), String::new(), 0);
        loop {
            let page = viewer
                .ok(ListIssues {
                    slug: A_SLUG.into(),
                    form: IssueQuery {
                        order: order.into(),
                        after,
                        ..IssueQuery::default()
                    },
                })
                .await;
            seen.extend(page.items.iter().map(|i| i.number));
            pages += 1;
            match page.next {
                Some(next) => after = next,
                None => break,
            }
        }
        assert_eq!(pages, 3, "{order}: 130 issues in pages of 50");
        assert_eq!(seen, expected, "{order}");
    }
    let refused = viewer
        .err(ListIssues {
            slug: A_SLUG.into(),
            form: IssueQuery {
                order: "priority".into(),
                after: "urgent.3".into(),
                ..IssueQuery::default()
            },
        })
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{refused:?}");
}

#[tokio::test]
async fn a_kept_page_of_issues_gives_way_to_any_change_it_shows() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    let list = || ListIssues {
        slug: A_SLUG.into(),
        form: IssueQuery::default(),
    };
    let first = viewer.ok(list()).await;
    assert_eq!(
        viewer.ok(list()).await,
        first,
        "served again while nothing moved"
    );

    // Written elsewhere (another server instance, straight into the database): seen at once.
    add_issues(&db, &f, &[(2, "low", "open", None, 0, None, None)]).await;
    let page = viewer.ok(list()).await;
    assert_eq!(page.items[0].number, 2);
    let manager = f.users["a-manager"];
    sqlx::query("update issues set assignee_id = $2 where org_id = $1 and number = 2")
        .bind(f.a)
        .bind(manager)
        .execute(&db)
        .await
        .unwrap();
    let name = |page: &app::work::issues::IssuePage| page.items[0].assignee.clone();
    let before = name(&viewer.ok(list()).await).expect("assigned");
    sqlx::query("update users set name = 'Renamed Manager' where user_id = $1")
        .bind(manager)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        name(&viewer.ok(list()).await).as_deref(),
        Some("Renamed Manager"),
        "was {before}"
    );
    sqlx::query("delete from memberships where org_id = $1 and user_id = $2")
        .bind(f.a)
        .bind(manager)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        name(&viewer.ok(list()).await),
        None,
        "a former member's name is no longer shown"
    );
}
