//! Nothing is lost by a click: deleting a business or an issue archives it (out of the lists,
//! the board and the figures, restorable by whoever may archive), and only an Owner or Admin
//! deletes an archived one for good, on the audit log.

use app::{
    error::AppError,
    work::{
        businesses::{ArchiveBusiness, DeleteBusiness},
        dashboard::{DashboardQuery, LoadDashboard},
        issues::{ArchiveIssue, DeleteIssue, GetIssue, IssueQuery, ListIssues},
    },
};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::support::{
    browser::Browser,
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    TestApp,
};

async fn listed(b: &mut Browser<'_>, archived: bool) -> Vec<i32> {
    b.ok(ListIssues {
        slug: A_SLUG.into(),
        form: IssueQuery {
            archived,
            ..IssueQuery::default()
        },
    })
    .await
    .items
    .iter()
    .map(|i| i.number)
    .collect()
}

async fn open_work(b: &mut Browser<'_>) -> i64 {
    b.ok(LoadDashboard {
        slug: A_SLUG.into(),
        form: DashboardQuery::default(),
    })
    .await
    .open
}

async fn audit_actions(db: &PgPool, org: uuid::Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "select action from org_audit_events where org_id = $1 and action like any (array['issue.%', 'business.%'])
         order by event_id",
    )
    .bind(org)
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_archived_issue_leaves_every_list_until_restored_and_only_owners_and_admins_delete_it_for_good(
) {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    let mut admin = sign_in(&app, email_of("a-admin")).await;
    let archive = |archived: bool| ArchiveIssue {
        slug: A_SLUG.into(),
        issue_id: f.issue_a.to_string(),
        archived,
    };
    let delete = || DeleteIssue {
        slug: A_SLUG.into(),
        issue_id: f.issue_a.to_string(),
    };
    assert_eq!(listed(&mut manager, false).await, vec![1]);
    assert_eq!(open_work(&mut manager).await, 1);

    // An issue in use is not deleted for good, even by an Admin.
    let refused = admin.err(delete()).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT, "{refused:?}");
    assert!(
        refused.to_string().contains("archive it before"),
        "{refused}"
    );

    // A Manager archives: out of the list and the figures, in the archive, said on the page.
    manager.ok(archive(true)).await;
    assert_eq!(listed(&mut manager, false).await, Vec::<i32>::new());
    assert_eq!(listed(&mut manager, true).await, vec![1]);
    assert_eq!(open_work(&mut manager).await, 0);
    let issue = manager
        .ok(GetIssue {
            slug: A_SLUG.into(),
            number: 1,
        })
        .await;
    assert!(issue.archived);
    let last = issue.timeline.last().unwrap();
    assert_eq!(
        (last.field.as_str(), last.actor.as_str()),
        ("archive", "User manager")
    );
    // Archiving twice (two people at once) changes nothing more.
    manager.ok(archive(true)).await;

    // Restored, it is back; archived again, a Manager still cannot delete it for good.
    manager.ok(archive(false)).await;
    assert_eq!(listed(&mut manager, false).await, vec![1]);
    manager.ok(archive(true)).await;
    assert!(matches!(
        manager.err(delete()).await,
        AppError::Forbidden(_)
    ));
    assert_eq!(listed(&mut manager, true).await, vec![1], "still there");

    // An Admin deletes it for good, with its comments and timeline.
    admin.ok(delete()).await;
    assert_eq!(listed(&mut admin, true).await, Vec::<i32>::new());
    let left: i64 = sqlx::query_scalar(
        "select (select count(*) from issues where issue_id = $1)
              + (select count(*) from issue_comments where issue_id = $1)
              + (select count(*) from issue_events where issue_id = $1)",
    )
    .bind(f.issue_a)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        audit_actions(&db, f.a).await,
        vec![
            "issue.archived",
            "issue.restored",
            "issue.archived",
            "issue.deleted"
        ]
    );
}

#[tokio::test]
async fn a_business_is_archived_before_it_is_deleted_for_good() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let delete = || DeleteBusiness {
        slug: A_SLUG.into(),
        business_id: f.business_a.to_string(),
    };
    let refused = owner.err(delete()).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT, "{refused:?}");
    manager
        .ok(ArchiveBusiness {
            slug: A_SLUG.into(),
            business_id: f.business_a.to_string(),
            archived: true,
        })
        .await;
    assert!(matches!(
        manager.err(delete()).await,
        AppError::Forbidden(_)
    ));
    owner.ok(delete()).await;
    let (businesses, linked): (i64, Option<uuid::Uuid>) = sqlx::query_as(
        "select (select count(*) from businesses where business_id = $1),
                (select business_id from issues where issue_id = $2)",
    )
    .bind(f.business_a)
    .bind(f.issue_a)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((businesses, linked), (0, None), "its issue stays, unlinked");
    assert_eq!(
        audit_actions(&db, f.a).await,
        vec!["business.archived", "business.deleted"]
    );
}
