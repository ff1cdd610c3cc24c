//! The HTTP surface against the real server and a real database: headers, probes, limits, the
//! machine-readable files and the 404.

use crate::support::TestApp;
use reqwest::StatusCode;

const PAGES: [&str; 5] = ["/", "/pricing", "/security", "/privacy", "/terms"];

fn csp_nonce(response: &reqwest::Response) -> String {
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    let start = csp.find("'nonce-").expect("CSP has a nonce") + 7;
    csp[start..start + csp[start..].find('\'').unwrap()].to_string()
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let paths = PAGES.iter().copied().chain([
        "/no/such/page",
        "/healthz",
        "/readyz",
        "/.well-known/security.txt",
        "/robots.txt",
        "/sitemap.xml",
    ]);
    for path in paths {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        // The public pages, the same for everyone, name their scripts by hash.
        let scripts = if PAGES.contains(&path) {
            "script-src 'sha256-"
        } else {
            "script-src 'nonce-"
        };
        assert!(csp.contains(scripts), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{path}");
        assert!(
            h["permissions-policy"]
                .to_str()
                .unwrap()
                .contains("geolocation=()"),
            "{path}"
        );
        assert!(h.contains_key("x-request-id"), "{path}");
        // Plain HTTP with a plain-HTTP public URL: no proxy promises TLS, so no HSTS.
        assert!(!h.contains_key("strict-transport-security"), "{path}");
    }
}

#[tokio::test]
async fn page_scripts_carry_the_nonce_of_their_own_response() {
    let app = TestApp::spawn().await;
    let first = app.get("/sign-in").await;
    let nonce = csp_nonce(&first);
    let html = first.text().await.unwrap();
    let scripts: Vec<&str> = html
        .match_indices("<script")
        .map(|(i, _)| &html[i..i + html[i..].find('>').unwrap()])
        .collect();
    assert!(!scripts.is_empty(), "the page hydrates, so it has scripts");
    for tag in scripts {
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "{tag} lacks nonce {nonce}"
        );
    }
    let second = csp_nonce(&app.get("/sign-in").await);
    assert_ne!(nonce, second, "each response gets a fresh nonce");
}

#[tokio::test]
async fn hsts_is_sent_when_users_reach_us_over_https() {
    let app = TestApp::spawn_with(&[("OPS_PUBLIC_URL", "https://ops.example")]).await;
    let res = app.get("/").await;
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test]
async fn public_pages_render_on_the_server_with_their_metadata() {
    let app = TestApp::spawn().await;
    for path in PAGES {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("<title>"), "{path}");
        assert!(html.contains(r#"<meta name="description""#), "{path}");
        let canonical = html
            .match_indices("<link ")
            .map(|(i, _)| &html[i..i + html[i..].find('>').unwrap()])
            .find(|tag| tag.contains(r#"rel="canonical""#))
            .unwrap_or_else(|| panic!("{path} has no canonical link"));
        assert!(
            canonical.contains(&format!(r#"href="http://ops.test{path}""#)),
            "{path}: {canonical}"
        );
        assert!(html.contains("<main"), "{path}");
    }
    let security = app.get("/security").await.text().await.unwrap();
    assert!(
        security.contains("security@ops.test"),
        "contact comes from configuration"
    );
    assert!(
        security.contains("2026-11-01"),
        "last updated comes from configuration"
    );
}

#[tokio::test]
async fn unknown_addresses_get_a_404_page() {
    let app = TestApp::spawn().await;
    let res = app.get("/definitely/not/here").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn probes_report_liveness_and_readiness() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.text().await.unwrap(), r#"{"status":"ready"}"#);
}

#[tokio::test]
async fn readiness_fails_while_a_migration_is_missing() {
    let app = TestApp::spawn().await;
    let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
    sqlx::query(
        "delete from _sqlx_migrations where version = (select max(version) from _sqlx_migrations)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        res.text().await.unwrap(),
        r#"{"status":"not ready"}"#,
        "no internals in the body"
    );
}

#[tokio::test]
async fn security_txt_has_one_contact_and_one_future_expiry() {
    let app = TestApp::spawn().await;
    let res = app.get("/.well-known/security.txt").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let body = res.text().await.unwrap();
    let field = |name: &str| -> Vec<String> {
        body.lines()
            .filter_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
            .collect()
    };
    assert_eq!(field("Contact"), ["mailto:security@ops.test"]);
    let expires = field("Expires");
    assert_eq!(expires.len(), 1, "{body}");
    let expires =
        time::OffsetDateTime::parse(&expires[0], &time::format_description::well_known::Rfc3339)
            .unwrap();
    let now = time::OffsetDateTime::now_utc();
    assert!(
        expires > now && expires < now + time::Duration::days(366),
        "{expires}"
    );
    assert_eq!(field("Preferred-Languages"), ["en"]);
    assert_eq!(
        field("Canonical"),
        ["http://ops.test/.well-known/security.txt"]
    );
    assert_eq!(field("Policy"), ["http://ops.test/security/disclosure"]);
}

#[tokio::test]
async fn oversized_request_bodies_are_refused() {
    let app = TestApp::spawn_with(&[("OPS_MAX_BODY_BYTES", "1024")]).await;
    let res = app
        .client
        .post(format!("{}/", app.base))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn html_is_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(format!("{}/", app.base))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "br");
}

#[tokio::test]
async fn a_stopping_server_drains_before_it_stops_listening() {
    let mut app = TestApp::spawn_with(&[("OPS_SHUTDOWN_DRAIN_SECS", "2")]).await;
    let addr = app.addr;
    assert!(app
        .get("/healthz")
        .await
        .headers()
        .get("connection")
        .is_none());
    app.begin_shut_down();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Still serving, but telling the proxy to move on: no answer keeps its connection open.
    let page = app.get("/pricing").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["connection"], "close");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.text().await.unwrap().contains("draining"));
    let started = std::time::Instant::now();
    app.shut_down().await.expect("a clean stop");
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

/// The proxy's race at the drain's end: a connection the server accepted just before it stopped
/// accepting, whose request arrives just after, is answered and not closed unread.
#[tokio::test]
async fn a_connection_opened_as_the_drain_ends_is_still_answered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut app = TestApp::spawn_with(&[("OPS_SHUTDOWN_DRAIN_SECS", "1")]).await;
    let addr = app.addr;
    app.begin_shut_down();
    let began = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let mut late = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The drain is over and the listener closed before the request is sent.
    tokio::time::sleep(std::time::Duration::from_millis(1300).saturating_sub(began.elapsed()))
        .await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
    late.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    late.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "answered {answer:?}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"));
    app.shut_down().await.expect("a clean stop");
}

#[tokio::test]
async fn shutdown_stops_the_server_cleanly() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    app.shut_down().await.expect("a clean stop");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}
