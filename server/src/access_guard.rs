//! The server's half of [`app::access`]: every server-function request starts undeclared, and a
//! function that finishes without declaring its access has its response replaced by an error.

use app::access::AccessDeclared;
use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Server functions live under this prefix.
pub const SERVER_FN_PREFIX: &str = "/api/";

/// Marks a refused undeclared function, so the registry test can tell it from other errors.
pub static UNDECLARED: HeaderName = HeaderName::from_static("x-access-undeclared");

pub async fn require_declared_access(mut request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(SERVER_FN_PREFIX) {
        return next.run(request).await;
    }
    let flag = AccessDeclared::default();
    request.extensions_mut().insert(flag.clone());
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    if flag.was_declared() {
        return response;
    }
    if response.status().is_success() || response.status().is_redirection() {
        tracing::error!(%path, "server function did not declare its access; response withheld");
    } else {
        // Usually arguments that did not decode, so the function never ran.
        tracing::warn!(%path, status = %response.status(), "server function refused before declaring its access");
    }
    let mut refused = (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side.",
    )
        .into_response();
    refused
        .headers_mut()
        .insert(UNDECLARED.clone(), HeaderValue::from_static("1"));
    refused
}
