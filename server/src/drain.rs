//! Draining, the first part of stopping without dropping a request (`serve` has the rest). On
//! SIGTERM the server goes on serving for a while, but every answer says `Connection: close`
//! and `/readyz` fails, so the proxy in front keeps no connection idle and the instance's
//! kept-alive connections are gone before it stops accepting. Without the drain, a request sent
//! on an idle kept-alive connection at the moment it is closed is lost to the proxy, which
//! rightly does not retry a POST that may have arrived.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// Whether this instance is on its way out. Clones share it.
#[derive(Clone, Debug, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// While draining, each answer closes its connection after it.
pub async fn close_connections(
    State(draining): State<Draining>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if draining.is_draining() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
