//! Prometheus metrics on an owned registry, derived from results.
//!
//! Counters and the duration histogram count the runs this process made;
//! gauges show the latest stored result of each check, whichever replica ran
//! it (they are refreshed from the store). Labels come only from config names
//! and closed sets; group labels come from the configured group query and are
//! capped per check. Every metric here is listed in `docs/metrics.md`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::config::checks::CheckKind;
use crate::results::{Details, Outcome, ReconcileDetails};

mod documents;
mod integrity;
pub mod workflows;

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
    discrepancies: IntGaugeVec,
    drift: IntGaugeVec,
    last_full_sweep: GaugeVec,
    target_records: IntGaugeVec,
    difference_records: IntGaugeVec,
    store_errors: IntCounterVec,
    reloads: IntCounterVec,
    checks_configured: IntGauge,
    integrity: integrity::IntegrityMetrics,
    workflows: workflows::WorkflowMetrics,
    documents: documents::DocumentsMetrics,
    /// Group label values shown per check, so groups that disappear are removed.
    shown_groups: Mutex<HashMap<String, BTreeSet<String>>>,
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
            discrepancies: must(IntGaugeVec::new(
                Opts::new(
                    "hypercare_reconcile_discrepancy_records",
                    "Records a keyed diff found differing, by type (missing, extra, changed, duplicate_key, null_key).",
                ),
                &["check", "type"],
            )),
            drift: must(IntGaugeVec::new(
                Opts::new(
                    "hypercare_reconcile_drift_records",
                    "A keyed diff's discrepancies compared with its previous run, by state (new, persisting, resolved, within_grace, untracked).",
                ),
                &["check", "state"],
            )),
            last_full_sweep: must(GaugeVec::new(
                Opts::new(
                    "hypercare_reconcile_last_full_sweep_timestamp_seconds",
                    "When the newest full sweep of a keyed diff with incremental runs started.",
                ),
                &["check"],
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
            integrity: integrity::IntegrityMetrics::new(&registry),
            workflows: workflows::WorkflowMetrics::new(&registry),
            documents: documents::DocumentsMetrics::new(&registry),
            shown_groups: Mutex::new(HashMap::new()),
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
            Box::new(self.discrepancies.clone()),
            Box::new(self.drift.clone()),
            Box::new(self.last_full_sweep.clone()),
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
            self.show_groups(check, &group_rows(r, max_groups));
            if let Some(k) = &r.keyed {
                let d = &k.duplicate_keys;
                let z = &k.null_keys;
                for (kind, n) in [
                    ("missing", k.missing),
                    ("extra", k.extra),
                    ("changed", k.changed),
                    ("duplicate_key", d.source + d.target),
                    ("null_key", z.source + z.target),
                ] {
                    self.discrepancies
                        .with_label_values(&[check, kind])
                        .set(n as i64);
                }
                if let Some(d) = &k.drift {
                    for (state, n) in [
                        ("new", d.new),
                        ("persisting", d.persisting),
                        ("resolved", d.resolved),
                        ("within_grace", d.within_grace),
                        ("untracked", d.untracked),
                    ] {
                        self.drift.with_label_values(&[check, state]).set(n as i64);
                    }
                }
                if let Some(s) = &k.sweep {
                    self.last_full_sweep
                        .with_label_values(&[check])
                        .set(s.last_full_ms as f64 / 1000.0);
                }
            }
        }
        if let Some(d) = details.integrity() {
            self.integrity.show(check, d);
        }
        if let Some(d) = details.documents() {
            self.documents.show(check, d);
        }
    }

    /// Sets the per-group series of a check and removes the ones its latest
    /// result no longer has.
    fn show_groups(&self, check: &str, rows: &BTreeMap<String, (i64, i64)>) {
        for (g, (s, t)) in rows {
            self.source_records.with_label_values(&[check, g]).set(*s);
            self.target_records.with_label_values(&[check, g]).set(*t);
            self.difference_records
                .with_label_values(&[check, g])
                .set(t - s);
        }
        let Ok(mut shown) = self.shown_groups.lock() else {
            return;
        };
        let now: BTreeSet<String> = rows.keys().cloned().collect();
        if let Some(before) = shown.insert(check.to_string(), now) {
            for gone in before.iter().filter(|g| !rows.contains_key(*g)) {
                for vec in [
                    &self.source_records,
                    &self.target_records,
                    &self.difference_records,
                ] {
                    let _ = vec.remove_label_values(&[check, gone]);
                }
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
            &self.discrepancies,
        ] {
            g.reset();
        }
        self.integrity.reset();
        self.workflows.reset();
        self.documents.reset();
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

/// The group series of a reconciliation: the total, the first `max_groups`
/// groups by name, the rest folded into `_other`. Group values that clash
/// once made label-safe (cut to 64 characters) are added up, and a data group
/// spelled like a reserved one gets a leading `_` more.
fn group_rows(r: &ReconcileDetails, max_groups: usize) -> BTreeMap<String, (i64, i64)> {
    let mut rows: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    if let (Some(s), Some(t)) = (r.source_count, r.target_count) {
        rows.insert(TOTAL_GROUP.to_string(), (s, t));
    }
    for (i, (g, c)) in r.groups.iter().enumerate() {
        let label = if i >= max_groups {
            OTHER_GROUP.to_string()
        } else {
            label_safe(g)
        };
        let e = rows.entry(label).or_default();
        *e = (e.0 + c.source, e.1 + c.target);
    }
    rows
}

/// Makes a group value safe and bounded as a label value, apart from the
/// reserved `_total` and `_other`.
fn label_safe(g: &str) -> String {
    let cut: String = g.chars().filter(|c| !c.is_control()).take(64).collect();
    if cut == TOTAL_GROUP || cut == OTHER_GROUP {
        format!("_{cut}")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::GroupCount;

    fn details(groups: &[(&str, i64, i64)]) -> ReconcileDetails {
        ReconcileDetails {
            source_count: Some(groups.iter().map(|g| g.1).sum()),
            target_count: Some(groups.iter().map(|g| g.2).sum()),
            groups: groups
                .iter()
                .map(|(g, s, t)| {
                    (
                        g.to_string(),
                        GroupCount {
                            source: *s,
                            target: *t,
                            difference: t - s,
                            beyond_tolerance: false,
                        },
                    )
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn groups_fold_into_other_and_reserved_names_do_not_clash() {
        let rows = group_rows(
            &details(&[("_total", 1, 1), ("a", 2, 2), ("b", 3, 1), ("c", 4, 4)]),
            2,
        );
        assert_eq!(rows[TOTAL_GROUP], (10, 8));
        assert_eq!(rows["__total"], (1, 1));
        assert_eq!(rows["a"], (2, 2));
        assert_eq!(rows[OTHER_GROUP], (7, 5));
    }

    #[test]
    fn groups_that_disappear_are_removed_from_the_metrics() {
        let m = Metrics::new("sqlite");
        let at = Utc::now();
        let show = |groups: &[(&str, i64, i64)]| {
            m.show_result(
                "c",
                CheckKind::Reconcile,
                Outcome::Fail,
                at,
                &Details::Reconcile(details(groups)),
                50,
            )
        };
        show(&[("north", 5, 4), ("south", 3, 3)]);
        assert!(m.render().contains("group=\"north\""));
        show(&[("south", 3, 3)]);
        let text = m.render();
        assert!(!text.contains("group=\"north\""), "{text}");
        assert!(text.contains("group=\"south\""));
    }
}
