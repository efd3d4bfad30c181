//! Gauges of integrity checks, per rule: problems, rows checked, status,
//! completeness per field, duplicate records and the newest row's age.
//! Labels are config names (check, rule, field) and the closed set of rule
//! kinds; never a record value.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use prometheus::{GaugeVec, IntGaugeVec, Opts, Registry};

use super::must;
use crate::results::{IntegrityDetails, MigrationClasses, Outcome, RuleKind, RuleResult};

pub(super) struct IntegrityMetrics {
    problems: IntGaugeVec,
    rows_checked: IntGaugeVec,
    status: IntGaugeVec,
    completeness: GaugeVec,
    duplicate_records: IntGaugeVec,
    review_pairs: IntGaugeVec,
    migration_classes: IntGaugeVec,
    newest_age: GaugeVec,
    /// Series shown per check, so rules and fields that disappear are removed.
    shown: Mutex<HashMap<String, Shown>>,
}

/// The label values of one check's series.
#[derive(Default, PartialEq)]
struct Shown {
    rules: BTreeSet<(String, RuleKind)>,
    fields: BTreeSet<(String, String)>,
}

impl IntegrityMetrics {
    pub fn new(registry: &Registry) -> IntegrityMetrics {
        let rule = &["check", "rule", "kind"];
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
        IntegrityMetrics {
            problems: int(
                "hypercare_integrity_problems",
                "Problems an integrity rule found in its latest run that counted.",
                rule,
            ),
            rows_checked: int(
                "hypercare_integrity_rows_checked",
                "Rows an integrity rule looked at in its latest run that counted.",
                rule,
            ),
            status: int(
                "hypercare_integrity_rule_status",
                "1 for the outcome of the rule's latest run, 0 for the other two.",
                &["check", "rule", "kind", "status"],
            ),
            completeness: float(
                "hypercare_integrity_completeness_ratio",
                "Share of rows with the required field present (0 to 1).",
                &["check", "rule", "field"],
            ),
            duplicate_records: int(
                "hypercare_integrity_duplicate_records",
                "Records in the duplicate clusters a duplicates rule found.",
                &["check", "rule"],
            ),
            review_pairs: int(
                "hypercare_integrity_review_pairs",
                "Pairs a probable_duplicates rule reports for review (below probable).",
                &["check", "rule"],
            ),
            migration_classes: int(
                "hypercare_integrity_migration_classes",
                "Probable duplicate pairs by how they came about, and overlaid records.",
                &["check", "rule", "class"],
            ),
            newest_age: float(
                "hypercare_integrity_newest_age_seconds",
                "Age of the newest row a freshness rule saw.",
                &["check", "rule"],
            ),
            shown: Mutex::new(HashMap::new()),
        }
    }

    /// Shows a check's latest integrity result. A rule that errored keeps
    /// its previous figures; only its status changes.
    pub fn show(&self, check: &str, d: &IntegrityDetails) {
        let mut now = Shown::default();
        for r in &d.rules {
            now.rules.insert((r.name.clone(), r.kind));
            now.fields
                .extend(r.fields.iter().map(|f| (r.name.clone(), f.field.clone())));
            self.show_rule(check, r);
        }
        let Ok(mut shown) = self.shown.lock() else {
            return;
        };
        if let Some(before) = shown.insert(check.to_string(), now) {
            let now = &shown[check];
            for (rule, kind) in before.rules.difference(&now.rules) {
                self.remove_rule(check, rule, *kind);
            }
            for (rule, field) in before.fields.difference(&now.fields) {
                let _ = self.completeness.remove_label_values(&[check, rule, field]);
            }
        }
    }

    fn show_rule(&self, check: &str, r: &RuleResult) {
        let kind = r.kind.as_str();
        for o in [Outcome::Pass, Outcome::Fail, Outcome::Error] {
            self.status
                .with_label_values(&[check, &r.name, kind, o.as_str()])
                .set(i64::from(o == r.status));
        }
        if r.status == Outcome::Error {
            return;
        }
        let labels = [check, r.name.as_str(), kind];
        if let Some(n) = r.problems {
            self.problems.with_label_values(&labels).set(n);
        }
        if let Some(n) = r.rows_checked {
            self.rows_checked.with_label_values(&labels).set(n);
        }
        for f in &r.fields {
            self.completeness
                .with_label_values(&[check, &r.name, &f.field])
                .set(f.ratio);
        }
        if let Some(n) = r.records_involved {
            self.duplicate_records
                .with_label_values(&[check, &r.name])
                .set(n);
        }
        if let Some(n) = r.review_pairs {
            self.review_pairs
                .with_label_values(&[check, &r.name])
                .set(n);
        }
        if let Some(c) = &r.migration_classes {
            for (class, n) in classes(c) {
                self.migration_classes
                    .with_label_values(&[check, &r.name, class])
                    .set(n);
            }
        }
        if r.kind == RuleKind::Freshness {
            match r.age_seconds {
                Some(age) => self
                    .newest_age
                    .with_label_values(&[check, &r.name])
                    .set(age as f64),
                // No rows at all: no age to show.
                None => {
                    let _ = self.newest_age.remove_label_values(&[check, &r.name]);
                }
            }
        }
    }

    fn remove_rule(&self, check: &str, rule: &str, kind: RuleKind) {
        let labels = [check, rule, kind.as_str()];
        let _ = self.problems.remove_label_values(&labels);
        let _ = self.rows_checked.remove_label_values(&labels);
        for o in [Outcome::Pass, Outcome::Fail, Outcome::Error] {
            let _ = self
                .status
                .remove_label_values(&[check, rule, kind.as_str(), o.as_str()]);
        }
        let _ = self.duplicate_records.remove_label_values(&[check, rule]);
        let _ = self.review_pairs.remove_label_values(&[check, rule]);
        for class in CLASSES {
            let _ = self
                .migration_classes
                .remove_label_values(&[check, rule, class]);
        }
        let _ = self.newest_age.remove_label_values(&[check, rule]);
    }

    /// Clears every series, before they are refilled for a new config.
    pub fn reset(&self) {
        for g in [
            &self.problems,
            &self.rows_checked,
            &self.status,
            &self.duplicate_records,
            &self.review_pairs,
            &self.migration_classes,
        ] {
            g.reset();
        }
        self.completeness.reset();
        self.newest_age.reset();
        if let Ok(mut shown) = self.shown.lock() {
            shown.clear();
        }
    }
}

/// The `class` label's closed set.
const CLASSES: [&str; 4] = [
    "created_by_migration",
    "pre_existing",
    "since_go_live",
    "overlays",
];

/// A rule's classes as label and count; overlays only when compared.
fn classes(c: &MigrationClasses) -> impl Iterator<Item = (&'static str, i64)> {
    let pairs = [c.created_by_migration, c.pre_existing, c.since_go_live];
    CLASSES
        .into_iter()
        .zip(pairs.into_iter().map(Some).chain([c.overlays]))
        .filter_map(|(class, n)| Some((class, n?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::FieldCompleteness;

    fn details(rules: &[(&str, RuleKind, Outcome, i64)]) -> IntegrityDetails {
        IntegrityDetails {
            by_clinic: Default::default(),
            rules: rules
                .iter()
                .map(|(name, kind, status, problems)| {
                    let mut r = RuleResult::new(name, *kind, "0".into());
                    r.status = *status;
                    r.problems = Some(*problems);
                    r.rows_checked = Some(100);
                    if *kind == RuleKind::Completeness {
                        r.fields = vec![FieldCompleteness {
                            field: "given".into(),
                            missing: 1,
                            ratio: 0.99,
                            below_threshold: true,
                        }];
                    }
                    r
                })
                .collect(),
        }
    }

    fn render(reg: &Registry) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(&reg.gather())
            .unwrap_or_default()
    }

    #[test]
    fn errored_rules_keep_their_figures_and_gone_rules_are_removed() {
        let reg = Registry::new();
        let m = IntegrityMetrics::new(&reg);
        m.show(
            "c",
            &details(&[
                ("orphans", RuleKind::Orphans, Outcome::Fail, 7),
                ("complete", RuleKind::Completeness, Outcome::Fail, 1),
            ]),
        );
        let text = render(&reg);
        assert!(text.contains(
            r#"hypercare_integrity_problems{check="c",kind="orphans",rule="orphans"} 7"#
        ));
        assert!(text.contains(
            r#"hypercare_integrity_completeness_ratio{check="c",field="given",rule="complete"} 0.99"#
        ));
        m.show(
            "c",
            &details(&[("orphans", RuleKind::Orphans, Outcome::Error, 0)]),
        );
        let text = render(&reg);
        assert!(
            text.contains(
                r#"hypercare_integrity_problems{check="c",kind="orphans",rule="orphans"} 7"#
            ),
            "{text}"
        );
        assert!(text.contains(
            r#"hypercare_integrity_rule_status{check="c",kind="orphans",rule="orphans",status="error"} 1"#
        ));
        assert!(!text.contains("rule=\"complete\""), "{text}");
    }

    #[test]
    fn migration_classes_are_counts_by_class() {
        let reg = Registry::new();
        let m = IntegrityMetrics::new(&reg);
        let mut d = details(&[("dups", RuleKind::ProbableDuplicates, Outcome::Fail, 3)]);
        d.rules[0].migration_classes = Some(MigrationClasses {
            created_by_migration: 2,
            pre_existing: 3,
            since_go_live: 1,
            overlays: Some(4),
            sample_overlays: vec!["17".into()],
        });
        m.show("c", &d);
        let text = render(&reg);
        for (class, n) in [
            ("created_by_migration", 2),
            ("pre_existing", 3),
            ("since_go_live", 1),
            ("overlays", 4),
        ] {
            let line = format!(
                r#"hypercare_integrity_migration_classes{{check="c",class="{class}",rule="dups"}} {n}"#
            );
            assert!(text.contains(&line), "{text}");
        }
        assert!(!text.contains("17"), "no record key in a metric: {text}");
        m.show("c", &details(&[]));
        assert!(!render(&reg).contains("migration_classes{"));
    }
}
