//! Prometheus metrics on an owned registry, derived from results.
//!
//! Counters and the duration histogram count the runs this process made;
//! gauges show the latest stored result of each check, whichever replica ran
//! it (they are refreshed from the store). Labels come only from config names
//! and closed sets; group labels come from the configured group query and are
//! capped per check. Every metric here is listed in `docs/metrics.md`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::results::{CheckKind, Details, Outcome};

/// Group label for the whole of a reconciliation (all groups together).
pub const TOTAL_GROUP: &str = "_total";
/// Group label that folds the groups beyond a check's `max_groups`.
pub const OTHER_GROUP: &str = "_other";

pub struct Metrics {
    registry: Registry,
    runs: IntCounterVec,
    skipped: IntCounterVec,
    duration: HistogramVec,
    last_run: GaugeVec,
    last_success: GaugeVec,
    status: IntGaugeVec,
    running: IntGauge,
    source_records: IntGaugeVec,
    target_records: IntGaugeVec,
    difference_records: IntGaugeVec,
    store_errors: IntCounterVec,
    reloads: IntCounterVec,
    checks_configured: IntGauge,
}

fn must<T>(r: prometheus::Result<T>) -> T {
    // Metric definitions are static: a failure here is a programming error
    // caught by the first test that builds `Metrics`.
    r.unwrap_or_else(|e| panic!("invalid metric definition: {e}"))
}

impl Metrics {
    pub fn new(store_backend: &str) -> Metrics {
        let registry = Registry::new();
        let reg = |c: Box<dyn prometheus::core::Collector>| must(registry.register(c));
        let build = must(IntGaugeVec::new(
            Opts::new(
                "hypercare_build_info",
                "Always 1; labels say which build and store backend run.",
            ),
            &["version", "store"],
        ));
        build
            .with_label_values(&[env!("CARGO_PKG_VERSION"), store_backend])
            .set(1);
        reg(Box::new(build));
        #[cfg(target_os = "linux")]
        reg(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ));

        let check = &["check", "kind"];
        let m = Metrics {
            runs: must(IntCounterVec::new(
                Opts::new(
                    "hypercare_check_runs_total",
                    "Check runs finished by this process, by outcome.",
                ),
                &["check", "kind", "outcome"],
            )),
            skipped: must(IntCounterVec::new(
                Opts::new(
                    "hypercare_check_skipped_total",
                    "Scheduled slots not run, by reason (overlap, late).",
                ),
                &["check", "reason"],
            )),
            duration: must(HistogramVec::new(
                HistogramOpts::new(
                    "hypercare_check_duration_seconds",
                    "Wall time of check runs.",
                )
                .buckets(vec![
                    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
                ]),
                check,
            )),
            last_run: must(GaugeVec::new(
                Opts::new(
                    "hypercare_check_last_run_timestamp_seconds",
                    "When the check last finished (any outcome).",
                ),
                check,
            )),
            last_success: must(GaugeVec::new(
                Opts::new(
                    "hypercare_check_last_success_timestamp_seconds",
                    "When the check last passed.",
                ),
                check,
            )),
            status: must(IntGaugeVec::new(
                Opts::new(
                    "hypercare_check_status",
                    "1 for the outcome of the check's latest run, 0 for the others.",
                ),
                &["check", "kind", "status"],
            )),
            running: must(IntGauge::new(
                "hypercare_checks_running",
                "Check runs in progress in this process.",
            )),
            source_records: must(IntGaugeVec::new(
                Opts::new(
                    "hypercare_reconcile_source_records",
                    "Records counted on the source side, per group.",
                ),
                &["check", "group"],
            )),
            target_records: must(IntGaugeVec::new(
                Opts::new(
                    "hypercare_reconcile_target_records",
                    "Records counted on the target side, per group.",
                ),
                &["check", "group"],
            )),
            difference_records: must(IntGaugeVec::new(
                Opts::new(
                    "hypercare_reconcile_difference_records",
                    "Target minus source records, per group (negative: missing in the target).",
                ),
                &["check", "group"],
            )),
            store_errors: must(IntCounterVec::new(
                Opts::new(
                    "hypercare_store_errors_total",
                    "Store operations that failed, by operation.",
                ),
                &["operation"],
            )),
            reloads: must(IntCounterVec::new(
                Opts::new(
                    "hypercare_config_reloads_total",
                    "Config reloads (SIGHUP), by result.",
                ),
                &["result"],
            )),
            checks_configured: must(IntGauge::new(
                "hypercare_checks_configured",
                "Checks in the active config.",
            )),
            registry,
        };
        for c in m.collectors() {
            must(m.registry.register(c));
        }
        m
    }

    fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        vec![
            Box::new(self.runs.clone()),
            Box::new(self.skipped.clone()),
            Box::new(self.duration.clone()),
            Box::new(self.last_run.clone()),
            Box::new(self.last_success.clone()),
            Box::new(self.status.clone()),
            Box::new(self.running.clone()),
            Box::new(self.source_records.clone()),
            Box::new(self.target_records.clone()),
            Box::new(self.difference_records.clone()),
            Box::new(self.store_errors.clone()),
            Box::new(self.reloads.clone()),
            Box::new(self.checks_configured.clone()),
        ]
    }

    /// Counts a run this process finished.
    pub fn record_run(&self, check: &str, kind: CheckKind, outcome: Outcome, took: Duration) {
        self.runs
            .with_label_values(&[check, kind.as_str(), outcome.as_str()])
            .inc();
        self.duration
            .with_label_values(&[check, kind.as_str()])
            .observe(took.as_secs_f64());
    }

    /// Shows a check's latest result in the gauges.
    pub fn show_result(
        &self,
        check: &str,
        kind: CheckKind,
        outcome: Outcome,
        at: DateTime<Utc>,
        details: &Details,
        max_groups: usize,
    ) {
        self.last_run
            .with_label_values(&[check, kind.as_str()])
            .set(at.timestamp_millis() as f64 / 1000.0);
        if outcome == Outcome::Pass {
            self.show_success(check, kind, at);
        }
        for o in [Outcome::Pass, Outcome::Fail, Outcome::Error] {
            self.status
                .with_label_values(&[check, kind.as_str(), o.as_str()])
                .set(i64::from(o == outcome));
        }
        if let Some(r) = details.reconcile() {
            let mut rows: Vec<(String, i64, i64)> = Vec::new();
            if let (Some(s), Some(t)) = (r.source_count, r.target_count) {
                rows.push((TOTAL_GROUP.to_string(), s, t));
            }
            let mut other = (0, 0, false);
            for (i, (g, c)) in r.groups.iter().enumerate() {
                if i < max_groups {
                    rows.push((label_safe(g), c.source, c.target));
                } else {
                    other = (other.0 + c.source, other.1 + c.target, true);
                }
            }
            if other.2 {
                rows.push((OTHER_GROUP.to_string(), other.0, other.1));
            }
            for (g, s, t) in rows {
                self.source_records.with_label_values(&[check, &g]).set(s);
                self.target_records.with_label_values(&[check, &g]).set(t);
                self.difference_records
                    .with_label_values(&[check, &g])
                    .set(t - s);
            }
        }
    }

    pub fn show_success(&self, check: &str, kind: CheckKind, at: DateTime<Utc>) {
        self.last_success
            .with_label_values(&[check, kind.as_str()])
            .set(at.timestamp_millis() as f64 / 1000.0);
    }

    pub fn count_skip(&self, check: &str, reason: &str) {
        self.skipped.with_label_values(&[check, reason]).inc();
    }

    pub fn count_store_error(&self, operation: &str) {
        self.store_errors.with_label_values(&[operation]).inc();
    }

    pub fn count_reload(&self, ok: bool) {
        self.reloads
            .with_label_values(&[if ok { "ok" } else { "error" }])
            .inc();
    }

    pub fn running(&self) -> &IntGauge {
        &self.running
    }

    /// Clears the per-check gauges, before they are refilled for a new config.
    pub fn reset_gauges(&self, checks_configured: usize) {
        for g in [&self.last_run, &self.last_success] {
            g.reset();
        }
        for g in [
            &self.status,
            &self.source_records,
            &self.target_records,
            &self.difference_records,
        ] {
            g.reset();
        }
        self.checks_configured.set(checks_configured as i64);
    }

    /// The text exposition format served on `/metrics`.
    pub fn render(&self) -> String {
        let mut buf = Vec::with_capacity(16 * 1024);
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Makes a group value safe and bounded as a label value.
fn label_safe(g: &str) -> String {
    g.chars().filter(|c| !c.is_control()).take(64).collect()
}
