//! Cross-site request forgery protection for every state-changing request, in one layer that a
//! new route cannot opt out of by forgetting: unsafe methods must come from our own pages
//! (Fetch Metadata, else Origin) and carry the session's token, in the `x-csrf-token` header or
//! the `csrf_token` field of a form.
//!
//! Page loads get the token put in the request for the renderer to embed in forms.

use app::auth::{CsrfToken, CSRF_FIELD};
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq as _;
use tower_sessions::Session;

const SESSION_KEY: &str = "csrf_token";
const ANONYMOUS_IDLE: time::Duration = time::Duration::hours(24);
/// Paths whose requests are authenticated by a signature instead (webhooks).
const EXEMPT_PREFIXES: &[&str] = &["/webhooks/"];

#[derive(Clone)]
pub struct CsrfPolicy {
    /// Our origin, such as `https://ops.example`, for the Origin check.
    pub origin: String,
    pub max_body_bytes: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    CrossSite,
    MissingToken,
    WrongToken,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let message = match self {
            Refusal::CrossSite => "This request came from another site and was refused.",
            Refusal::MissingToken | Refusal::WrongToken => {
                "This form has expired or is not from this site. Reload the page and try again."
            }
        };
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            message,
        )
            .into_response()
    }
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Browsers say where a request came from; anything but our own origin (or the user typing the
/// address) is refused. Sibling subdomains count as another site: SameSite would let them in.
pub fn check_origin(headers: &HeaderMap, origin: &str) -> Result<(), Refusal> {
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        Some(b"same-origin") | Some(b"none") => Ok(()),
        Some(_) => Err(Refusal::CrossSite),
        // Older browsers: the Origin header, when present, must be ours.
        None => match headers.get(header::ORIGIN) {
            Some(o) if o.as_bytes() == origin.as_bytes() => Ok(()),
            Some(_) => Err(Refusal::CrossSite),
            None => Ok(()),
        },
    }
}

fn tokens_match(expected: &str, given: &str) -> bool {
    // Constant time for equal lengths; a token's length is not secret.
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn session_token(session: &Session, create: bool) -> Result<Option<String>, Response> {
    let existing = session.get::<String>(SESSION_KEY).await.map_err(internal)?;
    match existing {
        Some(t) => Ok(Some(t)),
        None if create => {
            // A visitor who has not signed in keeps this session for a day of inactivity at
            // most, so crawlers do not fill the store; signing in extends it.
            session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(ANONYMOUS_IDLE)));
            let token = app::auth::tokens::random_token();
            session
                .insert(SESSION_KEY, &token)
                .await
                .map_err(internal)?;
            Ok(Some(token))
        }
        None => Ok(None),
    }
}

fn internal(e: tower_sessions::session::Error) -> Response {
    tracing::error!(error = %e, "session store");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

pub async fn protect(
    State(policy): State<CsrfPolicy>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !is_unsafe(request.method()) {
        // A page load is where forms get their token: make sure the session has one.
        let mut request = request;
        if wants_html(request.headers()) {
            match session_token(&session, true).await {
                Ok(Some(token)) => {
                    request.extensions_mut().insert(CsrfToken(token));
                }
                Ok(None) => {}
                Err(response) => return response,
            }
        }
        return next.run(request).await;
    }
    if EXEMPT_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return next.run(request).await;
    }
    if let Err(refusal) = check_origin(request.headers(), &policy.origin) {
        tracing::warn!(?refusal, "cross-site request refused");
        return refusal.into_response();
    }
    let expected = match session_token(&session, false).await {
        Ok(t) => t,
        Err(response) => return response,
    };
    let header_token = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));

    // The token of a form post is in its body: read it (within the body limit) and put it back.
    let (request, given) = match (header_token, is_form) {
        (Some(t), _) => (request, Some(t)),
        (None, true) => {
            let (parts, body) = request.into_parts();
            let bytes = match to_bytes(body, policy.max_body_bytes).await {
                Ok(b) => b,
                Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
            };
            let given = form_field(&bytes, CSRF_FIELD);
            (Request::from_parts(parts, Body::from(bytes)), given)
        }
        (None, false) => (request, None),
    };
    let verdict = match (expected, given) {
        (_, None) => Err(Refusal::MissingToken),
        (None, Some(_)) => Err(Refusal::WrongToken),
        (Some(e), Some(g)) if tokens_match(&e, &g) => Ok(()),
        (Some(_), Some(_)) => Err(Refusal::WrongToken),
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(?refusal, "request without a valid CSRF token refused");
            refusal.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let o = "https://ops.example";
        assert_eq!(
            check_origin(&headers(&[("sec-fetch-site", "same-origin")]), o),
            Ok(())
        );
        assert_eq!(
            check_origin(&headers(&[("sec-fetch-site", "none")]), o),
            Ok(())
        );
        assert_eq!(
            check_origin(&headers(&[("sec-fetch-site", "same-site")]), o),
            Err(Refusal::CrossSite)
        );
        assert_eq!(
            check_origin(&headers(&[("sec-fetch-site", "cross-site")]), o),
            Err(Refusal::CrossSite)
        );
        assert_eq!(
            check_origin(
                &headers(&[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://ops.example")
                ]),
                o
            ),
            Err(Refusal::CrossSite)
        );
    }

    #[test]
    fn without_fetch_metadata_the_origin_must_be_ours() {
        let o = "https://ops.example";
        assert_eq!(
            check_origin(&headers(&[("origin", "https://ops.example")]), o),
            Ok(())
        );
        assert_eq!(
            check_origin(&headers(&[("origin", "https://evil.example")]), o),
            Err(Refusal::CrossSite)
        );
        assert_eq!(
            check_origin(&headers(&[("origin", "https://a.ops.example")]), o),
            Err(Refusal::CrossSite)
        );
        assert_eq!(
            check_origin(&headers(&[]), o),
            Ok(()),
            "non-browser clients still need the token"
        );
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "abcd"));
        assert!(!tokens_match("", "x"));
    }

    #[test]
    fn the_form_field_is_found_among_others() {
        assert_eq!(
            form_field(b"email=a%40b.c&csrf_token=t%2Bk&x=1", "csrf_token").as_deref(),
            Some("t+k")
        );
        assert_eq!(form_field(b"email=a", "csrf_token"), None);
    }
}
