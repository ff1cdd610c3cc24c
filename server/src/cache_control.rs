//! What caches may keep. Pages behind sign-in (the organisation and account pages, and the
//! invitation and development pages, which carry tokens) and every server function's answer
//! hold one person's data, so no cache, the browser's own included, may store them: a shared
//! computer's back button or a proxy must not show them to the next person. Public pages may be
//! kept, as long as they are checked again before use.

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// Path prefixes whose answers are never stored; each covers the path itself and all below it.
const PRIVATE: [&str; 6] = [
    "/o",
    "/account",
    "/invite",
    "/dev",
    "/api",
    "/notifications",
];

fn is_private(path: &str) -> bool {
    PRIVATE.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

pub async fn cache_control(request: Request, next: Next) -> Response {
    let private = is_private(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_guard::SERVER_FN_PREFIX;

    #[test]
    fn pages_behind_sign_in_and_server_functions_are_private() {
        for path in [
            "/o",
            "/o/",
            "/o/alpha/issues/3",
            "/account",
            "/account/sessions",
            "/invite/abc",
            "/dev/mailbox",
            "/api/auth/current_user",
        ] {
            assert!(is_private(path), "{path}");
        }
        assert!(is_private(&format!("{SERVER_FN_PREFIX}any_function")));
        for path in [
            "/",
            "/pricing",
            "/security",
            "/sign-in",
            "/overview",
            "/accounts",
            "/pkg/x.js",
        ] {
            assert!(!is_private(path), "{path}");
        }
    }
}
