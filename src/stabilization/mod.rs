//! Stabilization rounds: every `evaluation_interval`, every replica judges
//! the clinic scorecard from the store (the same facts give the same
//! verdicts; see `derive::scorecard`), rewrites today's history rows and the
//! rollback triggers' states (which the built-in `rollback_decision_needed`
//! alert reads), and shows the stabilization gauges.

pub mod metrics;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

pub use metrics::StabilizationMetrics;

use crate::derive::scorecard::{ALL, CriterionState, Scorecard, Scorecards, today};
use crate::store::{DayRow, StoreError, TriggerRow};

pub struct Stabilization {
    cards: Arc<Scorecards>,
    metrics: Option<StabilizationMetrics>,
}

impl Stabilization {
    pub fn new(cards: Arc<Scorecards>, registry: &prometheus::Registry) -> Stabilization {
        let metrics = StabilizationMetrics::new(registry)
            .map_err(|e| tracing::error!(error = %e, "stabilization metrics not registered"))
            .ok();
        Stabilization { cards, metrics }
    }

    /// One round: judge, record today's history and the triggers, show gauges.
    pub async fn round(&self, now_ms: i64) -> Result<Scorecard, StoreError> {
        let s = self.cards.scorecard(now_ms).await?;
        let store = self.cards.store();
        let day = today(now_ms).to_string();
        let mut rows = Vec::new();
        for c in &s.clinics {
            for cr in &c.criteria {
                rows.push(day_row(&c.clinic, &day, &c.wave, cr, now_ms));
            }
        }
        for cr in &s.overall {
            rows.push(day_row(ALL, &day, "", cr, now_ms));
        }
        store.save_days(&rows).await?;
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
        store.save_triggers(&triggers).await?;
        if let Some(m) = &self.metrics {
            m.show(&s);
        }
        self.cards.remember(s.clone());
        Ok(s)
    }

    /// Rounds until cancelled.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        loop {
            let setup = self.cards.setup();
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
