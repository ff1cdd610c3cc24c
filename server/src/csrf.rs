//! Cross-site request forgery protection for every state-changing request, in one layer that a
//! new route cannot opt out of by forgetting: unsafe methods must come from our own pages
//! (Fetch Metadata, else Origin) and carry the session's token, in the `x-csrf-token` header or
//! the `csrf_token` field of a form.
//!
//! Page loads get the token put in the request for the renderer to embed in forms, except the
//! public pages, which carry nothing of their visitor (they are rendered once for everyone, see
//! `public_pages`): a visitor who only reads them starts no session. Scripts on such a page ask
//! for the token at [`CSRF_TOKEN_PATH`] before their first state-changing call. When a request
//! replaces the session's token (a sign-in does), its response carries the new one in
//! `x-csrf-token`, for the page's scripts to use from then on.
//!
//! The only requests without a token are to [`SignedRoute`]s, which a server (a webhook's
//! sender) signs instead: each names its path exactly and comes with the check of its
//! signature, which must pass before the request goes any further.

use std::sync::Arc;

use app::auth::{session::CSRF_TOKEN_KEY, CsrfToken, CSRF_FIELD, CSRF_TOKEN_PATH};
use axum::{
    body::{to_bytes, Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq as _;
use tower_sessions::Session;

use crate::public_pages::is_public_page;

const ANONYMOUS_IDLE: time::Duration = time::Duration::hours(24);
/// The header a changed token comes back in (and in which scripts send theirs).
const TOKEN_HEADER: &str = "x-csrf-token";

/// How a webhook's sender proves a request is theirs: a check of the signature it sends
/// (such as Stripe's `Stripe-Signature`) over the exact bytes of the body.
pub trait VerifySignature: Send + Sync {
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> bool;
}

/// A route exempt from the CSRF token because its requests are signed instead. There is no
/// way to make one without the check of its signature.
#[derive(Clone)]
pub struct SignedRoute {
    path: &'static str,
    verifier: Arc<dyn VerifySignature>,
    /// The largest body the route takes, when not the policy's.
    max_body_bytes: Option<usize>,
    /// The status a bad signature is answered with, when the sender specifies one.
    refused_with: Option<StatusCode>,
}

impl SignedRoute {
    pub fn new(path: &'static str, verifier: impl VerifySignature + 'static) -> Self {
        Self {
            path,
            verifier: Arc::new(verifier),
            max_body_bytes: None,
            refused_with: None,
        }
    }

    /// A route whose sender expects another status than 403 for a bad signature (Stripe: 400).
    pub fn refused_with(mut self, status: StatusCode) -> Self {
        self.refused_with = Some(status);
        self
    }

    /// A route whose bodies may be larger (or must be smaller) than other requests'.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.max_body_bytes = Some(bytes);
        self
    }
}

#[derive(Clone)]
pub struct CsrfPolicy {
    /// Our origin, such as `https://ops.example`, for the Origin check.
    pub origin: String,
    pub max_body_bytes: usize,
    /// The exempt routes, each by its exact path.
    pub signed_routes: Arc<[SignedRoute]>,
}

impl CsrfPolicy {
    fn signed_route(&self, path: &str) -> Option<&SignedRoute> {
        self.signed_routes.iter().find(|r| r.path == path)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    CrossSite,
    MissingToken,
    WrongToken,
    BadSignature,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let message = match self {
            Refusal::CrossSite => "This request came from another site and was refused.",
            Refusal::MissingToken | Refusal::WrongToken => {
                "This form has expired or is not from this site. Reload the page and try again."
            }
            Refusal::BadSignature => "This request's signature is missing or wrong.",
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
    let existing = session
        .get::<String>(CSRF_TOKEN_KEY)
        .await
        .map_err(session_failure)?;
    match existing {
        Some(t) => Ok(Some(t)),
        None if create => {
            // A visitor who has not signed in keeps this session for a day of inactivity at
            // most, so crawlers do not fill the store; signing in extends it.
            session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(ANONYMOUS_IDLE)));
            let token = app::auth::tokens::random_token();
            session
                .insert(CSRF_TOKEN_KEY, &token)
                .await
                .map_err(session_failure)?;
            Ok(Some(token))
        }
        None => Ok(None),
    }
}

/// A session that could not be read or written, answered as the application answers the same
/// failure (503 with `Retry-After` while the database is unavailable).
fn session_failure(e: tower_sessions::session::Error) -> Response {
    let error = app::error::AppError::from(e);
    let mut response = (error.status(), error.to_string()).into_response();
    if let Some(seconds) = error.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
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
    if path == CSRF_TOKEN_PATH && request.method() == Method::GET {
        return token(&session, request.headers(), &policy.origin).await;
    }
    if !is_unsafe(request.method()) {
        // A page load is where forms get their token: make sure the session has one.
        let gets_token = wants_html(request.headers()) && !is_public_page(path);
        let mut request = request;
        if gets_token {
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
    if let Some(route) = policy.signed_route(path) {
        let limit = route.max_body_bytes.unwrap_or(policy.max_body_bytes);
        return match verify_signed(route, request, limit).await {
            Ok(request) => next.run(request).await,
            Err(response) => response,
        };
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
        .get(TOKEN_HEADER)
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
        (None, true) => match read_body(request, policy.max_body_bytes).await {
            Ok((request, bytes)) => {
                let given = form_field(&bytes, CSRF_FIELD);
                (request, given)
            }
            Err(response) => return response,
        },
        (None, false) => (request, None),
    };
    let verdict = match (&expected, given) {
        (_, None) => Err(Refusal::MissingToken),
        (None, Some(_)) => Err(Refusal::WrongToken),
        (Some(e), Some(g)) if tokens_match(e, &g) => Ok(()),
        (Some(_), Some(_)) => Err(Refusal::WrongToken),
    };
    if let Err(refusal) = verdict {
        tracing::warn!(?refusal, "request without a valid CSRF token refused");
        return refusal.into_response();
    }
    let mut response = next.run(request).await;
    // The request replaced the token (a sign-in): the page learns the new one from the answer.
    match session_token(&session, false).await {
        Ok(Some(now)) if Some(&now) != expected.as_ref() => {
            if let Ok(value) = HeaderValue::from_str(&now) {
                response.headers_mut().insert(TOKEN_HEADER, value);
            }
        }
        Ok(_) => {}
        Err(error) => return error,
    }
    response
}

/// The session's token, for a page that was served without one ([`CSRF_TOKEN_PATH`]). Only our
/// own pages may ask (a cross-site script could not read the answer anyway), and the answer is
/// never stored.
async fn token(session: &Session, headers: &HeaderMap, origin: &str) -> Response {
    if let Err(refusal) = check_origin(headers, origin) {
        return refusal.into_response();
    }
    match session_token(session, true).await {
        Ok(Some(token)) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            token,
        )
            .into_response(),
        Ok(None) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Err(response) => response,
    }
}

/// A signed route's request, let through only if its signature verifies.
async fn verify_signed(
    route: &SignedRoute,
    request: Request,
    limit: usize,
) -> Result<Request, Response> {
    let (request, body) = read_body(request, limit).await?;
    if route.verifier.verify(request.headers(), &body) {
        Ok(request)
    } else {
        tracing::warn!(route = route.path, "request with a bad signature refused");
        let mut response = Refusal::BadSignature.into_response();
        if let Some(status) = route.refused_with {
            *response.status_mut() = status;
        }
        Err(response)
    }
}

/// The body, read whole within the limit, and the request with it put back.
async fn read_body(request: Request, limit: usize) -> Result<(Request, Bytes), Response> {
    let (parts, body) = request.into_parts();
    match to_bytes(body, limit).await {
        Ok(bytes) => Ok((Request::from_parts(parts, Body::from(bytes.clone())), bytes)),
        Err(_) => {
            tracing::warn!(limit, "a request body over the limit was refused");
            Err(StatusCode::PAYLOAD_TOO_LARGE.into_response())
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

    struct SharedSecret(&'static str);

    impl VerifySignature for SharedSecret {
        fn verify(&self, headers: &HeaderMap, _body: &[u8]) -> bool {
            headers.get("x-signature").is_some_and(|s| s == self.0)
        }
    }

    #[test]
    fn only_the_exact_paths_of_signed_routes_are_exempt() {
        let policy = CsrfPolicy {
            origin: "https://ops.example".into(),
            max_body_bytes: 1024,
            signed_routes: vec![SignedRoute::new("/webhooks/stripe", SharedSecret("s3cret"))]
                .into(),
        };
        assert!(policy.signed_route("/webhooks/stripe").is_some());
        for other in [
            "/webhooks/stripe/",
            "/webhooks/stripex",
            "/webhooks/",
            "/webhooks/other",
        ] {
            assert!(policy.signed_route(other).is_none(), "{other}");
        }
        let route = policy.signed_route("/webhooks/stripe").unwrap();
        assert!(route
            .verifier
            .verify(&headers(&[("x-signature", "s3cret")]), b"{}"));
        assert!(!route
            .verifier
            .verify(&headers(&[("x-signature", "guess")]), b"{}"));
        assert!(!route.verifier.verify(&headers(&[]), b"{}"));
    }

    #[tokio::test]
    async fn a_signed_route_lets_through_only_what_its_check_accepts() {
        let route = SignedRoute::new("/webhooks/stripe", SharedSecret("s3cret"));
        let request = |signature: Option<&str>| {
            let mut request = Request::post("/webhooks/stripe");
            if let Some(s) = signature {
                request = request.header("x-signature", s);
            }
            request.body(Body::from(r#"{"id":1}"#)).unwrap()
        };
        // The body the check saw is the one that goes on.
        let passed = verify_signed(&route, request(Some("s3cret")), 1024)
            .await
            .unwrap();
        let body = to_bytes(passed.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], br#"{"id":1}"#);
        for signature in [Some("guess"), None] {
            let refused = verify_signed(&route, request(signature), 1024)
                .await
                .unwrap_err();
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{signature:?}");
        }
        let too_big = verify_signed(&route, request(Some("s3cret")), 4)
            .await
            .unwrap_err();
        assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
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
