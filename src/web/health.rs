//! `/metrics`, `/healthz` (the process answers) and `/readyz` (the store
//! answers, the scheduler runs and no background loop has died).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::state::AppState;

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
    match (store, state.readiness.problem()) {
        (Ok(Ok(())), None) => (StatusCode::OK, "ready\n".to_string()),
        (Ok(Ok(())), Some(why)) => (StatusCode::SERVICE_UNAVAILABLE, why),
        (Ok(Err(e)), _) => {
            // The store's error can name hosts and users: logged, not shown.
            tracing::warn!(error = %e, "readyz: store unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: store unavailable\n".into(),
            )
        }
        (Err(_), _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: store did not answer within 2s\n".into(),
        ),
    }
}
