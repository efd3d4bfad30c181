//! Gauges of documents checks, per document kind: inventory, checked,
//! content verified, failed by reason, cycle coverage, and documents skipped
//! by status. Labels are config names (check, kind), the closed set of
//! reasons, and the configured skip statuses; never a document id.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use prometheus::{GaugeVec, IntGaugeVec, Opts, Registry};

use super::must;
use crate::results::{DocumentsDetails, Reason};

pub(super) struct DocumentsMetrics {
    inventory: IntGaugeVec,
    checked: IntGaugeVec,
    content_checked: IntGaugeVec,
    failed: IntGaugeVec,
    coverage: GaugeVec,
    content_coverage: GaugeVec,
    skipped: IntGaugeVec,
    /// Kinds and statuses shown per check, so ones that disappear are removed.
    shown: Mutex<HashMap<String, Shown>>,
}

/// The kind and status label values of one check's series.
type Shown = (BTreeSet<String>, BTreeSet<String>);

impl DocumentsMetrics {
    pub fn new(registry: &Registry) -> DocumentsMetrics {
        let int = |name: &str, help: &str, labels: &[&str]| {
            let g = must(IntGaugeVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(g.clone())));
            g
        };
        let float = |name: &str, help: &str, labels: &[&str]| {
            let g = must(GaugeVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(g.clone())));
            g
        };
        let kind = &["check", "kind"];
        DocumentsMetrics {
            inventory: int(
                "hypercare_documents_inventory",
                "Documents in the inventory (skipped ones excluded), per kind.",
                kind,
            ),
            checked: int(
                "hypercare_documents_checked",
                "Documents checked in the latest run, per kind.",
                kind,
            ),
            content_checked: int(
                "hypercare_documents_content_checked",
                "Documents whose content was fetched and verified in the latest run, per kind.",
                kind,
            ),
            failed: int(
                "hypercare_documents_failed",
                "Documents that failed in the latest run, per kind and reason.",
                &["check", "kind", "reason"],
            ),
            coverage: float(
                "hypercare_documents_coverage_ratio",
                "Share of the inventory checked within the cycle (0 to 1), per kind.",
                kind,
            ),
            content_coverage: float(
                "hypercare_documents_content_coverage_ratio",
                "Share of the inventory whose content was verified within the cycle, per kind.",
                kind,
            ),
            skipped: int(
                "hypercare_documents_skipped",
                "Documents left out by rule in the latest run, by status.",
                &["check", "status"],
            ),
            shown: Mutex::new(HashMap::new()),
        }
    }

    /// Shows a check's latest documents result. A run that could not read
    /// its inventory keeps the previous figures.
    pub fn show(&self, check: &str, d: &DocumentsDetails) {
        if d.error.is_some() {
            return;
        }
        for (kind, f) in &d.kinds {
            let l = [check, kind.as_str()];
            self.inventory.with_label_values(&l).set(f.inventory as i64);
            self.checked.with_label_values(&l).set(f.checked as i64);
            self.content_checked
                .with_label_values(&l)
                .set(f.content_checked as i64);
            self.coverage.with_label_values(&l).set(f.coverage);
            self.content_coverage
                .with_label_values(&l)
                .set(f.content_coverage);
            for &r in Reason::ALL {
                let n = f.by_reason.get(&r).copied().unwrap_or(0);
                self.failed
                    .with_label_values(&[check, kind, r.as_str()])
                    .set(n as i64);
            }
        }
        for (status, n) in &d.skipped {
            self.skipped
                .with_label_values(&[check, status])
                .set(*n as i64);
        }
        let now = (
            d.kinds.keys().cloned().collect::<BTreeSet<_>>(),
            d.skipped.keys().cloned().collect::<BTreeSet<_>>(),
        );
        let Ok(mut shown) = self.shown.lock() else {
            return;
        };
        if let Some((kinds, statuses)) = shown.insert(check.to_string(), now.clone()) {
            for gone in kinds.difference(&now.0) {
                self.remove_kind(check, gone);
            }
            for gone in statuses.difference(&now.1) {
                let _ = self.skipped.remove_label_values(&[check, gone]);
            }
        }
    }

    fn remove_kind(&self, check: &str, kind: &str) {
        let l = [check, kind];
        let _ = self.inventory.remove_label_values(&l);
        let _ = self.checked.remove_label_values(&l);
        let _ = self.content_checked.remove_label_values(&l);
        let _ = self.coverage.remove_label_values(&l);
        let _ = self.content_coverage.remove_label_values(&l);
        for &r in Reason::ALL {
            let _ = self.failed.remove_label_values(&[check, kind, r.as_str()]);
        }
    }

    /// Clears every series, before they are refilled for a new config.
    pub fn reset(&self) {
        for g in [
            &self.inventory,
            &self.checked,
            &self.content_checked,
            &self.failed,
            &self.skipped,
        ] {
            g.reset();
        }
        self.coverage.reset();
        self.content_coverage.reset();
        if let Ok(mut shown) = self.shown.lock() {
            shown.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::KindFigures;

    #[test]
    fn failures_show_per_kind_and_reason_and_gone_kinds_are_removed() {
        let reg = Registry::new();
        let m = DocumentsMetrics::new(&reg);
        let mut d = DocumentsDetails::default();
        let mut f = KindFigures {
            inventory: 10,
            checked: 4,
            coverage: 0.4,
            ..Default::default()
        };
        f.by_reason.insert(Reason::NotFound, 2);
        d.kinds.insert("referral".into(), f.clone());
        d.kinds.insert("lab_report".into(), f);
        m.show("docs", &d);
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&reg.gather())
            .unwrap_or_default();
        assert!(text.contains(
            r#"hypercare_documents_failed{check="docs",kind="referral",reason="not_found"} 2"#
        ));
        assert!(text.contains(
            r#"hypercare_documents_failed{check="docs",kind="referral",reason="timeout"} 0"#
        ));
        d.kinds.remove("lab_report");
        m.show("docs", &d);
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&reg.gather())
            .unwrap_or_default();
        assert!(!text.contains("lab_report"), "{text}");
    }
}
