//! Workflow SLOs and baselines, derived from stored runs: error-budget
//! burn rates over the SRE workbook's windows, and the target's p50/p95
//! latency against the baseline's (live runs or fixed pre-go-live figures).
//! It reads history and sets gauges, so every replica shows the same
//! figures whichever ran the probes. The arithmetic is in [`super::burn`].

use chrono::{DateTime, Utc};

use super::burn::{burn_rates, quantile};
use super::history::History;
use crate::config::checks::CheckKind;
use crate::config::workflows::{Baseline, WorkflowConfig};
use crate::metrics::Metrics;
use crate::metrics::workflows::{BASELINE, TARGET};
use crate::results::{StepOutcome, WorkflowDetails};
use crate::store::{Store, StoreError};

/// The windowed comparison of a workflow with its baseline, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BaselineReport {
    /// Successful target runs in the window.
    pub runs: usize,
    pub target_p50: Option<f64>,
    pub target_p95: Option<f64>,
    pub baseline_p50: Option<f64>,
    pub baseline_p95: Option<f64>,
}

impl BaselineReport {
    pub fn ratio_p50(&self) -> Option<f64> {
        ratio(self.target_p50, self.baseline_p50)
    }

    pub fn ratio_p95(&self) -> Option<f64> {
        ratio(self.target_p95, self.baseline_p95)
    }
}

fn ratio(t: Option<f64>, b: Option<f64>) -> Option<f64> {
    let (t, b) = (t?, b?);
    (b > 0.0).then(|| t / b)
}

/// The target and baseline totals of passing runs.
pub fn baseline_report<'a>(
    runs: impl IntoIterator<Item = &'a WorkflowDetails>,
    baseline: Option<&Baseline>,
) -> BaselineReport {
    let mut target = Vec::new();
    let mut live = Vec::new();
    for w in runs {
        target.push(w.total_ms);
        if let Some(b) = &w.baseline
            && b.outcome == Some(StepOutcome::Ok)
        {
            live.push(b.total_ms);
        }
    }
    let (baseline_p50, baseline_p95) = match baseline {
        Some(Baseline::Fixed { p50, p95 }) => (
            Some(p50.as_secs_f64() * 1000.0),
            Some(p95.as_secs_f64() * 1000.0),
        ),
        Some(Baseline::Live(_)) => (quantile(&live, 0.5), quantile(&live, 0.95)),
        None => (None, None),
    };
    BaselineReport {
        runs: target.len(),
        target_p50: quantile(&target, 0.5),
        target_p95: quantile(&target, 0.95),
        baseline_p50,
        baseline_p95,
    }
}

/// Reads each workflow's history and refreshes its SLO and baseline gauges.
pub async fn refresh(
    store: &Store,
    metrics: &Metrics,
    history: &History,
    workflows: &[WorkflowConfig],
    now: DateTime<Utc>,
) {
    for cfg in workflows {
        if let Err(e) = refresh_one(store, metrics, history, cfg, now.timestamp_millis()).await {
            metrics.count_store_error("workflow_history");
            tracing::warn!(workflow = %cfg.name, error = %e, "cannot read workflow history");
        }
    }
}

async fn refresh_one(
    store: &Store,
    metrics: &Metrics,
    history: &History,
    cfg: &WorkflowConfig,
    now_ms: i64,
) -> Result<(), StoreError> {
    let name = cfg.name.as_str();
    let m = metrics.workflows();
    if let Some(slo) = cfg.slo {
        let samples = history.samples(store, name, now_ms).await?;
        m.show_burn(
            name,
            slo.objective,
            &burn_rates(&samples, now_ms, slo.objective),
        );
    }
    let window = i64::try_from(cfg.baseline_window.as_millis()).unwrap_or(i64::MAX);
    let runs = store
        .passing_runs(
            Some(name),
            CheckKind::Workflow,
            now_ms.saturating_sub(window),
            i64::MAX,
        )
        .await?;
    let details = runs.iter().filter_map(|r| r.details.workflow());
    let r = baseline_report(details, cfg.baseline.as_ref());
    let secs = |ms: Option<f64>| ms.map(|v| v / 1000.0);
    m.show_latency(name, TARGET, "p50", secs(r.target_p50));
    m.show_latency(name, TARGET, "p95", secs(r.target_p95));
    if cfg.baseline.is_some() {
        m.show_latency(name, BASELINE, "p50", secs(r.baseline_p50));
        m.show_latency(name, BASELINE, "p95", secs(r.baseline_p95));
        m.show_ratio(name, "p50", r.ratio_p50());
        m.show_ratio(name, "p95", r.ratio_p95());
    }
    Ok(())
}
