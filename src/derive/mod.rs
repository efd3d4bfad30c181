//! Derived state: everything computed from the store rather than from a
//! run in this process, in one place, so every replica shows the same
//! figures whichever replica ran the checks.
//!
//! - [`gauges`]: the result gauges (latest outcome, last run and success,
//!   group counts, keyed-diff figures) of every configured check;
//! - [`slo`]: workflow SLO burn rates and baseline ratios;
//! - [`scorecard`]: the clinic scorecard (exit criteria, rollback
//!   triggers, figures) that stabilization records and the status page and
//!   digests show;
//! - [`burn`]: the one burn rate and the one quantile, pure; [`percent`]:
//!   the one way a share is written for people.
//!
//! Each gauge has one writer: the [`run`] loop, started by `app`, which
//! refreshes them every `every` and as soon as the scheduler says a run
//! finished. The scheduler only counts its own runs.

pub mod burn;
mod gauges;
pub mod history;
pub mod scorecard;
pub mod slo;
pub mod staff;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::config::checks::{self, CheckMeta};
use crate::config::workflows::WorkflowConfig;
use crate::metrics::Metrics;
use crate::store::Store;

pub use burn::{WINDOWS, burn_rate, burn_rates, quantile};
pub use history::History;
pub use slo::{BaselineReport, baseline_report};

/// A share (0 to 1) as people read it: one decimal, two between 99 % and
/// 100 % (where 99.9 % and 99.99 % differ a lot for a clinic).
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (99.0..100.0).contains(&p) {
        format!("{p:.2} %")
    } else {
        format!("{p:.1} %")
    }
}

/// What the derived figures are about; replaced on reload.
struct Setup {
    checks: Vec<CheckMeta>,
    /// Configured clinic ids: the per-clinic gauges' label values.
    clinics: Vec<String>,
    workflows: Vec<WorkflowConfig>,
}

impl Setup {
    fn from_config(config: &Config) -> Setup {
        Setup {
            checks: checks::checks(config),
            clinics: config.clinics.iter().map(|c| c.id.to_string()).collect(),
            workflows: config.workflows.clone(),
        }
    }
}

/// The derived gauges and what they are read from.
pub struct Derive {
    store: Store,
    metrics: Arc<Metrics>,
    setup: RwLock<Arc<Setup>>,
    /// Workflow SLO samples read from the store so far.
    history: history::History,
}

impl Derive {
    pub fn new(store: Store, metrics: Arc<Metrics>, config: &Config) -> Derive {
        let setup = Setup::from_config(config);
        metrics.reset_gauges(&setup.checks);
        metrics.set_clinics(&setup.clinics);
        Derive {
            store,
            metrics,
            setup: RwLock::new(Arc::new(setup)),
            history: history::History::default(),
        }
    }

    fn setup(&self) -> Arc<Setup> {
        self.setup
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Takes a reloaded config: clears the per-check gauges, which the next
    /// refresh fills for the new checks.
    pub fn reload(&self, config: &Config) {
        let setup = Arc::new(Setup::from_config(config));
        self.metrics.reset_gauges(&setup.checks);
        self.metrics.set_clinics(&setup.clinics);
        match self.setup.write() {
            Ok(mut s) => *s = setup,
            Err(e) => *e.into_inner() = setup,
        }
    }

    /// Reads the store once and sets every derived gauge.
    pub async fn refresh(&self, now: DateTime<Utc>) {
        let setup = self.setup();
        gauges::refresh(&self.store, &self.metrics, &setup.checks).await;
        slo::refresh(
            &self.store,
            &self.metrics,
            &self.history,
            &setup.workflows,
            now,
        )
        .await;
    }
}

/// Refreshes the derived gauges every `every`, and at once when `finished`
/// is notified (a run was stored), until cancelled.
pub async fn run(
    derive: Arc<Derive>,
    every: Duration,
    finished: Arc<Notify>,
    cancel: CancellationToken,
) {
    loop {
        derive.refresh(Utc::now()).await;
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = finished.notified() => {}
            _ = tokio::time::sleep(every) => {}
        }
    }
}
