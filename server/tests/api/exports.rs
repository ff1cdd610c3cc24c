//! An organisation's whole export: built in the background in bounded pieces, holding every
//! issue and nothing of another organisation, downloaded once through a link made for it, in the
//! audit log, and deleted when its day is up.

use std::io::Read as _;

use app::{
    error::AppError,
    org::export::{ExportLink, ExportState, ExportStatus, GetExport, StartExport, FILES},
};
use sqlx::PgPool;

use crate::support::{
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    wait::wait_for,
    TestApp,
};

/// Issues added to the Alpha organisation, beyond the fixture's own.
const ISSUES: i64 = 100_000;

#[tokio::test]
async fn an_owner_exports_a_100k_issue_organisation_once_in_bounded_pieces() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    sqlx::query("delete from org_exports")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query(
        "insert into issues (org_id, number, title, description, kind, priority, status)
         select $1, 1000 + n, 'Generated issue ' || n,
                md5(n::text) || md5((n + 1)::text) || md5((n + 2)::text) || md5((n + 3)::text),
                'task', 'low', case when n % 3 = 0 then 'resolved' else 'open' end
         from generate_series(1, $2) n",
    )
    .bind(f.a)
    .bind(ISSUES)
    .execute(&db)
    .await
    .unwrap();
    let issues_in_a: i64 = sqlx::query_scalar("select count(*) from issues where org_id = $1")
        .bind(f.a)
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(issues_in_a > ISSUES);

    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let slug = A_SLUG.to_string();
    let started = owner.ok(StartExport { slug: slug.clone() }).await;
    assert!(started.state.in_progress());
    // One at a time.
    let again = owner.err(StartExport { slug: slug.clone() }).await;
    assert!(matches!(again, AppError::Refused(_)), "{again:?}");
    // Nothing to download yet.
    let early = owner.err(ExportLink { slug: slug.clone() }).await;
    assert!(matches!(early, AppError::Refused(_)), "{early:?}");

    let mut status: Option<ExportStatus> = None;
    wait_for("the export to be built", async || {
        status = owner.ok(GetExport { slug: slug.clone() }).await;
        status
            .as_ref()
            .is_some_and(|s| s.state == ExportState::Ready)
    })
    .await;
    let status = status.unwrap();
    assert_eq!(status.percent(), 100);
    assert!(status.expires_at.is_some());

    // Stored in pieces no larger than a chunk: never held whole.
    let (chunks, largest, total): (i64, i32, i64) = sqlx::query_as(
        "select count(*), max(length(bytes)), sum(length(bytes))::bigint from org_export_chunks where org_id = $1",
    )
    .bind(f.a)
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(chunks > 1, "{chunks} chunks");
    assert!(
        largest as usize <= server::exports::CHUNK_BYTES,
        "{largest}"
    );
    assert_eq!(Some(total), status.size_bytes);
    // And built holding at most about one chunk at a time.
    let built = crate::support::logs::lines()
        .into_iter()
        .find(|l| l["message"] == "organisation export built" && l["bytes"] == total)
        .expect("the build is logged");
    let peak = built["peak_buffer_bytes"].as_u64().unwrap();
    assert!(
        peak < 2 * server::exports::CHUNK_BYTES as u64,
        "at most {peak} bytes waited in memory"
    );

    let link = owner.ok(ExportLink { slug: slug.clone() }).await;
    assert!(link.url.starts_with("/exports/"));
    let response = app.get(&link.url).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with(&format!("attachment; filename=\"ops-intel-{A_SLUG}-")));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, total);
    // A link works once.
    assert_eq!(app.get(&link.url).await.status(), 410);

    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        archive
            .by_name(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let readme = read("README.txt");
    for (file, _) in FILES {
        assert!(readme.contains(file), "the README describes {file}");
    }
    let issues = read("issues.csv");
    let mut csv = csv::Reader::from_reader(issues.as_bytes());
    let numbers: Vec<i64> = csv
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(
        numbers.len() as i64,
        issues_in_a,
        "every issue is in the export"
    );
    assert!(numbers.contains(&(1000 + ISSUES)));
    assert!(read("issue_comments.csv").contains("First look"));
    assert!(read("members.csv").contains(email_of("a-viewer")));
    let attachments = read("inbox_attachments.csv");
    let path = attachments
        .lines()
        .nth(1)
        .unwrap()
        .rsplit(',')
        .next()
        .unwrap()
        .to_string();
    assert!(path.starts_with("attachments/"), "{path}");
    let mut everything = String::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        everything.push_str(&String::from_utf8_lossy(&content));
    }
    assert!(
        !everything.to_lowercase().contains("bravo"),
        "another organisation's data in the export"
    );
    assert!(
        !everything.contains("pbkdf2_sha256$"),
        "a password hash in the export"
    );
    assert!(
        archive.by_name(&path).is_ok(),
        "the attachment's file is in the archive"
    );

    // Downloaded, and both steps in the audit log.
    let after = owner.ok(GetExport { slug: slug.clone() }).await.unwrap();
    assert_eq!(after.state, ExportState::Downloaded);
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from org_audit_events where org_id = $1 and action like 'export.%' order by event_id",
    )
    .bind(f.a)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(actions, ["export.requested", "export.downloaded"]);

    // When its day is up, it is deleted.
    sqlx::query("update jobs set run_at = now() where kind = 'export.expire' and org_id = $1")
        .bind(f.a)
        .execute(&db)
        .await
        .unwrap();
    wait_for("the export to expire", async || {
        let left: i64 =
            sqlx::query_scalar("select count(*) from org_export_chunks where org_id = $1")
                .bind(f.a)
                .fetch_one(&db)
                .await
                .unwrap();
        left == 0
    })
    .await;
    let expired = owner.ok(GetExport { slug }).await.unwrap();
    assert_eq!(expired.state, ExportState::Expired);
}

#[tokio::test]
async fn a_download_link_is_refused_when_made_up_expired_or_for_another_export() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    assert_eq!(app.get("/exports/made-up-token").await.status(), 410);

    let mut owner = sign_in(&app, email_of("a-owner")).await;
    owner
        .ok(StartExport {
            slug: A_SLUG.into(),
        })
        .await;
    wait_for("the export to be built", async || {
        owner
            .ok(GetExport {
                slug: A_SLUG.into(),
            })
            .await
            .is_some_and(|s| s.state == ExportState::Ready)
    })
    .await;
    let link = owner
        .ok(ExportLink {
            slug: A_SLUG.into(),
        })
        .await;
    // A link past its minutes does not work, and is not used up by trying.
    sqlx::query(
        "update org_exports set link_expires_at = now() - interval '1 second' where org_id = $1",
    )
    .bind(f.a)
    .execute(&db)
    .await
    .unwrap();
    assert_eq!(app.get(&link.url).await.status(), 410);
    // A new link replaces the old one.
    let fresh = owner
        .ok(ExportLink {
            slug: A_SLUG.into(),
        })
        .await;
    assert_ne!(fresh.url, link.url);
    assert_eq!(app.get(&link.url).await.status(), 410);
    assert_eq!(app.get(&fresh.url).await.status(), 200);
}
