//! Logs say who, in which organisation and under which declared access, and never hold a
//! password or a token.

use app::{
    error::AppError,
    org::functions::{ListMembers, ShowInvitation},
};
use sqlx::PgPool;

use crate::support::{
    logs,
    orgs::{email_of, sign_in, Fixture, A_SLUG, PASSWORD},
    TestApp,
};

fn secret(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_request_is_logged_with_its_user_organisation_and_access_and_without_secrets() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    owner
        .ok(ListMembers {
            slug: A_SLUG.into(),
        })
        .await;

    let (in_path, in_body, in_query) = (secret("path"), secret("body"), secret("query"));
    assert_eq!(app.get(&format!("/invite/{in_path}")).await.status(), 200);
    assert_eq!(
        owner
            .err(ShowInvitation {
                token: in_body.clone(),
            })
            .await,
        AppError::BadToken,
        "an unknown invitation token is refused"
    );
    app.get(&format!("/reset-password?token={in_query}")).await;

    let owner_id = f.users["a-owner"].to_string();
    let lines = logs::lines();
    let members_call = lines
        .iter()
        .find(|l| {
            l["span"]["path"] == "/api/org/members" && l["span"]["user_id"] == owner_id.as_str()
        })
        .unwrap_or_else(|| {
            let seen: Vec<_> = lines
                .iter()
                .filter(|l| l["span"]["path"] == "/api/org/members")
                .collect();
            panic!("the call is logged with the caller's id; logged: {seen:#?}")
        });
    assert_eq!(members_call["span"]["org_id"], f.a.to_string().as_str());
    assert_eq!(members_call["span"]["access"], "member:view");
    assert!(
        lines.iter().any(|l| l["span"]["path"] == "/invite/[token]"),
        "an invitation page is logged with its token replaced"
    );
    for s in [&in_path, &in_body, &in_query, &PASSWORD.to_string()] {
        assert!(!logs::contain(s), "the log holds a secret: {s}");
    }
}

#[tokio::test]
async fn a_refusal_inside_the_layers_is_logged_under_its_request() {
    let app = TestApp::spawn().await;
    // No session and no CSRF token: the layers refuse it before any function runs.
    let res = app
        .client
        .post(format!("{}/api/auth/sign_out", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let refusal = logs::lines().into_iter().find(|l| {
        l["message"] == "request without a valid CSRF token refused"
            && l["spans"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["request_id"] == request_id.as_str()))
    });
    assert!(refusal.is_some(), "the refusal names its request");
}

#[tokio::test]
async fn an_invitation_token_never_reaches_the_log_however_it_travels() {
    use app::{
        org::{
            forms::InviteMemberForm,
            functions::{AcceptInvitation, InviteMember},
        },
        roles::Role,
    };
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    owner.open(&format!("/o/{A_SLUG}/members")).await;
    owner
        .ok(InviteMember {
            slug: A_SLUG.into(),
            form: InviteMemberForm {
                email: "newbie@example.com".into(),
                role: Role::Viewer.as_str().into(),
            },
        })
        .await;
    let body: String = sqlx::query_scalar(
        "select text_body from email_outbox where to_address = 'newbie@example.com'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let start = body.find("/invite/").unwrap() + "/invite/".len();
    let token = body[start..].split_whitespace().next().unwrap().to_string();

    // The page itself, a path below it, and the requests its page makes, which name it in
    // their Referer.
    let page = format!("http://ops.test/invite/{token}");
    for path in [format!("/invite/{token}"), format!("/invite/{token}/x")] {
        app.get(&path).await;
    }
    app.client
        .get(format!("{}/sign-in?next=/invite/{token}", app.base))
        .header("referer", &page)
        .send()
        .await
        .unwrap();
    // Accepting as someone else is refused, and the refusal is logged.
    let mut stranger = sign_in(&app, email_of("b-owner")).await;
    stranger.open(&format!("/invite/{token}")).await;
    stranger
        .raw_post("org/accept", &[("token", &token)], &[("referer", &page)])
        .await;
    let refused = stranger
        .err(AcceptInvitation {
            token: token.clone(),
        })
        .await;
    assert!(matches!(refused, AppError::Refused(_)), "{refused:?}");

    assert!(!logs::contain(&token), "the log holds an invitation token");
}
