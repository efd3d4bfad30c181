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

use crate::config::checks::{CheckKind, CheckMeta};
use crate::results::{Details, Outcome};

mod clinics;
mod documents;
mod handoffs;
mod integrity;
mod reconcile;
pub mod workflows;

pub use reconcile::{OTHER_GROUP, TOTAL_GROUP};

pub struct Metrics {
    registry: Registry,
    runs: IntCounterVec,
    skipped: IntCounterVec,
    duration: HistogramVec,
    last_run: GaugeVec,
    last_success: GaugeVec,
    status: IntGaugeVec,
    running: IntGauge,
    store_errors: IntCounterVec,
    reloads: IntCounterVec,
    checks_configured: IntGauge,
    reconcile: reconcile::ReconcileMetrics,
    integrity: integrity::IntegrityMetrics,
    workflows: workflows::WorkflowMetrics,
    documents: documents::DocumentsMetrics,
    clinics: clinics::ClinicMetrics,
    handoffs: handoffs::HandoffMetrics,
}

fn must<T>(r: prometheus::Result<T>) -> T {
    // Metric definitions are static: a failure here is a programming error
    // caught by the first test that builds `Metrics`.
    r.unwrap_or_else(|e| panic!("invalid metric definition: {e}"))
}

/// The build-info gauge and, on Linux, the process collector.
fn register_process(registry: &Registry, store_backend: &str) {
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
    must(registry.register(Box::new(build)));
    #[cfg(target_os = "linux")]
    must(registry.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    )));
}

/// Why a slot was not run (`hypercare_check_skipped_total`).
pub const SKIP_REASONS: [&str; 2] = ["overlap", "late"];

/// Every store operation counted by `hypercare_store_errors_total`, shown at
/// 0 from the start; [`Metrics::count_store_error`] takes only these.
pub const STORE_OPERATIONS: [&str; 15] = [
    "abandon",
    "claim",
    "expired_runs",
    "finish",
    "heartbeat",
    "insert_feedback",
    "insert_tap",
    "latest_results",
    "load_ledger",
    "previous_result",
    "purge",
    "record_skip",
    "save_ledger",
    "take_over",
    "workflow_history",
];

/// The labels of per-check series.
const CHECK: &[&str] = &["check", "kind"];

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    must(IntCounterVec::new(Opts::new(name, help), labels))
}

/// A per-check timestamp gauge, in seconds.
fn timestamp(name: &str, help: &str) -> GaugeVec {
    must(GaugeVec::new(Opts::new(name, help), CHECK))
}

impl Metrics {
    pub fn new(store_backend: &str) -> Metrics {
        let registry = Registry::new();
        register_process(&registry, store_backend);
        let m = Metrics {
            runs: counter(
                "hypercare_check_runs_total",
                "Check runs finished by this process, by outcome.",
                &["check", "kind", "outcome"],
            ),
            skipped: counter(
                "hypercare_check_skipped_total",
                "Scheduled slots not run, by reason (overlap, late).",
                &["check", "reason"],
            ),
            duration: must(HistogramVec::new(
                HistogramOpts::new(
                    "hypercare_check_duration_seconds",
                    "Wall time of check runs.",
                )
                .buckets(vec![
                    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
                ]),
                CHECK,
            )),
            last_run: timestamp(
                "hypercare_check_last_run_timestamp_seconds",
                "When the check last finished (any outcome).",
            ),
            last_success: timestamp(
                "hypercare_check_last_success_timestamp_seconds",
                "When the check last passed.",
            ),
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
            store_errors: counter(
                "hypercare_store_errors_total",
                "Store operations that failed, by operation.",
                &["operation"],
            ),
            reloads: counter(
                "hypercare_config_reloads_total",
                "Config reloads (SIGHUP), by result.",
                &["result"],
            ),
            checks_configured: must(IntGauge::new(
                "hypercare_checks_configured",
                "Checks in the active config.",
            )),
            reconcile: reconcile::ReconcileMetrics::new(&registry),
            integrity: integrity::IntegrityMetrics::new(&registry),
            workflows: workflows::WorkflowMetrics::new(&registry),
            documents: documents::DocumentsMetrics::new(&registry),
            clinics: clinics::ClinicMetrics::new(&registry),
            handoffs: handoffs::HandoffMetrics::new(&registry),
            registry,
        };
        for c in m.collectors() {
            must(m.registry.register(c));
        }
        for op in STORE_OPERATIONS {
            m.store_errors.with_label_values(&[op]).inc_by(0);
        }
        for result in ["ok", "error"] {
            m.reloads.with_label_values(&[result]).inc_by(0);
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
            self.reconcile.show(check, r, max_groups);
            self.clinics.show_reconcile(check, r);
        }
        if let Some(d) = details.integrity() {
            self.integrity.show(check, d);
            self.clinics.show_integrity(check, d);
        }
        if let Some(d) = details.documents() {
            self.documents.show(check, d);
            self.clinics.show_documents(check, d);
        }
        if let Some(d) = details.handoff() {
            self.handoffs.show(check, d);
        }
    }

    /// Takes the configured clinic ids: the only `clinic` label values of
    /// the per-clinic gauges, with `_unassigned`.
    pub fn set_clinics(&self, ids: &[String]) {
        self.clinics.set_clinics(ids);
    }

    pub fn show_success(&self, check: &str, kind: CheckKind, at: DateTime<Utc>) {
        self.last_success
            .with_label_values(&[check, kind.as_str()])
            .set(at.timestamp_millis() as f64 / 1000.0);
    }

    pub fn count_skip(&self, check: &str, reason: &str) {
        self.skipped.with_label_values(&[check, reason]).inc();
    }

    pub fn count_store_error(&self, operation: &'static str) {
        debug_assert!(
            STORE_OPERATIONS.contains(&operation),
            "{operation} is not in STORE_OPERATIONS"
        );
        self.store_errors.with_label_values(&[operation]).inc();
    }

    pub fn count_reload(&self, ok: bool) {
        self.reloads
            .with_label_values(&[if ok { "ok" } else { "error" }])
            .inc();
    }

    /// Counts and times the steps of a run this process made (histograms
    /// and counters, so each run is observed once, here, not from the store).
    pub fn record_details(&self, check: &str, details: &Details) {
        if let Some(d) = details.workflow() {
            self.workflows.observe(check, d);
        }
    }

    /// The workflow collectors, for the room that derives SLO figures from the store.
    pub fn workflows(&self) -> &workflows::WorkflowMetrics {
        &self.workflows
    }

    /// The registry, for rooms that keep their own typed collectors on it.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn running(&self) -> &IntGauge {
        &self.running
    }

    /// Clears the per-check gauges, before they are refilled for a new
    /// config, and shows the new checks' counters at 0 (a check that has not
    /// run yet reads 0 runs, not "No data").
    pub fn reset_gauges(&self, checks: &[CheckMeta]) {
        for c in checks {
            let (name, kind) = (c.name.as_str(), c.kind.as_str());
            for o in Outcome::ALL.iter().filter(|o| **o != Outcome::Skipped) {
                self.runs
                    .with_label_values(&[name, kind, o.as_str()])
                    .inc_by(0);
            }
            for reason in SKIP_REASONS {
                self.skipped.with_label_values(&[name, reason]).inc_by(0);
            }
        }
        let checks_configured = checks.len();
        for g in [&self.last_run, &self.last_success] {
            g.reset();
        }
        self.status.reset();
        self.reconcile.reset();
        self.integrity.reset();
        self.workflows.reset();
        self.documents.reset();
        self.clinics.reset();
        self.handoffs.reset();
        for c in checks.iter().filter(|c| c.kind == CheckKind::Handoff) {
            self.handoffs.init(c.name.as_str());
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
