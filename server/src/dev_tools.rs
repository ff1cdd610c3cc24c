//! Development pages (`/dev/…`), such as the mailbox, which shows every email the app would
//! have sent, password-reset links included. They exist only when switched on
//! (`OPS_DEV_MAILBOX`, development only) and then answer only a browser on this machine: anyone
//! else gets the 404 they would get for a page that does not exist. Their server functions
//! (`/api/dev/…`) make the same check themselves, after declaring their access like any other.

use std::net::SocketAddr;

use app::request::ClientAddr;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};

fn is_dev_path(path: &str) -> bool {
    path == "/dev" || path.starts_with("/dev/")
}

/// Both the address the request came from and, behind a trusted proxy, the client it names
/// must be this machine's.
fn from_this_machine(request: &Request) -> bool {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    let client = request.extensions().get::<ClientAddr>().map(|c| c.0);
    matches!((peer, client), (Some(p), Some(c)) if p.is_loopback() && c.is_loopback())
}

pub async fn only_when_enabled_and_local(
    State(enabled): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    if is_dev_path(request.uri().path()) && !(enabled && from_this_machine(&request)) {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_pages_are_everything_under_dev() {
        for path in ["/dev/mailbox", "/dev/mailbox/", "/dev"] {
            assert!(is_dev_path(path), "{path}");
        }
        for path in ["/", "/devices", "/api/auth/sign_in", "/o/dev/issues"] {
            assert!(!is_dev_path(path), "{path}");
        }
    }
}
