//! Stabilization: per clinic (and overall), the day since go-live, each
//! exit criterion's state, and the rollback triggers, judged from the store
//! every `evaluation_interval` by every replica (the same facts give the
//! same verdicts). Each round rewrites today's history rows and the
//! triggers' states; the built-in `rollback_decision_needed` alert reads
//! the latter. See `judge.rs` for the rules.

pub mod judge;
pub mod metrics;
pub mod scorecard;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;

pub use judge::Facts;
pub use metrics::{ALL, StabilizationMetrics};
pub use scorecard::{ClinicCard, CriterionState, Figures, Scorecard, State, TriggerState};

use crate::config::stabilization::{CriterionKind, StabilizationConfig, TriggerKind};
use crate::config::{Clinic, Config};
use crate::store::{DayRow, Store, StoreError, TriggerRow};

const DAY_MS: i64 = 86_400_000;

/// The parts of the config this room reads; replaced on reload.
#[derive(Debug, Clone)]
pub struct Setup {
    pub cfg: StabilizationConfig,
    pub clinics: Vec<Clinic>,
    pub checks: Vec<(String, String)>,
}

impl Setup {
    pub fn from_config(config: &Config) -> Setup {
        let mut checks = Vec::new();
        checks.extend(
            config
                .reconcile
                .iter()
                .map(|c| (c.name.to_string(), "reconcile".to_string())),
        );
        checks.extend(
            config
                .integrity
                .iter()
                .map(|c| (c.name.to_string(), "integrity".to_string())),
        );
        checks.extend(
            config
                .workflows
                .iter()
                .map(|c| (c.name.to_string(), "workflow".to_string())),
        );
        checks.extend(
            config
                .documents
                .iter()
                .map(|c| (c.name.to_string(), "documents".to_string())),
        );
        Setup {
            cfg: config.stabilization.clone(),
            clinics: config.clinics.clone(),
            checks,
        }
    }

    /// How far back a round reads runs.
    fn look_back_ms(&self) -> i64 {
        let days = self
            .cfg
            .criteria
            .iter()
            .map(|c| match c.kind {
                CriterionKind::NoDrift { days } => i64::from(days),
                _ => 1,
            })
            .max()
            .unwrap_or(1);
        let failing = self
            .cfg
            .rollback
            .iter()
            .map(|t| match t.kind {
                TriggerKind::WorkflowFailing { for_ } => {
                    2 * i64::try_from(for_.as_millis()).unwrap_or(DAY_MS)
                }
                _ => DAY_MS,
            })
            .max()
            .unwrap_or(DAY_MS);
        ((days + 1) * DAY_MS).max(failing)
    }
}

pub struct Stabilization {
    store: Store,
    setup: RwLock<Arc<Setup>>,
    metrics: Option<StabilizationMetrics>,
    /// The latest round's scorecard, for the status page (a wall screen
    /// refreshing every 30 s should not re-read days of runs each time).
    last: RwLock<Option<Arc<Scorecard>>>,
}

impl Stabilization {
    pub fn new(store: Store, config: &Config, registry: &prometheus::Registry) -> Stabilization {
        let metrics = StabilizationMetrics::new(registry)
            .map_err(|e| tracing::error!(error = %e, "stabilization metrics not registered"))
            .ok();
        if let Some(m) = &metrics {
            for d in &config.digests {
                m.digest_known(d.name.as_str());
            }
        }
        Stabilization {
            store,
            setup: RwLock::new(Arc::new(Setup::from_config(config))),
            metrics,
            last: RwLock::new(None),
        }
    }

    pub fn setup(&self) -> Arc<Setup> {
        self.setup
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    pub fn reload(&self, config: &Config) {
        if let Ok(mut s) = self.setup.write() {
            *s = Arc::new(Setup::from_config(config));
        }
    }

    pub fn metrics(&self) -> Option<&StabilizationMetrics> {
        self.metrics.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Reads what a round judges.
    pub async fn facts(&self, setup: &Setup, now_ms: i64) -> Result<Facts, StoreError> {
        let since = judge::day_start_ms(judge::today(now_ms)) - setup.look_back_ms();
        let runs = self.store.runs_finished_since(since).await?;
        let base_from = setup
            .cfg
            .waves
            .iter()
            .map(|w| judge::day_start_ms(w.go_live) - i64::from(w.baseline_days) * DAY_MS)
            .min();
        let base_to = setup
            .cfg
            .waves
            .iter()
            .map(|w| judge::day_start_ms(w.go_live))
            .max();
        let baseline_runs = match (base_from, base_to) {
            (Some(f), Some(t)) => self.store.workflow_runs_between(f, t).await?,
            _ => Vec::new(),
        };
        let open = self.store.open_reports().await?;
        let page_alerts = self
            .store
            .alert_instances()
            .await?
            .into_iter()
            .filter(|a| a.state == "firing")
            .filter_map(|a| serde_json::from_str::<BTreeMap<String, String>>(&a.labels).ok())
            .filter(|l| l.get("severity").map(String::as_str) == Some("critical"))
            // The rollback alert is a consequence, not a criterion of its own.
            .filter(|l| l.get("alertname").map(String::as_str) != Some(ROLLBACK_ALERT))
            .collect();
        Ok(Facts {
            now_ms,
            runs,
            baseline_runs,
            checks: setup.checks.clone(),
            open,
            page_alerts,
        })
    }

    /// The scorecard now, from the store.
    pub async fn scorecard(&self, now_ms: i64) -> Result<Scorecard, StoreError> {
        let setup = self.setup();
        let facts = self.facts(&setup, now_ms).await?;
        Ok(judge::scorecard(&setup.cfg, &setup.clinics, &facts))
    }

    /// One round: judge, record today's history and the triggers, show gauges.
    pub async fn round(&self, now_ms: i64) -> Result<Scorecard, StoreError> {
        let s = self.scorecard(now_ms).await?;
        let day = judge::today(now_ms).to_string();
        let mut rows = Vec::new();
        for c in &s.clinics {
            for cr in &c.criteria {
                rows.push(day_row(&c.clinic, &day, &c.wave, cr, now_ms));
            }
        }
        for cr in &s.overall {
            rows.push(day_row(ALL, &day, "", cr, now_ms));
        }
        self.store.save_days(&rows).await?;
        let triggers: Vec<TriggerRow> = s
            .clinics
            .iter()
            .flat_map(|c| {
                c.triggers.iter().map(|t| TriggerRow {
                    clinic: c.clinic.clone(),
                    trigger: t.name.clone(),
                    breached: t.breached,
                    value: t.value,
                    evidence: t.evidence.clone(),
                    updated_ms: now_ms,
                })
            })
            .collect();
        self.store.save_triggers(&triggers).await?;
        if let Some(m) = &self.metrics {
            m.show(&s);
        }
        if let Ok(mut last) = self.last.write() {
            *last = Some(Arc::new(s.clone()));
        }
        Ok(s)
    }

    /// The latest round's scorecard if it is at most two evaluation
    /// intervals old, else a fresh one from the store.
    pub async fn current(&self, now_ms: i64) -> Result<Arc<Scorecard>, StoreError> {
        let max_age = 2 * i64::try_from(self.setup().cfg.evaluation_interval.as_millis())
            .unwrap_or(i64::MAX / 4);
        let cached = self.last.read().ok().and_then(|l| l.clone());
        match cached {
            Some(s) if now_ms - s.at_ms <= max_age => Ok(s),
            _ => Ok(Arc::new(self.scorecard(now_ms).await?)),
        }
    }

    /// Per clinic (and `_all`), per day from `days` ago: criteria met and judged.
    pub async fn trend(
        &self,
        now_ms: i64,
        days: i64,
    ) -> Result<BTreeMap<String, Vec<(String, u32, u32)>>, StoreError> {
        let from = (judge::today(now_ms) - chrono::Duration::days(days - 1)).to_string();
        let mut out: BTreeMap<String, BTreeMap<String, (u32, u32)>> = BTreeMap::new();
        for r in self.store.days_since(&from).await? {
            let e = out.entry(r.clinic).or_default().entry(r.day).or_default();
            e.1 += 1;
            if r.state == "met" {
                e.0 += 1;
            }
        }
        Ok(out
            .into_iter()
            .map(|(c, days)| (c, days.into_iter().map(|(d, (m, n))| (d, m, n)).collect()))
            .collect())
    }

    /// Rounds until cancelled.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        loop {
            let setup = self.setup();
            if !setup.cfg.is_empty()
                && let Err(e) = self.round(chrono::Utc::now().timestamp_millis()).await
            {
                tracing::warn!(error = %e, "stabilization round skipped");
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(setup.cfg.evaluation_interval) => {}
            }
        }
    }
}

/// The built-in page-level alert raised by a breached rollback trigger.
pub const ROLLBACK_ALERT: &str = "rollback_decision_needed";

fn day_row(clinic: &str, day: &str, wave: &str, c: &CriterionState, now_ms: i64) -> DayRow {
    DayRow {
        clinic: clinic.to_string(),
        day: day.to_string(),
        criterion: c.name.clone(),
        wave: wave.to_string(),
        state: c.state.as_str().to_string(),
        value: c.value,
        detail: c.detail.clone(),
        updated_ms: now_ms,
    }
}

#[cfg(test)]
mod tests;
