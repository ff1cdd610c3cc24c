//! Notifications: who is told of what, as each person chose, in the app and in one batched
//! email with a signed link that stops such emails without signing in.

use std::time::Duration;

use app::{
    error::AppError,
    work::{
        issues::{AddComment, CreateIssue, IssueForm, UpdateIssue},
        notifications::{
            ListNotifications, MarkRead, PreferenceForm, ReadForm, SetNotificationPreference,
            Unsubscribe, UnsubscribeForm,
        },
    },
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{
    browser::Browser,
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    TestApp,
};

async fn texts(b: &mut Browser<'_>) -> (i64, Vec<String>) {
    let list = b
        .ok(ListNotifications {
            slug: A_SLUG.into(),
        })
        .await;
    (
        list.unread,
        list.items.into_iter().map(|n| n.text).collect(),
    )
}

fn comment(issue: Uuid, body: &str) -> AddComment {
    AddComment {
        slug: A_SLUG.into(),
        issue_id: issue.to_string(),
        body: body.into(),
    }
}

/// The batched emails in the outbox for `email`, once the worker has sent the batch (its run
/// brought forward).
async fn batched_email(db: &PgPool, email: &str) -> (String, String) {
    sqlx::query(
        "update jobs set run_at = now() where kind = 'notifications.email' and state = 'queued'",
    )
    .execute(db)
    .await
    .unwrap();
    for _ in 0..100 {
        let found: Option<(String, String)> = sqlx::query_as(
            "select subject, text_body from email_outbox where kind = 'notifications' and to_address = $1
             order by email_id desc limit 1",
        )
        .bind(email)
        .fetch_optional(db)
        .await
        .unwrap();
        if let Some(found) = found {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no notification email for {email}");
}

#[tokio::test]
async fn assigning_commenting_and_mentioning_tell_the_right_people_as_they_chose() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    let mut admin = sign_in(&app, email_of("a-admin")).await;
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;

    // A new issue assigned to the Admin: they are told, and follow it.
    let admin_id = f.users["a-admin"].to_string();
    let number = manager
        .ok(CreateIssue {
            slug: A_SLUG.into(),
            form: IssueForm {
                title: "Fridge warm".into(),
                kind: "incident".into(),
                priority: "urgent".into(),
                assignee_id: admin_id.clone(),
                ..IssueForm::default()
            },
        })
        .await;
    let issue: Uuid =
        sqlx::query_scalar("select issue_id from issues where org_id = $1 and number = $2")
            .bind(f.a)
            .bind(number)
            .fetch_one(&db)
            .await
            .unwrap();
    let assigned = format!("User manager assigned #{number} Fridge warm to you");
    assert_eq!(texts(&mut admin).await, (1, vec![assigned.clone()]));
    // Nobody is told of their own doing.
    assert_eq!(texts(&mut manager).await.0, 0);

    // The Admin comments mentioning the Viewer: the Viewer is told of the mention; the Manager
    // (who opened it, so follows it) of the comment. The Admin is told of neither.
    admin
        .ok(comment(
            issue,
            "Engineer called. @User viewer can you let them in?",
        ))
        .await;
    let (_, viewer_sees) = texts(&mut viewer).await;
    assert_eq!(
        viewer_sees,
        vec![format!("User admin mentioned you on #{number} Fridge warm")]
    );
    let (_, manager_sees) = texts(&mut manager).await;
    assert_eq!(
        manager_sees,
        vec![format!("User admin commented on #{number} Fridge warm")]
    );
    assert_eq!(texts(&mut admin).await.0, 1);

    // Reassigning to the same person again tells nobody twice.
    let version: i32 = sqlx::query_scalar("select version from issues where issue_id = $1")
        .bind(issue)
        .fetch_one(&db)
        .await
        .unwrap();
    manager
        .ok(UpdateIssue {
            slug: A_SLUG.into(),
            issue_id: issue.to_string(),
            version,
            form: IssueForm {
                title: "Fridge warm".into(),
                kind: "incident".into(),
                priority: "high".into(),
                status: "in_progress".into(),
                assignee_id: admin_id.clone(),
                ..IssueForm::default()
            },
        })
        .await;
    assert_eq!(texts(&mut admin).await.0, 1);

    // Marking read: one's own only, then all.
    let id = admin
        .ok(ListNotifications {
            slug: A_SLUG.into(),
        })
        .await
        .items[0]
        .id;
    let read = |id: String| MarkRead {
        slug: A_SLUG.into(),
        form: ReadForm { id },
    };
    viewer.ok(read(id.to_string())).await;
    assert_eq!(
        texts(&mut admin).await.0,
        1,
        "the Viewer cannot mark the Admin's"
    );
    admin.ok(read(id.to_string())).await;
    assert_eq!(texts(&mut admin).await.0, 0);
    let bad = admin.err(read("x".into())).await;
    assert!(matches!(bad, AppError::Invalid { .. }), "{bad:?}");

    // Comments only in the app by default: the Manager gets no email; the Admin's assignment
    // and the Viewer's mention go by email too, one email each.
    let (subject, body) = batched_email(&db, "admin@alpha.test").await;
    assert_eq!(subject, assigned);
    assert!(
        body.contains(&format!("http://ops.test/o/{A_SLUG}/issues/{number}")),
        "{body}"
    );
    let (_, body) = batched_email(&db, "viewer@alpha.test").await;
    assert!(body.contains("mentioned you"), "{body}");
    let manager_emails: i64 = sqlx::query_scalar(
        "select count(*) from email_outbox where kind = 'notifications' and to_address = 'manager@alpha.test'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(manager_emails, 0);

    // The Viewer turns mentions off altogether: the next mention is neither shown nor sent.
    viewer
        .ok(SetNotificationPreference {
            form: PreferenceForm {
                kind: "mentioned".into(),
                channel: "none".into(),
            },
        })
        .await;
    admin.ok(comment(issue, "@User viewer thanks!")).await;
    assert_eq!(texts(&mut viewer).await.1.len(), 1);

    // The email's link stops every notification email without signing in; a forged one does
    // nothing.
    let link = body
        .lines()
        .find_map(|l| l.strip_prefix("Stop all notification emails: "))
        .expect("an unsubscribe link")
        .to_string();
    let url = url::Url::parse(&link).unwrap();
    assert_eq!(url.path(), "/notifications/unsubscribe");
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string())
            .unwrap()
    };
    let mut stranger = Browser::new(&app);
    stranger
        .open(&format!("{}?{}", url.path(), url.query().unwrap()))
        .await;
    let forged = stranger
        .err(Unsubscribe {
            form: UnsubscribeForm {
                user: f.users["a-admin"].to_string(),
                signature: param("signature"),
            },
        })
        .await;
    assert_eq!(forged, AppError::BadToken);
    stranger
        .ok(Unsubscribe {
            form: UnsubscribeForm {
                user: param("user"),
                signature: param("signature"),
            },
        })
        .await;
    let channels: Vec<(String, String)> = sqlx::query_as(
        "select kind, channel from notification_preferences where user_id = $1 order by kind",
    )
    .bind(f.users["a-viewer"])
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(
        channels.iter().all(|(_, c)| c == "app" || c == "none"),
        "{channels:?}"
    );
    assert!(
        channels.contains(&("assigned".into(), "app".into())),
        "{channels:?}"
    );
}
