//! `/metrics`, `/healthz` (the process answers) and `/readyz` (the store
//! answers, the scheduler runs and no background loop has died).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;

/// What `/readyz` knows of the process besides the store: written by the
/// application's supervisor, read by every request.
#[derive(Debug, Default)]
pub struct Readiness {
    /// False until the scheduler runs and again once shutdown begins.
    scheduling: AtomicBool,
    /// Loops that died (returned early or panicked), by name.
    dead: Mutex<Vec<&'static str>>,
}

impl Readiness {
    pub fn set_scheduling(&self, on: bool) {
        self.scheduling.store(on, Ordering::Relaxed);
    }

    pub fn loop_died(&self, name: &'static str) {
        if let Ok(mut dead) = self.dead.lock()
            && !dead.contains(&name)
        {
            dead.push(name);
        }
    }

    /// The loops that died, in the order they died.
    pub fn dead(&self) -> Vec<&'static str> {
        self.dead.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Why the process is not ready, if it is not (the store aside).
    fn problem(&self) -> Option<String> {
        let dead = self.dead();
        if !dead.is_empty() {
            return Some(format!("not ready: the {} loop stopped\n", dead.join(", ")));
        }
        (!self.scheduling.load(Ordering::Relaxed))
            .then(|| "not ready: scheduler not running\n".to_string())
    }
}

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
