//! How large a request body may be: [`BodyLimits::default_bytes`] (`OPS_MAX_BODY_BYTES`) for
//! every request but the webhooks', each of which names its own (the inbound mail webhook takes
//! whole emails). A declared length over the limit is answered 413 at once, before any other
//! layer reads anything; a body that turns out longer stops at the limit and is answered 413 by
//! whatever reads it.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

#[derive(Clone, Debug)]
pub struct BodyLimits {
    pub default_bytes: usize,
    /// Exact paths with a limit of their own.
    pub routes: Arc<[(&'static str, usize)]>,
}

impl BodyLimits {
    pub fn for_path(&self, path: &str) -> usize {
        self.routes
            .iter()
            .find(|(p, _)| *p == path)
            .map_or(self.default_bytes, |(_, limit)| *limit)
    }
}

pub async fn limit_bodies(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    let limit = limits.for_path(request.uri().path());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        tracing::warn!(limit, declared, "a request body over the limit was refused");
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response();
    }
    let (parts, body) = request.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_of_its_own_has_its_own_limit_and_only_that_exact_path() {
        let limits = BodyLimits {
            default_bytes: 10,
            routes: Arc::new([("/webhooks/sendgrid/inbound", 100)]),
        };
        assert_eq!(limits.for_path("/webhooks/sendgrid/inbound"), 100);
        assert_eq!(limits.for_path("/webhooks/sendgrid/inbound/"), 10);
        assert_eq!(limits.for_path("/api/work/issues"), 10);
    }
}
