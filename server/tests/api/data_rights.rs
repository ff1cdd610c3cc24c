//! A person's right to a copy of their data: the archive holds what is theirs, says what each
//! file is, and holds nothing of anyone else's.

use std::io::Read as _;

use app::auth::export::{ExportMyData, FILES};
use base64::Engine as _;
use sqlx::PgPool;

use crate::support::{
    orgs::{email_of, sign_in, Fixture},
    TestApp,
};

#[tokio::test]
async fn a_person_downloads_their_own_data_and_nobody_elses() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    // A comment of the Manager's in A, and one of B's member in B.
    for (org, issue, author, body) in [
        (f.a, f.issue_a, f.users["a-manager"], "Manager's own words"),
        (f.b, f.issue_b, f.users["b-member"], "bravo member's words"),
    ] {
        sqlx::query("insert into issue_comments (org_id, issue_id, author_id, body) values ($1, $2, $3, $4)")
            .bind(org)
            .bind(issue)
            .bind(author)
            .bind(body)
            .execute(&db)
            .await
            .unwrap();
    }

    let mut b = sign_in(&app, email_of("a-manager")).await;
    let export = b.ok(ExportMyData {}).await;
    assert!(
        export.file_name.starts_with("ops-intel-my-data-") && export.file_name.ends_with(".zip")
    );
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&export.base64)
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        archive
            .by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let readme = read("README.txt");
    let mut everything = readme.clone();
    for (file, _) in FILES {
        assert!(readme.contains(file), "the README describes {file}");
        let text = read(file);
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        everything.push_str(&text);
    }
    let account: serde_json::Value = serde_json::from_str(&read("account.json")).unwrap();
    assert_eq!(account["email"], email_of("a-manager"));
    let memberships: serde_json::Value = serde_json::from_str(&read("memberships.json")).unwrap();
    assert_eq!(memberships[0]["organisation"], "Alpha Cafés");
    assert_eq!(memberships[0]["role"], "manager");
    let comments: serde_json::Value = serde_json::from_str(&read("comments.json")).unwrap();
    assert_eq!(comments.as_array().unwrap().len(), 1);
    assert_eq!(comments[0]["comment"], "Manager's own words");
    let sessions: serde_json::Value = serde_json::from_str(&read("sessions.json")).unwrap();
    assert_eq!(sessions[0]["this_sign_in"], true);
    let audit: serde_json::Value = serde_json::from_str(&read("audit.json")).unwrap();
    assert!(
        audit["account"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "auth.sign_in"),
        "{audit}"
    );

    // Nothing of anyone else's: no other address, nothing of B, no password hash.
    for (key, email) in crate::support::orgs::USERS {
        if key != "a-manager" {
            assert!(!everything.contains(email), "{email} in the archive");
        }
    }
    assert!(
        !everything.to_lowercase().contains("bravo"),
        "B's data in the archive"
    );
    assert!(
        !everything.contains("pbkdf2_sha256$"),
        "a password hash in the archive"
    );

    // The export is in the person's account log.
    let exported: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where actor_user_id = $1 and action = 'account.exported'",
    )
    .bind(f.users["a-manager"])
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(exported, 1);
}
