//! The accept loop, and a stop that loses no request.
//!
//! On the shutdown signal the server first drains (see [`crate::drain`]): it still accepts and
//! serves, but every answer closes its connection, so the proxy in front opens a fresh one for
//! each request and keeps none idle. Then it stops accepting, in an order that drops nothing a
//! proxy may already have sent:
//!
//! 1. It accepts every connection still waiting in the listen queue before it closes the
//!    socket. The kernel completed those handshakes, so the proxy has sent its request on them;
//!    closing the socket with them queued would reset each one, and a proxy rightly does not
//!    retry a POST on a reset connection. A connection attempted after the close is refused
//!    instead, which the proxy does retry on another instance.
//! 2. It gives every open connection a moment ([`SETTLE`]) to deliver its request and be
//!    answered. A just-accepted connection whose request bytes are still in flight looks idle;
//!    closing it at once would drop that request.
//! 3. Only then does it close the connections that are idle, and give requests in flight the
//!    grace period before it stops regardless.
//!
//! Without a drain (no proxy in front: development, tests), steps 2 and the drain are skipped.

use std::{convert::Infallible, future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{extract::ConnectInfo, http::Request, response::Response, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::{TcpListener, TcpStream},
};
use tokio_rustls::TlsAcceptor;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::ServiceExt;

use crate::drain::Draining;

/// How long open connections may go on by themselves once the server stops accepting.
pub const SETTLE: Duration = Duration::from_secs(1);
/// A client that has not finished its TLS handshake in this time is dropped.
const TLS_HANDSHAKE: Duration = Duration::from_secs(10);
/// After an error that is the server's (out of file descriptors), accepting pauses this long.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// How the server stops: how long it drains, and how long requests in flight may then take.
#[derive(Clone, Copy, Debug)]
pub struct Stop {
    pub drain: Duration,
    pub grace: Duration,
}

/// Serves `router` on `listener` until `signal` resolves, then stops as the module describes.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: Router,
    draining: Draining,
    stop: Stop,
    signal: impl Future<Output = ()>,
) -> io::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    let connections = Connections::new(tls, router);
    let stopping = async {
        signal.await;
        if !stop.drain.is_zero() {
            tracing::info!(
                seconds = stop.drain.as_secs(),
                "shutting down: draining connections"
            );
            draining.start();
            tokio::time::sleep(stop.drain).await;
        }
    };
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            biased;
            () = &mut stopping => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => connections.serve(stream, peer),
                Err(e) if is_the_clients(&e) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }

    // 1. What the kernel already accepted is served; then the socket closes.
    let listener = listener.into_std()?;
    loop {
        match listener.accept() {
            Ok((stream, peer)) => match stream
                .set_nonblocking(true)
                .and_then(|()| TcpStream::from_std(stream))
            {
                Ok(stream) => connections.serve(stream, peer),
                Err(e) => tracing::warn!(error = %e, "cannot take a queued connection"),
            },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if is_the_clients(&e) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot take a queued connection");
                break;
            }
        }
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    connections.finish(stop).await;
    Ok(())
}

/// Accept errors that concern one connection only (it was reset before it was taken).
fn is_the_clients(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

/// The open connections: each served on a task of its own, all told at once to close when idle.
struct Connections {
    tasks: TaskTracker,
    close_idle: CancellationToken,
    tls: Option<TlsAcceptor>,
    router: Router,
    http: Arc<auto::Builder<TokioExecutor>>,
}

impl Connections {
    fn new(tls: Option<Arc<rustls::ServerConfig>>, router: Router) -> Self {
        let mut http = auto::Builder::new(TokioExecutor::new());
        // With a timer, HTTP/1 connections that take over 30 s to send their headers are
        // closed (hyper's default), and HTTP/2 keep-alive works.
        http.http1().timer(TokioTimer::new());
        http.http2().timer(TokioTimer::new());
        Self {
            tasks: TaskTracker::new(),
            close_idle: CancellationToken::new(),
            tls: tls.map(TlsAcceptor::from),
            router,
            http: Arc::new(http),
        }
    }

    fn serve(&self, stream: TcpStream, peer: SocketAddr) {
        // Answers are small and go out whole: no waiting to fill a segment.
        let _ = stream.set_nodelay(true);
        let service = self
            .router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let (tls, http, close_idle) =
            (self.tls.clone(), self.http.clone(), self.close_idle.clone());
        self.tasks.spawn(async move {
            match tls {
                None => serve_connection(&http, TokioIo::new(stream), service, close_idle).await,
                Some(tls) => {
                    // A failed or abandoned handshake is the client's affair.
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(TLS_HANDSHAKE, tls.accept(stream)).await
                    {
                        serve_connection(&http, TokioIo::new(stream), service, close_idle).await;
                    }
                }
            }
        });
    }

    /// Steps 2 and 3 of the module's stop.
    async fn finish(self, stop: Stop) {
        self.tasks.close();
        if !stop.drain.is_zero() {
            let _ = tokio::time::timeout(SETTLE.min(stop.grace), self.tasks.wait()).await;
        }
        self.close_idle.cancel();
        if tokio::time::timeout(stop.grace, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                connections = self.tasks.len(),
                "the grace period is over: stopping with requests in flight"
            );
        }
    }
}

async fn serve_connection<I, S>(
    http: &auto::Builder<TokioExecutor>,
    io: TokioIo<I>,
    service: S,
    close_idle: CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<Request<Incoming>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let connection = http.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
    tokio::pin!(connection);
    tokio::select! {
        // A connection's own errors (the client went away) are the client's affair.
        _ = connection.as_mut() => return,
        () = close_idle.cancelled() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}
