//! Workflow probe metrics: latency histograms per step and per workflow
//! (buckets from `[workflow_metrics]`), step outcomes by reason, and the
//! gauges derived from stored history: SLO burn rates per window, latency
//! p50/p95 over the baseline window and the target/baseline ratio.
//! Labels are config names (workflow, step) and closed sets (system,
//! outcome, window, percentile); never a URL or a test value.

use std::sync::Mutex;

use prometheus::{GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use super::must;
use crate::config::workflows::DEFAULT_BUCKETS;
use crate::results::{StepResult, WorkflowDetails};

/// `system` label of the target's series.
pub const TARGET: &str = "target";
/// `system` label of the live baseline's series.
pub const BASELINE: &str = "baseline";

pub struct WorkflowMetrics {
    registry: Registry,
    /// Replaced when the configured buckets differ from the defaults.
    histograms: Mutex<Histograms>,
    step_outcomes: IntCounterVec,
    runs: IntCounterVec,
    burn_rate: GaugeVec,
    latency: GaugeVec,
    baseline_ratio: GaugeVec,
    objective: GaugeVec,
}

#[derive(Clone)]
struct Histograms {
    step: HistogramVec,
    workflow: HistogramVec,
}

fn histograms(buckets: &[f64]) -> Histograms {
    Histograms {
        step: must(HistogramVec::new(
            HistogramOpts::new(
                "hypercare_workflow_step_duration_seconds",
                "Latency of workflow steps, measured around the request or query only.",
            )
            .buckets(buckets.to_vec()),
            &["workflow", "step", "system"],
        )),
        workflow: must(HistogramVec::new(
            HistogramOpts::new(
                "hypercare_workflow_duration_seconds",
                "Latency of whole workflow runs whose steps all succeeded (sum of the steps).",
            )
            .buckets(buckets.to_vec()),
            &["workflow", "system"],
        )),
    }
}

impl WorkflowMetrics {
    pub fn new(registry: &Registry) -> WorkflowMetrics {
        let h = histograms(&DEFAULT_BUCKETS);
        must(registry.register(Box::new(h.step.clone())));
        must(registry.register(Box::new(h.workflow.clone())));
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = must(IntCounterVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(c.clone())));
            c
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            let g = must(GaugeVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(g.clone())));
            g
        };
        WorkflowMetrics {
            registry: registry.clone(),
            histograms: Mutex::new(h),
            step_outcomes: counter(
                "hypercare_workflow_step_outcomes_total",
                "Workflow steps run by this process, by outcome (ok, assertion, timeout, connect, http_status, extract, sql, ack_code, auth, error, skipped).",
                &["workflow", "step", "system", "outcome"],
            ),
            runs: counter(
                "hypercare_workflow_runs_total",
                "Workflow runs by this process, by outcome: ok or the first failing step's outcome.",
                &["workflow", "system", "outcome"],
            ),
            burn_rate: gauge(
                "hypercare_workflow_slo_burn_rate",
                "Error-budget burn rate over a window: share of bad runs divided by (1 - objective). 1 spends the budget exactly over the SLO period.",
                &["workflow", "window"],
            ),
            latency: gauge(
                "hypercare_workflow_latency_seconds",
                "Workflow latency quantiles (0.5, 0.95) of successful runs over the baseline window, per system (target, baseline).",
                &["workflow", "system", "percentile"],
            ),
            baseline_ratio: gauge(
                "hypercare_workflow_baseline_ratio",
                "Target latency over baseline latency at a quantile (0.5, 0.95) over the baseline window; above 1 is slower than the legacy system.",
                &["workflow", "percentile"],
            ),
            objective: gauge(
                "hypercare_workflow_slo_objective_ratio",
                "The workflow's SLO objective (share of runs that must succeed within the latency threshold).",
                &["workflow"],
            ),
        }
    }

    /// Uses these buckets from now on (set once at start from the config).
    pub fn set_buckets(&self, buckets: &[f64]) {
        let Ok(mut h) = self.histograms.lock() else {
            return;
        };
        let new = histograms(buckets);
        let _ = self.registry.unregister(Box::new(h.step.clone()));
        let _ = self.registry.unregister(Box::new(h.workflow.clone()));
        must(self.registry.register(Box::new(new.step.clone())));
        must(self.registry.register(Box::new(new.workflow.clone())));
        *h = new;
    }

    /// Counts and times a run this process made.
    pub fn observe(&self, workflow: &str, d: &WorkflowDetails) {
        let Ok(h) = self.histograms.lock().map(|h| h.clone()) else {
            return;
        };
        let one = |system: &str, steps: &[StepResult], outcome: Option<&str>, total_ms: f64| {
            for s in steps {
                if let Some(ms) = s.duration_ms {
                    h.step
                        .with_label_values(&[workflow, &s.name, system])
                        .observe(ms / 1000.0);
                }
                self.step_outcomes
                    .with_label_values(&[workflow, &s.name, system, s.outcome.as_str()])
                    .inc();
            }
            let outcome = outcome.unwrap_or("error");
            self.runs
                .with_label_values(&[workflow, system, outcome])
                .inc();
            if outcome == "ok" {
                h.workflow
                    .with_label_values(&[workflow, system])
                    .observe(total_ms / 1000.0);
            }
        };
        one(TARGET, &d.steps, d.outcome.map(|o| o.as_str()), d.total_ms);
        if let Some(b) = &d.baseline {
            one(
                BASELINE,
                &b.steps,
                b.outcome.map(|o| o.as_str()),
                b.total_ms,
            );
        }
    }

    /// Shows burn rates; a window with no runs has no series.
    pub fn show_burn(&self, workflow: &str, objective: f64, rates: &[(&str, Option<f64>)]) {
        self.objective.with_label_values(&[workflow]).set(objective);
        for (window, rate) in rates {
            match rate {
                Some(r) => self
                    .burn_rate
                    .with_label_values(&[workflow, window])
                    .set(*r),
                None => {
                    let _ = self.burn_rate.remove_label_values(&[workflow, window]);
                }
            }
        }
    }

    /// Shows a latency quantile of a system (seconds), or removes it.
    pub fn show_latency(&self, workflow: &str, system: &str, quantile: &str, secs: Option<f64>) {
        match secs {
            Some(s) => self
                .latency
                .with_label_values(&[workflow, system, quantile])
                .set(s),
            None => {
                let _ = self
                    .latency
                    .remove_label_values(&[workflow, system, quantile]);
            }
        }
    }

    pub fn show_ratio(&self, workflow: &str, quantile: &str, ratio: Option<f64>) {
        match ratio {
            Some(r) => self
                .baseline_ratio
                .with_label_values(&[workflow, quantile])
                .set(r),
            None => {
                let _ = self
                    .baseline_ratio
                    .remove_label_values(&[workflow, quantile]);
            }
        }
    }

    /// Clears the derived gauges, before they are refilled for a new config.
    pub fn reset(&self) {
        self.burn_rate.reset();
        self.latency.reset();
        self.baseline_ratio.reset();
        self.objective.reset();
    }
}
