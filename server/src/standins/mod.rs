//! Local stand-ins for the outside services, one module each, speaking the real services' wire
//! formats: each checks the requests it gets as the service would and answers in the service's
//! own response and error shapes. The Rust tests start them in-process; the deploy check runs
//! them as the `standins` binary (`server/src/bin/standins.rs`). Nothing in production uses them.

pub mod places;
pub mod sendgrid;

/// Serves a stand-in's routes on `addr` (port 0: any free port) for the life of the process;
/// the address it listens on.
pub(crate) async fn listen(
    routes: axum::Router,
    addr: std::net::SocketAddr,
) -> std::io::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, routes).await;
    });
    Ok(addr)
}
