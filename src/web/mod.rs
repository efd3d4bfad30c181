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

use crate::app::AppState;

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
