//! The HTTP side: one listener for metrics, health and the pages people read.

mod health;
mod status;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use std::sync::atomic::AtomicBool;

use tokio::sync::watch;

use crate::metrics::Metrics;
use crate::scheduler::CheckSet;
use crate::store::Store;

/// What the web handlers read: the store, the metrics, the active checks.
pub struct AppState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub checks: watch::Receiver<CheckSet>,
    /// False until the scheduler runs and again once shutdown begins (`/readyz`).
    pub scheduler_running: AtomicBool,
}

/// Builds the router over the shared application state.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(status::page))
        .route("/metrics", get(health::metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                // Name the span by the matched route, never the raw path (it could carry identifiers).
                let route = req
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or("unmatched", |p| p.as_str())
                    .to_string();
                tracing::debug_span!("http", method = %req.method(), route)
            }),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .with_state(state)
}
