//! Structured logs. Every line inside a request carries that request's id, and, once the server
//! function has declared its access, who asked (`user_id`), in which organisation (`org_id`) and
//! under which declaration (`access`); [`app::access`] records those on the request span.
//!
//! Nothing secret enters a span: query strings (which carry verification and reset tokens) are
//! never recorded, and path segments that are tokens (invitation links) are replaced.

use axum::{extract::Request, http, middleware::Next, response::Response};
use tracing::{field::Empty, Span};
use tracing_subscriber::{fmt, fmt::MakeWriter, EnvFilter};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    init_with_writer(format, std::io::stdout);
}

/// [`init`] writing to `writer`, so tests can read exactly what production logs.
pub fn init_with_writer<W>(format: LogFormat, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_writer(writer);
    // `try_init` so tests that start several servers in one process do not panic.
    let _ = match format {
        LogFormat::Json => builder
            .json()
            // The whole list: layers inside the request open spans of their own (the session
            // layer's `call`), and a line must still carry the request's fields.
            .with_current_span(true)
            .with_span_list(true)
            .flatten_event(true)
            .try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}

/// Paths whose next segment is a bearer token: logged with the token replaced.
const TOKEN_PATHS: [&str; 2] = ["/invite/", app::org::export::DOWNLOAD_PATH];

/// The path as it may be logged: without its query, and with any token segment replaced.
pub fn loggable_path(path: &str) -> String {
    for prefix in TOKEN_PATHS {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            return format!("{prefix}[token]{tail}");
        }
    }
    path.to_string()
}

/// The span every request's log lines belong to. `user_id`, `org_id` and `access` start empty
/// and are filled in by the access declaration of the server function that handles it.
pub fn request_span<B>(request: &http::Request<B>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
        access = Empty,
        user_id = Empty,
        org_id = Empty,
    )
}

/// The request's span, kept in the request's extensions: code running under spans that inner
/// layers open (the session layer opens one) records the caller on this one.
#[derive(Clone, Debug)]
pub struct RequestSpan(pub Span);

/// Placed directly inside the trace layer, where the current span is the request's.
pub async fn keep_request_span(mut request: Request, next: Next) -> Response {
    request
        .extensions_mut()
        .insert(RequestSpan(Span::current()));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn invitation_tokens_never_reach_the_log() {
        assert_eq!(loggable_path("/invite/s3cr3t-token"), "/invite/[token]");
        assert_eq!(loggable_path("/invite/s3cr3t/x"), "/invite/[token]/x");
        assert_eq!(loggable_path("/exports/s3cr3t"), "/exports/[token]");
        assert_eq!(loggable_path("/o/acme/issues"), "/o/acme/issues");
    }
}
