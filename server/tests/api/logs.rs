//! Logs say who, in which organisation and under which declared access, and never hold a
//! password or a token.

use sqlx::PgPool;

use crate::support::{
    logs,
    orgs::{call, email_of, sign_in, Fixture, A_SLUG, PASSWORD},
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
    let (status, body) = call(&mut owner, "org/members", &[("slug", A_SLUG.into())]).await;
    assert!(status.is_success(), "{status} {body}");

    let (in_path, in_body, in_query) = (secret("path"), secret("body"), secret("query"));
    assert_eq!(app.get(&format!("/invite/{in_path}")).await.status(), 200);
    call(&mut owner, "org/invitation", &[("token", in_body.clone())]).await;
    app.get(&format!("/reset-password?token={in_query}")).await;

    let owner_id = f.users["a-owner"].to_string();
    let lines = logs::lines();
    let members_call = lines
        .iter()
        .find(|l| {
            l["span"]["path"] == "/api/org/members" && l["span"]["user_id"] == owner_id.as_str()
        })
        .expect("the call is logged with the caller's id");
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
