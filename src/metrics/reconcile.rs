//! Gauges of reconciliations: per group, the records on each side and
//! their difference; per keyed diff, its discrepancies by type, its drift
//! and its last full sweep. Labels are config names, the closed sets of
//! types and states, and group values from the configured group query
//! (made label-safe and capped per check); never a record key.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use prometheus::{GaugeVec, IntGaugeVec, Opts, Registry};

use super::must;
use crate::results::{KeyedDiff, ReconcileDetails};

/// Group label for the whole of a reconciliation (all groups together).
pub const TOTAL_GROUP: &str = "_total";
/// Group label that folds the groups beyond a check's `max_groups`.
pub const OTHER_GROUP: &str = "_other";

pub(super) struct ReconcileMetrics {
    source_records: IntGaugeVec,
    target_records: IntGaugeVec,
    difference_records: IntGaugeVec,
    discrepancies: IntGaugeVec,
    drift: IntGaugeVec,
    last_full_sweep: GaugeVec,
    /// Group label values shown per check, so groups that disappear are removed.
    shown_groups: Mutex<HashMap<String, BTreeSet<String>>>,
}

impl ReconcileMetrics {
    pub fn new(registry: &Registry) -> ReconcileMetrics {
        let int = |name: &str, help: &str, labels: &[&str]| {
            let g = must(IntGaugeVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(g.clone())));
            g
        };
        let group = &["check", "group"];
        let last_full_sweep = must(GaugeVec::new(
            Opts::new(
                "hypercare_reconcile_last_full_sweep_timestamp_seconds",
                "When the newest full sweep of a keyed diff with incremental runs started.",
            ),
            &["check"],
        ));
        must(registry.register(Box::new(last_full_sweep.clone())));
        ReconcileMetrics {
            source_records: int(
                "hypercare_reconcile_source_records",
                "Records counted on the source side, per group.",
                group,
            ),
            target_records: int(
                "hypercare_reconcile_target_records",
                "Records counted on the target side, per group.",
                group,
            ),
            difference_records: int(
                "hypercare_reconcile_difference_records",
                "Target minus source records, per group (negative: missing in the target).",
                group,
            ),
            discrepancies: int(
                "hypercare_reconcile_discrepancy_records",
                "Records a keyed diff found differing, by type (missing, extra, changed, duplicate_key, null_key).",
                &["check", "type"],
            ),
            drift: int(
                "hypercare_reconcile_drift_records",
                "A keyed diff's discrepancies compared with its previous run, by state (new, persisting, resolved, within_grace, untracked).",
                &["check", "state"],
            ),
            last_full_sweep,
            shown_groups: Mutex::new(HashMap::new()),
        }
    }

    /// Shows a reconciliation's latest figures.
    pub fn show(&self, check: &str, r: &ReconcileDetails, max_groups: usize) {
        self.show_groups(check, &group_rows(r, max_groups));
        if let Some(k) = &r.keyed {
            self.show_keyed(check, k);
        }
    }

    fn show_keyed(&self, check: &str, k: &KeyedDiff) {
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

    /// Clears the per-check series, before they are refilled for a new config.
    pub fn reset(&self) {
        for g in [
            &self.source_records,
            &self.target_records,
            &self.difference_records,
            &self.discrepancies,
        ] {
            g.reset();
        }
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
    use crate::config::checks::CheckKind;
    use crate::metrics::Metrics;
    use crate::results::{Details, GroupCount, Outcome};
    use chrono::Utc;

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
