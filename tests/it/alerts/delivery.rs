//! The outbox retries what may succeed later and gives up at once on what
//! never will: a receiver that rejects the request (HTTP 400) is tried once,
//! one that is busy (HTTP 503) is tried again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use hypercare::notify::Notify;
use hypercare::store::{NewOutbox, Store};

use super::{config, drifting_source, port};
use crate::helpers::write_config;

/// A receiver answering `/bad` with 400 and `/busy` with 503, counting posts.
async fn refusing_receiver() -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let (bad, busy) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (b, u) = (bad.clone(), busy.clone());
    let app = axum::Router::new()
        .route(
            "/bad",
            axum::routing::post(move || async move {
                b.fetch_add(1, Ordering::SeqCst);
                StatusCode::BAD_REQUEST
            }),
        )
        .route(
            "/busy",
            axum::routing::post(move || async move {
                u.fetch_add(1, Ordering::SeqCst);
                StatusCode::SERVICE_UNAVAILABLE
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, bad, busy)
}

#[tokio::test]
async fn a_rejected_webhook_is_given_up_at_once_and_a_busy_one_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let (hook, bad, busy) = refusing_receiver().await;
    let source = drifting_source(dir.path()).await;
    let store_url = format!("sqlite://{}/store.db", dir.path().display());
    let notifiers = format!(
        "[notifiers.bad]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{hook}/bad\"\n\
         [notifiers.busy]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{hook}/busy\"\n"
    );
    let text = config(port(), &store_url, &source, "one", "\"bad\"", &notifiers);
    let cfg = hypercare::config::load(&write_config(dir.path(), &text)).unwrap();
    let store = Store::open(&cfg.store).await.unwrap();
    let notify = Notify::new(
        store.clone(),
        &cfg,
        "one".into(),
        &prometheus::Registry::new(),
    );
    let now = chrono::Utc::now().timestamp_millis();
    for channel in ["webhook:bad", "webhook:busy"] {
        let queued = store
            .enqueue(&NewOutbox {
                channel,
                idempotency_key: channel,
                ordering_key: "",
                payload: "{\"status\":\"firing\"}",
                created_ms: now,
            })
            .await
            .unwrap();
        assert!(queued);
    }

    assert_eq!(notify.deliver_due(now).await, 2);

    let rejected = &store.outbox_rows("webhook:bad").await.unwrap()[0];
    assert!(rejected.failed_ms.is_some(), "{rejected:?}");
    assert_eq!(rejected.attempts, 1);
    assert_eq!(rejected.last_error, "answered HTTP 400");
    let waiting = &store.outbox_rows("webhook:busy").await.unwrap()[0];
    assert_eq!(waiting.failed_ms, None, "{waiting:?}");
    assert!(waiting.next_attempt_ms > now, "{waiting:?}");
    // The next pass past the backoff tries the busy one again, never the rejected one.
    let later = waiting.next_attempt_ms + 1;
    assert_eq!(notify.deliver_due(later).await, 1);
    assert_eq!(bad.load(Ordering::SeqCst), 1);
    assert_eq!(busy.load(Ordering::SeqCst), 2);
}
