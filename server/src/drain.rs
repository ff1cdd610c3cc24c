//! Stopping without dropping a request. On SIGTERM the server first drains: it still serves,
//! but every answer says `Connection: close` and `/readyz` fails, so the proxy in front stops
//! reusing its kept-alive connections and sends new requests to the other instances. Only then
//! does it stop accepting connections and finish what is in flight. Without the drain, a request
//! sent on an idle kept-alive connection at the moment it is closed is lost to the proxy, which
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
