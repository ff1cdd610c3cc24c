//! The workspace's data rules: issue numbers without gaps or duplicates under concurrent
//! creation, stale edits refused, and search by name and address.

use app::{
    domain::parse_date,
    work::{
        businesses::{BusinessForm, BusinessQuery, CreateBusiness, ListBusinesses},
        csv_io::{ExportBusinesses, ExportIssues, ImportBusinesses, ImportForm, ImportIssues},
        issues::{
            CreateIssue, GetIssue, IssueForm, IssueQuery, ListIssues, MoveIssue, UpdateIssue,
        },
        Priority, Status,
    },
};
use futures::future::join_all;
use reqwest::StatusCode;
use sqlx::{Connection, PgConnection, PgPool};

use crate::support::{
    orgs::{email_of, sign_in, tenant_tx, Fixture, A_SLUG},
    TestApp,
};

/// An issue form with no description, assignee or due date.
fn issue_form(
    title: &str,
    kind: &str,
    priority: &str,
    status: &str,
    business_id: &str,
) -> IssueForm {
    IssueForm {
        title: title.into(),
        kind: kind.into(),
        priority: priority.into(),
        status: status.into(),
        business_id: business_id.into(),
        ..IssueForm::default()
    }
}

fn new_issue(title: &str) -> CreateIssue {
    CreateIssue {
        slug: A_SLUG.into(),
        form: issue_form(title, "task", "normal", "open", ""),
    }
}

#[tokio::test]
async fn concurrent_creations_get_consecutive_numbers_without_gaps_or_duplicates() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let manager = sign_in(&app, email_of("a-manager")).await;
    let calls = (0..24).map(|n| {
        let mut b = manager.clone();
        async move { b.ok(new_issue(&format!("Task {n}"))).await }
    });
    join_all(calls).await;
    // A refused creation in between takes no number.
    let mut b = manager.clone();
    assert_eq!(b.err(new_issue("")).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        b.ok(new_issue("After the refusal")).await,
        26,
        "the fixture's #1, then 24, then this one"
    );
    let numbers: Vec<i32> =
        sqlx::query_scalar("select number from issues where org_id = $1 order by number")
            .bind(f.a)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(numbers, (1..=26).collect::<Vec<_>>());
    let b_numbers: Vec<i32> = sqlx::query_scalar("select number from issues where org_id = $1")
        .bind(f.b)
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(b_numbers, vec![1], "each organisation counts on its own");
}

fn edit(f: &Fixture, version: i32, title: &str, status: &str) -> UpdateIssue {
    UpdateIssue {
        slug: A_SLUG.into(),
        issue_id: f.issue_a.to_string(),
        version,
        form: issue_form(
            title,
            "maintenance",
            "high",
            status,
            &f.business_a.to_string(),
        ),
    }
}

#[tokio::test]
async fn a_save_from_a_stale_copy_is_refused_and_the_timeline_records_who_changed_what() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut first = sign_in(&app, email_of("a-manager")).await;
    let mut second = sign_in(&app, email_of("a-admin")).await;

    assert_eq!(
        first.ok(edit(&f, 1, "Boiler leak", "in_progress")).await,
        2,
        "the new version"
    );
    // The second person still has version 1 open.
    let refused = second.err(edit(&f, 1, "Overwritten title", "closed")).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT, "{refused:?}");
    assert!(
        refused
            .to_string()
            .contains("Someone else saved a change while you were editing"),
        "{refused:?}"
    );
    let (title, state): (String, String) =
        sqlx::query_as("select title, status from issues where issue_id = $1")
            .bind(f.issue_a)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        (title.as_str(), state.as_str()),
        ("Boiler leak", "in_progress")
    );
    // The board's move is held to the same rule.
    let mv = |version: i32| MoveIssue {
        slug: A_SLUG.into(),
        issue_id: f.issue_a.to_string(),
        version,
        status: "resolved".into(),
    };
    assert_eq!(second.err(mv(1)).await.status(), StatusCode::CONFLICT);
    second.ok(mv(2)).await;

    let issue = first
        .ok(GetIssue {
            slug: A_SLUG.into(),
            number: 1,
        })
        .await;
    let changes: Vec<(String, String, String)> = issue
        .timeline
        .iter()
        .map(|c| {
            (
                c.field.clone(),
                c.from.clone().unwrap_or_default(),
                c.to.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            ("created".into(), "".into(), "#1".into()),
            ("status".into(), "Open".into(), "In progress".into()),
            ("status".into(), "In progress".into(), "Resolved".into()),
        ]
    );
    assert_eq!(issue.timeline[2].actor, "User admin");
}

#[tokio::test]
async fn search_finds_businesses_by_name_and_address_within_the_organisation() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    Fixture::create(&db).await;
    let mut b = sign_in(&app, email_of("a-viewer")).await;
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    manager
        .ok(CreateBusiness {
            slug: A_SLUG.into(),
            form: BusinessForm {
                name: "The Harbour Bakery".into(),
                relationship: "competitor".into(),
                address: "12 Wharf Road, Whitby".into(),
                tags: "bread".into(),
                ..BusinessForm::default()
            },
        })
        .await;
    let search = |q: &str| ListBusinesses {
        slug: A_SLUG.into(),
        form: BusinessQuery {
            q: q.into(),
            ..BusinessQuery::default()
        },
    };
    for (q, expected) in [
        ("harbour", vec!["The Harbour Bakery"]),
        ("wharf whitby", vec!["The Harbour Bakery"]),
        ("qua", vec!["Quay Street Coffee"]),
        ("leeds", vec!["Quay Street Coffee"]),
        ("bravo", vec![]),
        ("'; drop table businesses; --", vec![]),
        ("", vec!["Quay Street Coffee", "The Harbour Bakery"]),
    ] {
        let page = b.ok(search(q)).await;
        let names: Vec<&str> = page.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, expected, "search {q:?}");
    }
}

/// The issue rules every query uses are said once in SQL (`issue_is_open`, `priority_rank`, …);
/// they must say what the Rust enums say, for every value.
#[tokio::test]
async fn the_databases_issue_rules_agree_with_the_rust_enums() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    for status in Status::ALL {
        let (open, done): (bool, bool) =
            sqlx::query_as("select issue_is_open($1), issue_is_done($1)")
                .bind(status.as_str())
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(
            (open, done),
            (!status.is_done(), status.is_done()),
            "{status:?}"
        );
    }
    for (i, priority) in Priority::ALL.iter().enumerate() {
        let rank: i32 = sqlx::query_scalar("select priority_rank($1)")
            .bind(priority.as_str())
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(rank, i as i32 + 1, "{priority:?} is in urgency order");
    }
    let (dated, undated): (String, String) =
        sqlx::query_as("select issue_due_key(date '2026-12-01')::text, issue_due_key(null)::text")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(dated, "2026-12-01");
    assert_eq!(
        parse_date(&undated).map(|d| d.to_string()),
        Ok("9999-12-31".into()),
        "an issue without a due date sorts after every date a due date can be"
    );
}

/// PostgreSQL's plan of each query, as the application role in an organisation's transaction
/// (its id is `$1`), with sequential scans ruled out: the fixture's tables are a few rows, which
/// would otherwise be read whole whatever the indexes.
async fn plans_in_an_organisation(queries: &[&str]) -> Vec<String> {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut conn = PgConnection::connect(&app.db.app_url).await.unwrap();
    let mut tx = tenant_tx(&mut conn, f.a).await;
    sqlx::query("set local enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .unwrap();
    let mut plans = Vec::new();
    for query in queries {
        let plan: Vec<String> = sqlx::query_scalar(&format!("explain {query}"))
            .bind(f.a)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        plans.push(plan.join("\n"));
    }
    plans
}

/// The overdue filter says `issue_is_open(status)`; the planner inlines it and proves that the
/// partial overdue index, whose predicate says the same, may serve it.
#[tokio::test]
async fn the_overdue_filter_can_use_the_overdue_index() {
    let plans = plans_in_an_organisation(&["select count(*) from issues
         where org_id = $1 and due_on < current_date and issue_is_open(status) and archived_at is null"])
    .await;
    // Either partial index over open issues serves it: the overdue one by due date, or the
    // dashboard's summary, which carries the due date.
    let plan = &plans[0];
    assert!(
        plan.contains("issues_overdue") || plan.contains("issues_open_summary"),
        "{plan}"
    );
}

/// A board column's first page, as the issue list's query reads it once the column's status and
/// order are known, comes from an index already in that order (open work most urgent first, done
/// work newest first): a page reads its own rows, not the whole column to sort it.
#[tokio::test]
async fn a_board_column_reads_its_first_page_in_order_from_an_index() {
    let column = |status: &str, order: &str| {
        format!(
            "select number from issues
             where org_id = $1 and archived_at is null and status = '{status}'
             order by {order} limit 51"
        )
    };
    let (open, resolved) = (
        column("open", "priority_rank(priority), number desc"),
        column("resolved", "number desc"),
    );
    let plans = plans_in_an_organisation(&[&open, &resolved]).await;
    for (plan, index) in plans
        .iter()
        .zip(["issues_column_urgent", "issues_column_newest"])
    {
        assert!(plan.contains(index), "{plan}");
        assert!(!plan.contains("Sort"), "{plan}");
    }
}

async fn count(db: &PgPool, table: &str, org: uuid::Uuid) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table} where org_id = $1"))
        .bind(org)
        .fetch_one(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_csv_import_with_any_bad_row_writes_nothing_and_says_which_lines() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut b = sign_in(&app, email_of("a-manager")).await;
    let import = |csv: &str, commit: bool| ImportForm {
        csv: csv.into(),
        commit,
    };
    let bad = "name,relationship,address,phone,website,notes,tags\n\
               Good Grocer,supplier,1 High St,,,,veg\n\
               Odd One,friend,,,,,\n\
               ,customer,,,,,\n\
               \"Quoted, Name\",partner,\"2 Low St\nSecond line\",,,,\n";
    let businesses = count(&db, "businesses", f.a).await;
    let report = b
        .ok(ImportBusinesses {
            slug: A_SLUG.into(),
            form: import(bad, true),
        })
        .await;
    assert_eq!(report.rows, 4);
    assert_eq!(report.imported, 0);
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4], "{report:?}");
    assert!(
        report.errors[0].message.contains("relationship"),
        "{report:?}"
    );
    assert_eq!(
        count(&db, "businesses", f.a).await,
        businesses,
        "nothing written"
    );

    let good = "name,relationship,address,phone,website,notes,tags\n\
                Good Grocer,supplier,1 High St,,,,veg;fruit\n\
                \"Quoted, Name\",partner,\"2 Low St\nSecond line\",,,,\n";
    let report = b
        .ok(ImportBusinesses {
            slug: A_SLUG.into(),
            form: import(good, false),
        })
        .await;
    assert!(
        report.imported == 0 && report.errors.is_empty(),
        "a preview: {report:?}"
    );
    assert_eq!(count(&db, "businesses", f.a).await, businesses);
    let report = b
        .ok(ImportBusinesses {
            slug: A_SLUG.into(),
            form: import(good, true),
        })
        .await;
    assert_eq!(report.imported, 2, "{report:?}");
    assert_eq!(count(&db, "businesses", f.a).await, businesses + 2);

    let report = b
        .ok(ImportIssues {
            slug: A_SLUG.into(),
            form: import(
                "title,description,kind,priority,status,business,due_on\n\
                Fix till,,task,high,,Good Grocer,2026-12-01\n\
                Ghost,,task,high,,No Such Place,\n\
                Bad date,,task,high,,,2026-02-30\n",
                true,
            ),
        })
        .await;
    assert_eq!(report.imported, 0, "{report:?}");
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.message.contains("No Such Place"))
            && report.errors.iter().any(|e| e.line == 4),
        "{report:?}"
    );
    assert_eq!(count(&db, "issues", f.a).await, 1);
    let report = b
        .ok(ImportIssues {
            slug: A_SLUG.into(),
            form: import(
                "title,description,kind,priority,status,business,due_on\n\
                Fix till,,task,high,,good grocer,2026-12-01\n\
                =HYPERLINK(\"http://x\"),,complaint,low,resolved,,\n",
                true,
            ),
        })
        .await;
    assert_eq!(report.imported, 2, "{report:?}");
    let numbers: Vec<i32> =
        sqlx::query_scalar("select number from issues where org_id = $1 order by number")
            .bind(f.a)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(numbers, vec![1, 2, 3]);

    // Exports are the Owner's and Admins'; formulas come out as text.
    assert_eq!(
        b.err(ExportIssues {
            slug: A_SLUG.into()
        })
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let mut admin = sign_in(&app, email_of("a-admin")).await;
    let csv = admin
        .ok(ExportIssues {
            slug: A_SLUG.into(),
        })
        .await;
    assert!(
        csv.starts_with("title,description,kind,priority,status,business,due_on,number"),
        "{csv}"
    );
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    let csv = admin
        .ok(ExportBusinesses {
            slug: A_SLUG.into(),
        })
        .await;
    assert!(
        csv.contains("Good Grocer,supplier,1 High St,,,,veg;fruit"),
        "{csv}"
    );
}

#[tokio::test]
async fn pages_offer_import_and_export_only_to_roles_that_may_use_them() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let html = owner.open(&format!("/o/{A_SLUG}/businesses")).await;
    assert!(html.contains("Quay Street Coffee"), "{html}");
    assert!(html.contains("Import businesses from CSV"), "{html}");
    assert!(html.contains("Export businesses as CSV"));
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    let html = viewer.open(&format!("/o/{A_SLUG}/businesses")).await;
    assert!(html.contains("Quay Street Coffee"));
    assert!(!html.contains("Import businesses") && !html.contains("Export businesses"));
    assert!(!html.contains("Add a business"));
}

#[tokio::test]
async fn search_finds_issues_by_title_description_and_comments_within_the_organisation() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    Fixture::create(&db).await;
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    let number = manager
        .ok(CreateIssue {
            slug: A_SLUG.into(),
            form: IssueForm {
                description: "The walk-in freezer alarm sounds at night.".into(),
                ..issue_form("Noisy alarm", "incident", "urgent", "open", "")
            },
        })
        .await;
    let search = |q: &str| ListIssues {
        slug: A_SLUG.into(),
        form: IssueQuery {
            q: q.into(),
            ..IssueQuery::default()
        },
    };
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    for (q, expected) in [
        // The title, the description, a word's start, and the fixture's comment on #1.
        ("noisy", vec![number]),
        ("freezer night", vec![number]),
        ("free", vec![number]),
        ("first look", vec![1]),
        ("boiler", vec![1]),
        // Words of both, in no one issue; another organisation's issue; input as text only.
        ("boiler freezer", vec![]),
        ("bravo oven", vec![]),
        ("'; drop table issues; --", vec![]),
        ("", vec![number, 1]),
    ] {
        let page = viewer.ok(search(q)).await;
        let numbers: Vec<i32> = page.items.iter().map(|i| i.number).collect();
        assert_eq!(numbers, expected, "search {q:?}");
    }
}
