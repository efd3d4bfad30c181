//! What every handler reads: the rooms the web shows, shared behind one
//! `Arc` and built once by `app`.

use std::sync::Arc;

use tokio::sync::watch;

use super::readiness::Readiness;
use super::site::Site;
use crate::config::checks::CheckMeta;
use crate::feedback::Feedback;
use crate::metrics::Metrics;
use crate::store::Store;

/// What the web handlers read: the store, the metrics, the configured checks.
pub struct AppState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// The configured checks (from config; replaced on reload).
    pub checks: watch::Receiver<Arc<Vec<CheckMeta>>>,
    /// Whether the scheduler runs and every loop lives (`/readyz`).
    pub readiness: Arc<Readiness>,
    /// Staff feedback: the form, triage and the API read and write through it.
    pub feedback: Arc<Feedback>,
    /// CSRF key, admin credentials, rate limits, the OpenAPI document.
    pub site: Arc<Site>,
    /// Alert instances and silences (status page, admin, API).
    pub alerts: Arc<crate::alerts::Alerts>,
    /// The clinic scorecard (status page).
    pub scorecards: Arc<crate::derive::scorecard::Scorecards>,
    pub digests: Arc<crate::digest::Digests>,
}
