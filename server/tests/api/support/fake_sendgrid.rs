//! SendGrid's stand-in (`server::standins::sendgrid`), started in-process for a test.

use std::net::SocketAddr;

pub use server::standins::sendgrid::Options;
pub use server::standins::sendgrid::SendGrid as FakeSendGrid;

pub const API_KEY: &str = "test-sendgrid-key";

/// Starts SendGrid's stand-in on a free port, failing the first `outage` requests with 503.
pub async fn start(outage: usize) -> (FakeSendGrid, SocketAddr) {
    start_with(Options {
        outage,
        ..Options::default()
    })
    .await
}

/// Starts SendGrid's stand-in with these options (and the tests' key).
pub async fn start_with(options: Options) -> (FakeSendGrid, SocketAddr) {
    let options = Options {
        key: API_KEY.into(),
        ..options
    };
    FakeSendGrid::start(options, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("a free port")
}
