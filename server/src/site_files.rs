//! The machine-readable files around the public site: security.txt (RFC 9116), robots.txt and
//! the sitemap.

use axum::{extract::State, http::header, response::IntoResponse};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::startup::AppState;

const TEXT: &str = "text/plain; charset=utf-8";

pub fn security_txt(state: &AppState, now: OffsetDateTime) -> String {
    let site = &state.site;
    let expires = state
        .config
        .security
        .txt_expires_at(now)
        .format(&Rfc3339)
        .expect("a UTC time formats as RFC 3339");
    format!(
        "Contact: mailto:{contact}\n\
         Expires: {expires}\n\
         Preferred-Languages: en\n\
         Canonical: {canonical}\n\
         Policy: {policy}\n",
        contact = site.security_contact,
        canonical = site.url("/.well-known/security.txt"),
        policy = site.url("/security/disclosure"),
    )
}

pub async fn security_txt_handler(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, TEXT)],
        security_txt(&state, OffsetDateTime::now_utc()),
    )
}

pub async fn robots_txt(State(state): State<AppState>) -> impl IntoResponse {
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /api/\n\nSitemap: {}\n",
        state.site.url("/sitemap.xml")
    );
    ([(header::CONTENT_TYPE, TEXT)], body)
}

pub async fn sitemap_xml(State(state): State<AppState>) -> impl IntoResponse {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in app::PUBLIC_PATHS {
        body.push_str(&format!(
            "  <url><loc>{}</loc></url>\n",
            state.site.url(path)
        ));
    }
    body.push_str("</urlset>\n");
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
}
