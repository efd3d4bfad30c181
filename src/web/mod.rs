//! The HTTP side: one listener for metrics, health and the pages people read.

mod admin;
mod alerts;
mod api;
mod auth;
mod client;
pub mod csrf;
mod error;
mod feedback;
mod filters;
mod health;
mod known;
mod openapi;
mod page;
mod readiness;
pub mod serve;
mod site;
mod state;
mod status;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Redirect;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use readiness::Readiness;
pub use site::Site;
pub use state::AppState;

/// Builds the router over the shared application state.
/// `/api/openapi.json` as served, rendered from the config once at start.
pub fn openapi_json(config: &crate::config::Config) -> String {
    openapi::document(config).to_string()
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        // The status page is read in browsers like the form: same headers.
        .route(
            "/",
            get(status::page).layer(middleware::from_fn(page::security_headers)),
        )
        .route("/metrics", get(health::metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(feedback_routes(&state))
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

/// The staff form, triage pages and the JSON API: security headers and the
/// body limit on all of them, credentials on `/admin` and `/api/v1`.
fn feedback_routes(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let protected = Router::new()
        .route("/admin/feedback", get(admin::list))
        .route("/admin/feedback.csv", get(admin::export))
        .route("/admin/feedback/{id}", get(admin::detail))
        .route("/admin/feedback/{id}/status", post(admin::change_status))
        .route("/api/v1/feedback", get(api::list).post(api::create))
        .route("/api/v1/feedback/{id}", get(api::get))
        .route("/api/v1/feedback/{id}/transition", post(api::transition))
        .route(
            "/api/v1/known-issues",
            get(known::api::list).post(known::changes::create),
        )
        .route("/api/v1/known-issues/{id}", get(known::api::get))
        .route(
            "/api/v1/known-issues/{id}/status",
            post(known::changes::status),
        )
        .route(
            "/api/v1/known-issues/{id}/reports",
            post(known::changes::merge),
        )
        .route(
            "/admin/known",
            get(admin::known::list).post(admin::known::create),
        )
        .route("/admin/known/{id}", get(admin::known::detail))
        .route("/admin/known/{id}/status", post(admin::known::status))
        .route("/admin/known/{id}/reports", post(admin::known::merge))
        .route("/admin/duplicates", get(admin::duplicates::list))
        .route(
            "/admin/duplicates/not",
            post(admin::duplicates::not_duplicate),
        )
        .route("/admin/alerts", get(alerts::page::show))
        .route("/admin/alerts/silences", post(alerts::page::create))
        .route(
            "/admin/alerts/silences/{id}/expire",
            post(alerts::page::expire),
        )
        .route("/api/v1/alerts", get(alerts::api::list_alerts))
        .route(
            "/api/v1/silences",
            get(alerts::api::list_silences).post(alerts::api::create_silence),
        )
        .route(
            "/api/v1/silences/{id}",
            axum::routing::delete(alerts::api::expire_silence),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_admin,
        ));
    Router::new()
        .route("/feedback", get(feedback::form).post(feedback::submit))
        .route("/known", get(known::page))
        .route("/known/{id}/tap", post(known::tap))
        .route("/admin", get(|| async { Redirect::to("/admin/feedback") }))
        .route("/api/openapi.json", get(api::openapi))
        .merge(protected)
        .layer(RequestBodyLimitLayer::new(
            state.feedback.config().max_body_bytes,
        ))
        .layer(middleware::from_fn(page::security_headers))
}
