//! Slow clients: each must send its request head within the header-read
//! timeout, and the listener holds a bounded number of connections, so a
//! crowd of slow clients neither wedges nor exhausts it.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use hypercare::web::serve::{Limits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::healthz_latency;
use crate::helpers::write_config;

/// Opens a connection and sends half a request head, then nothing.
async fn slow_client(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: hc\r\nX-Slow: ")
        .await
        .expect("write");
    s
}

/// How long until the server closes the connection (`None`: not within `limit`).
async fn closed_within(mut s: TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(limit.saturating_sub(start.elapsed()), s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {} // a 408 before the close
        }
    }
}

#[tokio::test]
async fn past_the_cap_a_connection_is_closed_at_once_and_slow_ones_after_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let stop = CancellationToken::new();
    let limits = Limits {
        header_read_timeout: Duration::from_secs(1),
        max_connections: 8,
    };
    let router = Router::new().route("/healthz", get(|| async { "ok\n" }));
    let server = tokio::spawn(serve(listener, router, limits, stop.clone()));
    let mut slow = Vec::new();
    for _ in 0..8 {
        slow.push(slow_client(&addr).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ninth = slow_client(&addr).await;
    let refused = closed_within(ninth, Duration::from_millis(500)).await;
    assert!(refused.is_some(), "the ninth connection is closed at once");
    let shed = futures_util::future::join_all(
        slow.into_iter()
            .map(|s| closed_within(s, Duration::from_secs(3))),
    )
    .await;
    for t in &shed {
        let t = t.expect("a slow client is dropped after the header-read timeout");
        assert!(
            t >= Duration::from_millis(800),
            "not before the timeout: {t:?}"
        );
    }
    let ok = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert!(ok.status().is_success(), "the listener serves again");
    stop.cancel();
    server.await.unwrap();
}

#[tokio::test]
async fn a_thousand_slow_clients_do_not_hold_the_listener() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let path = write_config(
        dir.path(),
        &format!("[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"sqlite://{d}/store.db\"\n"),
    );
    let app = hypercare::app::Application::build(hypercare::config::load(&path).unwrap())
        .await
        .unwrap();
    let addr = app.local_addr().to_string();
    let shutdown = CancellationToken::new();
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    let running = tokio::spawn(app.run(shutdown.clone(), rx));
    let opened = Instant::now();
    let mut slow = Vec::with_capacity(1000);
    for _ in 0..1000 {
        slow.push(slow_client(&addr).await);
    }
    let opening = opened.elapsed();
    let probe = tokio::spawn(healthz_latency(
        format!("http://{addr}"),
        Duration::from_secs(5),
    ));
    let timeout = Limits::default().header_read_timeout;
    let shed = futures_util::future::join_all(
        slow.into_iter()
            .map(|s| closed_within(s, timeout + Duration::from_secs(5))),
    )
    .await;
    let last = shed
        .iter()
        .map(|t| t.expect("every slow client is dropped"))
        .max()
        .unwrap();
    let worst = probe.await.unwrap();
    assert!(worst < Duration::from_secs(1), "healthz took {worst:?}");
    assert!(
        last <= timeout + Duration::from_secs(3),
        "last dropped after {last:?}"
    );
    eprintln!(
        "fault 1000 slow clients: opened in {opening:?}, healthz worst {worst:?}, \
         all dropped within {last:?} (header-read timeout {timeout:?})"
    );
    shutdown.cancel();
    running.await.unwrap().unwrap();
}
