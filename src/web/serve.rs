//! The listener, with the two defences `axum::serve` lacks: a client must
//! send its request head within [`Limits::header_read_timeout`], and at most
//! [`Limits::max_connections`] connections are open at once (one more is
//! closed as soon as it is accepted). So slow clients cannot hold the
//! listener: each one is dropped after the timeout, and a flood of them
//! costs a bounded number of sockets and tasks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower_http::add_extension::AddExtension;

/// How the listener bounds its clients.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From accepting a connection (or finishing its last response) to
    /// the end of the next request's head.
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    /// Ten seconds is ample for a browser on a slow ward network; 1,024
    /// connections stay under the default open-files limit of a service.
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// Serves `router` until `stop` is cancelled, then lets the requests in
/// flight finish (for at most five seconds).
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, stop: CancellationToken) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!("connection refused: at the connection cap");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = AddExtension::new(router.clone(), ConnectInfo::<SocketAddr>(peer));
        let conn =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("web server: requests still open after 5 s; closing them");
    }
}

/// Out of file descriptors (or another passing failure): wait a moment
/// rather than spin, as `axum::serve` does.
async fn accept_failed(e: std::io::Error) {
    tracing::warn!(error = %e, "web server: accept failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
