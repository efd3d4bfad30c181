//! Gauges of a check's figures per clinic, from its `details.by_clinic`:
//! a reconciliation's discrepancies, a documents check's checked and
//! failed documents, and an integrity rule's problems. The `clinic` label takes only the configured clinic
//! ids and `_unassigned` (a stored result naming a clinic since removed
//! from the config is not shown), so the series stay bounded; every
//! configured clinic of a sliced check shows, at 0 when it has nothing.

use std::collections::BTreeMap;
use std::sync::Mutex;

use prometheus::{IntGaugeVec, Opts, Registry};

use super::must;
use crate::results::{DocumentsDetails, IntegrityDetails, Reason, ReconcileDetails, UNASSIGNED};

pub(super) struct ClinicMetrics {
    discrepancies: IntGaugeVec,
    checked: IntGaugeVec,
    failed: IntGaugeVec,
    problems: IntGaugeVec,
    /// The configured clinic ids and `_unassigned`: the label's only values.
    clinics: Mutex<Vec<String>>,
}

/// The discrepancy types shown per clinic.
const TYPES: [&str; 3] = ["missing", "extra", "changed"];

impl ClinicMetrics {
    pub fn new(registry: &Registry) -> ClinicMetrics {
        let int = |name: &str, help: &str, labels: &[&str]| {
            let g = must(IntGaugeVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(g.clone())));
            g
        };
        ClinicMetrics {
            discrepancies: int(
                "hypercare_reconcile_clinic_discrepancy_records",
                "A reconciliation's differing records per clinic, by type (missing, extra, changed; a count check: its shortfall or surplus).",
                &["check", "clinic", "type"],
            ),
            checked: int(
                "hypercare_documents_clinic_checked",
                "Documents checked in the latest run, per clinic.",
                &["check", "clinic"],
            ),
            failed: int(
                "hypercare_documents_clinic_failed",
                "Documents that failed in the latest run, per clinic and reason.",
                &["check", "clinic", "reason"],
            ),
            problems: int(
                "hypercare_integrity_clinic_problems",
                "An integrity rule's problems in the latest run, per clinic (rules with `clinic`).",
                &["check", "rule", "clinic"],
            ),
            clinics: Mutex::new(vec![UNASSIGNED.to_string()]),
        }
    }

    /// Takes the configured clinic ids (on start and reload).
    pub fn set_clinics(&self, ids: &[String]) {
        let mut all: Vec<String> = ids.to_vec();
        all.push(UNASSIGNED.to_string());
        match self.clinics.lock() {
            Ok(mut c) => *c = all,
            Err(e) => *e.into_inner() = all,
        }
    }

    fn clinics(&self) -> Vec<String> {
        match self.clinics.lock() {
            Ok(c) => c.clone(),
            Err(e) => e.into_inner().clone(),
        }
    }

    /// Shows a reconciliation's figures per clinic, when it has them.
    pub fn show_reconcile(&self, check: &str, r: &ReconcileDetails) {
        if r.by_clinic.is_empty() {
            return;
        }
        for clinic in self.clinics() {
            let s = r.by_clinic.get(&clinic).cloned().unwrap_or_default();
            let figures: [u64; 3] = match (&s.keyed, s.source, s.target) {
                (Some(k), _, _) => [k.missing, k.extra, k.changed],
                (None, Some(src), Some(tgt)) => {
                    let short = src.saturating_sub(tgt).max(0);
                    let surplus = tgt.saturating_sub(src).max(0);
                    [short.unsigned_abs(), surplus.unsigned_abs(), 0]
                }
                _ => [0, 0, 0],
            };
            for (kind, n) in TYPES.iter().zip(figures) {
                self.discrepancies
                    .with_label_values(&[check, &clinic, kind])
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
    }

    /// Shows a documents check's figures per clinic, when it has them.
    pub fn show_documents(&self, check: &str, d: &DocumentsDetails) {
        if d.by_clinic.is_empty() || d.error.is_some() {
            return;
        }
        for clinic in self.clinics() {
            let s = d.by_clinic.get(&clinic).cloned().unwrap_or_default();
            self.checked
                .with_label_values(&[check, &clinic])
                .set(i64::try_from(s.checked).unwrap_or(i64::MAX));
            let by: BTreeMap<Reason, u64> = s.by_reason;
            for reason in Reason::ALL {
                let n = by.get(reason).copied().unwrap_or(0);
                self.failed
                    .with_label_values(&[check, &clinic, reason.as_str()])
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
    }

    /// Shows an integrity check's problems per clinic, for the rules that
    /// count them (a rule that could not run keeps its last figures).
    pub fn show_integrity(&self, check: &str, d: &IntegrityDetails) {
        let sliced: Vec<&str> = d
            .by_clinic
            .values()
            .flat_map(|rules| rules.keys())
            .map(String::as_str)
            .collect();
        for clinic in self.clinics() {
            let mine = d.by_clinic.get(&clinic);
            for rule in d.rules.iter().filter(|r| sliced.contains(&r.name.as_str())) {
                let n = mine.and_then(|m| m.get(&rule.name)).copied().unwrap_or(0);
                self.problems
                    .with_label_values(&[check, &rule.name, &clinic])
                    .set(n);
            }
        }
    }

    /// Clears every series, before they are refilled for a new config.
    pub fn reset(&self) {
        self.problems.reset();
        self.discrepancies.reset();
        self.checked.reset();
        self.failed.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{DocumentsSlice, KeyedSlice, ReconcileSlice};

    #[test]
    fn only_configured_clinics_and_unassigned_are_labels_each_at_zero_when_absent() {
        let registry = Registry::new();
        let m = ClinicMetrics::new(&registry);
        m.set_clinics(&["north".into(), "east".into()]);
        let mut r = ReconcileDetails::default();
        let keyed = |missing| ReconcileSlice {
            keyed: Some(KeyedSlice {
                missing,
                ..Default::default()
            }),
            ..Default::default()
        };
        r.by_clinic.insert("east".into(), keyed(30));
        r.by_clinic.insert("gone".into(), keyed(7));
        m.show_reconcile("patients", &r);
        let get = |clinic: &str| {
            m.discrepancies
                .with_label_values(&["patients", clinic, "missing"])
                .get()
        };
        assert_eq!((get("east"), get("north"), get(UNASSIGNED)), (30, 0, 0));
        let families = registry.gather();
        let series: usize = families.iter().map(|f| f.get_metric().len()).sum();
        // 3 clinics × 3 types, and nothing for the removed clinic "gone".
        assert_eq!(series, 9);

        let mut d = DocumentsDetails::default();
        let mut slice = DocumentsSlice::default();
        slice.add(Some(Reason::ALL[0]));
        slice.add(None);
        d.by_clinic.insert("north".into(), slice);
        m.show_documents("docs", &d);
        assert_eq!(m.checked.with_label_values(&["docs", "north"]).get(), 2);
        assert_eq!(m.checked.with_label_values(&["docs", "east"]).get(), 0);
        let failed = m
            .failed
            .with_label_values(&["docs", "north", Reason::ALL[0].as_str()])
            .get();
        assert_eq!(failed, 1);
    }
}
