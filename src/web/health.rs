//! `/metrics`, `/healthz` (the process answers) and `/readyz` (the store
//! answers and the scheduler runs).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;

pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let store = tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await;
    let scheduler = state.scheduler_running.load(Ordering::Relaxed);
    match (store, scheduler) {
        (Ok(Ok(())), true) => (StatusCode::OK, "ready\n".to_string()),
        (Ok(Ok(())), false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: scheduler not running\n".into(),
        ),
        (Ok(Err(e)), _) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}\n")),
        (Err(_), _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: store did not answer within 2s\n".into(),
        ),
    }
}
