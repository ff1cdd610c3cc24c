//! The board holds all the work: every column's count, open work a page at a time most urgent
//! first, done work newest first, and archived issues in none of it.

use app::work::{
    board::{column_order, GetBoard},
    issues::{ArchiveIssue, IssueQuery, ListIssues},
    Status,
};
use sqlx::PgPool;

use crate::support::{
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    TestApp,
};

/// Adds `n` issues to an organisation with the given status, numbered from `from`, each
/// priority in turn.
async fn add_issues(db: &PgPool, org: uuid::Uuid, from: i32, n: i32, status: &str) {
    sqlx::query(
        "insert into issues (org_id, number, title, kind, priority, status, resolved_at)
         select $1, g, 'Task ' || g, 'task', (array['urgent', 'high', 'normal', 'low'])[1 + g % 4], $4,
                case when $4 in ('resolved', 'closed') then now() end
         from generate_series($2::int, $2::int + $3::int - 1) g",
    )
    .bind(org)
    .bind(from)
    .bind(n)
    .bind(status)
    .execute(db)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_board_counts_every_issue_and_pages_open_work_most_urgent_first() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    // The fixture's one open issue (#1, high), then 120 more open, 70 resolved, 3 blocked.
    add_issues(&db, f.a, 100, 120, "open").await;
    add_issues(&db, f.a, 300, 70, "resolved").await;
    add_issues(&db, f.a, 400, 3, "blocked").await;
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    let board = viewer
        .ok(GetBoard {
            slug: A_SLUG.into(),
        })
        .await;
    let counts: Vec<(Status, i64)> = board.columns.iter().map(|c| (c.status, c.count)).collect();
    assert_eq!(
        counts,
        vec![
            (Status::Open, 121),
            (Status::InProgress, 0),
            (Status::Blocked, 3),
            (Status::Resolved, 70),
            (Status::Closed, 0),
        ]
    );

    // Open work: the first page, most urgent first, then the rest through the list's pages
    // with the column's order; every open issue exactly once.
    let open = &board.columns[0];
    assert_eq!(open.page.items.len(), 50);
    let ranks: Vec<_> = open.page.items.iter().map(|i| i.priority).collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "most urgent first: {ranks:?}"
    );
    let mut seen: Vec<i32> = open.page.items.iter().map(|i| i.number).collect();
    let mut next = open.page.next.clone();
    while let Some(after) = next {
        let page = viewer
            .ok(ListIssues {
                slug: A_SLUG.into(),
                form: IssueQuery {
                    status: "open".into(),
                    order: column_order(Status::Open).as_str().into(),
                    after,
                    ..IssueQuery::default()
                },
            })
            .await;
        seen.extend(page.items.iter().map(|i| i.number));
        next = page.next;
    }
    seen.sort_unstable();
    let mut expected: Vec<i32> = std::iter::once(1).chain(100..220).collect();
    expected.sort_unstable();
    assert_eq!(seen, expected, "every open issue once");

    // Done work: the newest first, one page, with the count saying how many there are.
    let resolved = &board.columns[3];
    assert_eq!(resolved.page.items.first().map(|i| i.number), Some(369));
    assert!(resolved
        .page
        .items
        .windows(2)
        .all(|w| w[0].number > w[1].number));

    // An archived issue leaves its column and its count.
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    manager
        .ok(ArchiveIssue {
            slug: A_SLUG.into(),
            issue_id: f.issue_a.to_string(),
            archived: true,
        })
        .await;
    let board = viewer
        .ok(GetBoard {
            slug: A_SLUG.into(),
        })
        .await;
    assert_eq!(board.columns[0].count, 120);
    assert!(board.columns[0].page.items.iter().all(|i| i.number != 1));
}
