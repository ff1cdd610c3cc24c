//! The public pages are the same for every visitor: rendered once, served from memory, already
//! compressed, with their inline scripts allowed by hash. Reading them starts no session; a
//! script on them gets the session's CSRF token when it first needs one.

use std::io::Read as _;

use app::auth::CSRF_TOKEN_PATH;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use reqwest::{header, StatusCode};
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;

use crate::support::{
    browser::Browser,
    orgs::{create_user, sign_in, sign_in_as, PASSWORD},
    TestApp,
};

async fn session_rows(db: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from tower_sessions.session")
        .fetch_one(db)
        .await
        .unwrap()
}

/// What a page's script does to get the session's token, with one header of the browser's.
async fn ask_for_token(app: &TestApp, name: header::HeaderName, value: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{CSRF_TOKEN_PATH}", app.base))
        .header(name, value)
        .send()
        .await
        .unwrap()
}

fn inline_scripts(html: &str) -> Vec<&str> {
    html.match_indices("<script")
        .filter_map(|(i, _)| {
            let open_end = i + html[i..].find('>').unwrap();
            let content_end = open_end + html[open_end..].find("</script>").unwrap();
            (!html[i..open_end].contains(" src=")).then(|| &html[open_end + 1..content_end])
        })
        .collect()
}

#[tokio::test]
async fn reading_the_public_pages_starts_no_session_and_shows_everyone_the_same_page() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "ada@example.com", true).await;
    let mut ada = sign_in(&app, "ada@example.com").await;
    let sessions = session_rows(&db).await;

    for path in app::PUBLIC_PATHS {
        let mut visitor = Browser::new(&app);
        let first = visitor.open(path).await;
        assert_eq!(visitor.last_set_cookie, None, "{path} set a cookie");
        assert!(
            !first.contains(r#"name="csrf_token""#),
            "{path} carries a token"
        );
        assert_eq!(
            visitor.open(path).await,
            first,
            "{path} changed between visits"
        );
        assert_eq!(ada.open(path).await, first, "{path} differs when signed in");
    }
    assert_eq!(
        session_rows(&db).await,
        sessions,
        "reading public pages stored no session"
    );
}

#[tokio::test]
async fn public_pages_allow_exactly_their_own_inline_scripts_by_hash() {
    let app = TestApp::spawn().await;
    for path in app::PUBLIC_PATHS {
        let res = app.get(path).await;
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let html = res.text().await.unwrap();
        assert!(!csp.contains("nonce") && !html.contains("nonce="), "{path}");
        let scripts = inline_scripts(&html);
        assert!(!scripts.is_empty(), "{path} hydrates, so it has scripts");
        let script_src = csp
            .split(';')
            .find_map(|d| d.trim().strip_prefix("script-src "))
            .unwrap();
        let mut hashes: Vec<String> = scripts
            .iter()
            .map(|s| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(s))))
            .collect();
        hashes.sort();
        hashes.dedup();
        let mut allowed: Vec<&str> = script_src
            .split(' ')
            .filter(|s| s.starts_with("'sha256-"))
            .collect();
        allowed.sort();
        assert_eq!(allowed, hashes, "{path}: {csp}");
        assert!(script_src.ends_with("'strict-dynamic' 'wasm-unsafe-eval'"));
    }
    // Pages drawn for one visitor keep their per-response nonce.
    let csp = app.get("/sign-in").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
}

#[tokio::test]
async fn public_pages_are_sent_in_the_best_encoding_the_browser_takes() {
    let app = TestApp::spawn().await;
    let get = |encoding: &'static str| {
        app.client
            .get(format!("{}/security", app.base))
            .header(header::ACCEPT_ENCODING, encoding)
            .send()
    };
    let plain = get("identity").await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.headers()[header::VARY], "accept-encoding");
    let plain = plain.bytes().await.unwrap();

    let br = get("gzip, deflate, br").await.unwrap();
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
    let br = br.bytes().await.unwrap();
    assert!(
        br.len() * 2 < plain.len(),
        "{} of {}",
        br.len(),
        plain.len()
    );
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut &br[..], &mut decoded).unwrap();
    assert_eq!(decoded, plain);

    let gz = get("br;q=0, gzip").await.unwrap();
    assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain);

    // A query string is not the page everyone gets: drawn for this request as any other page.
    let res = app.get("/?ref=newsletter").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("'nonce-"));
}

#[tokio::test]
async fn a_script_on_a_public_page_gets_the_sessions_token_before_it_posts() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "ada@example.com", true).await;
    let mut b = Browser::new(&app);
    b.open("/").await;
    assert_eq!(b.cookie, None);

    let res = ask_for_token(
        &app,
        header::HeaderName::from_static("sec-fetch-site"),
        "same-origin",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    b.cookie = Some(cookie.split(';').next().unwrap().to_string());
    b.token = res.text().await.unwrap();
    assert!(b.token.len() >= 32, "{}", b.token);

    b.ok(sign_in_as("ada@example.com", PASSWORD)).await;
    assert!(b.current_user().await.is_some());

    // Asking again in the same session gives the session's current token, not a new one.
    let again = ask_for_token(&app, header::COOKIE, &b.cookie.clone().unwrap()).await;
    assert_eq!(again.text().await.unwrap(), b.token);

    // Another site's script may not ask.
    let cross = ask_for_token(
        &app,
        header::HeaderName::from_static("sec-fetch-site"),
        "cross-site",
    )
    .await;
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    assert!(cross.headers().get(header::SET_COOKIE).is_none());
}
