//! The rules in force: the configured `[[alerts]]` plus the default rules,
//! and the alert instances they make for the configured checks.
//!
//! Default rules (unless `[alerting] default_rules = false`), each replaced
//! by a configured rule of the same name:
//! - `check_failing`: any check whose latest run failed or errored;
//! - `check_stale`: any check that has not finished a run for
//!   `stale_after_runs` schedule intervals;
//! - `reconcile_discrepancy`: a reconcile check whose latest run found more
//!   than `discrepancy_threshold` discrepant records;
//! - `handoff_stuck`: a handoff check whose latest run found items stuck
//!   past their deadline;
//! - `feedback_blockers`: `blocker_threshold` or more "blocks my work"
//!   reports created within `blocker_window`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Name;
use crate::config::alerts::{AlertRuleConfig, AlertingConfig, Annotations, Condition, Severity};
use crate::config::checks::{CheckKind, CheckMeta};
use crate::derive::scorecard::ROLLBACK_ALERT;

/// What a rule's instance watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRef {
    pub name: String,
    pub kind: CheckKind,
    /// The time between two of its scheduled runs, for staleness.
    pub interval_ms: Option<i64>,
    /// A check attributed to clinics: the configured clinic ids and
    /// `_unassigned`, one discrepancy instance each; empty: one instance.
    pub clinics: Vec<String>,
}

impl CheckRef {
    /// From a configured check, its interval taken at `now`.
    pub fn new(meta: &CheckMeta, now: chrono::DateTime<chrono::Utc>) -> CheckRef {
        CheckRef {
            name: meta.name.to_string(),
            kind: meta.kind,
            interval_ms: meta.interval_ms(now),
            clinics: Vec::new(),
        }
    }
}

/// One alert instance to evaluate: a rule, applied to one check (or to feedback).
#[derive(Debug, Clone)]
pub struct Target {
    pub rule: Arc<AlertRuleConfig>,
    pub check: Option<CheckRef>,
    pub labels: BTreeMap<String, String>,
    /// `alertname{k="v",…}`: the instance's key in the store.
    pub fingerprint: String,
}

fn default_rule(
    name: &str,
    condition: Condition,
    kind: Option<&str>,
    g: &AlertingConfig,
    severity: Severity,
    summary: &str,
) -> Option<AlertRuleConfig> {
    Some(AlertRuleConfig {
        name: Name::parse(name).ok()?,
        condition,
        checks: Vec::new(),
        kind: kind.map(str::to_string),
        pending_for: g.default_for,
        severity,
        labels: BTreeMap::new(),
        annotations: Annotations {
            summary: Some(summary.to_string()),
            ..Default::default()
        },
        notify: g.default_notify.clone(),
    })
}

/// The default rules for this `[alerting]` section.
pub fn default_rules(g: &AlertingConfig) -> Vec<AlertRuleConfig> {
    if !g.default_rules {
        return Vec::new();
    }
    [
        default_rule(
            "check_failing",
            Condition::Status,
            None,
            g,
            Severity::Critical,
            "Check {check} ({kind}): its latest run failed or could not finish",
        ),
        default_rule(
            "check_stale",
            Condition::Stale {
                after: None,
                runs: g.stale_after_runs,
            },
            None,
            g,
            Severity::Warning,
            "Check {check} ({kind}) has not finished a run for {value} seconds",
        ),
        default_rule(
            "reconcile_discrepancy",
            Condition::Discrepancy {
                above: g.discrepancy_threshold,
            },
            Some("reconcile"),
            g,
            Severity::Warning,
            "Check {check}: {value} discrepant records (threshold {threshold})",
        ),
        default_rule(
            "handoff_stuck",
            Condition::Discrepancy { above: 0.0 },
            Some("handoff"),
            g,
            Severity::Warning,
            "Handoff {check}: {value} items have not arrived by their deadline",
        ),
        default_rule(
            "feedback_blockers",
            Condition::FeedbackBlockers {
                at_least: g.blocker_threshold,
                window: g.blocker_window,
            },
            None,
            g,
            Severity::Critical,
            "{value} staff reports of work blocked within {window}",
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Configured rules first; a default rule is dropped when one has its name.
pub fn all_rules(g: &AlertingConfig, configured: &[AlertRuleConfig]) -> Vec<Arc<AlertRuleConfig>> {
    let mut out: Vec<Arc<AlertRuleConfig>> = configured.iter().cloned().map(Arc::new).collect();
    for d in default_rules(g) {
        if !configured.iter().any(|r| r.name == d.name) {
            out.push(Arc::new(d));
        }
    }
    out
}

/// `name{k="v",…}` over sorted labels.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    let name = labels.get("alertname").map_or("", String::as_str);
    let rest: Vec<String> = labels
        .iter()
        .filter(|(k, _)| k.as_str() != "alertname")
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    format!("{name}{{{}}}", rest.join(","))
}

/// The instances of every rule over the enabled checks.
pub fn targets(rules: &[Arc<AlertRuleConfig>], checks: &[CheckRef]) -> Vec<Target> {
    let mut out = Vec::new();
    for rule in rules {
        let mut base = rule.labels.clone();
        base.insert("alertname".into(), rule.name.to_string());
        base.insert("severity".into(), rule.severity.as_str().into());
        if !rule.condition.per_check() {
            out.push(Target {
                rule: rule.clone(),
                check: None,
                fingerprint: fingerprint(&base),
                labels: base,
            });
            continue;
        }
        for check in checks {
            let named =
                rule.checks.is_empty() || rule.checks.iter().any(|n| n.as_str() == check.name);
            // The rule's `kind` as written in config, against the check's kind name.
            let kind_ok = rule
                .kind
                .as_deref()
                .is_none_or(|k| k == check.kind.as_str());
            if !(named && kind_ok) {
                continue;
            }
            let mut labels = base.clone();
            labels.insert("check".into(), check.name.clone());
            labels.insert("kind".into(), check.kind.as_str().into());
            out.extend(per_clinic(rule, check, labels));
        }
    }
    out
}

/// A rule's instances for one check: one per clinic for a discrepancy rule
/// on a check attributed to clinics (each judged on its clinic's slice, so
/// a clinic lead is alerted for the clinic's own records), else one.
fn per_clinic(
    rule: &Arc<AlertRuleConfig>,
    check: &CheckRef,
    labels: BTreeMap<String, String>,
) -> Vec<Target> {
    let target = |labels: BTreeMap<String, String>| Target {
        rule: rule.clone(),
        check: Some(check.clone()),
        fingerprint: fingerprint(&labels),
        labels,
    };
    let sliced =
        matches!(rule.condition, Condition::Discrepancy { .. }) && !check.clinics.is_empty();
    if !sliced {
        return vec![target(labels)];
    }
    check
        .clinics
        .iter()
        .map(|clinic| {
            let mut labels = labels.clone();
            labels.insert("clinic".into(), clinic.clone());
            target(labels)
        })
        .collect()
}

/// The built-in `rollback_decision_needed` instances: one per clinic of a
/// go-live wave and rollback trigger, page-level (critical), firing at once
/// while the stabilization room finds the trigger breached. The description
/// carries the trigger, the contingency owner and the escalation path.
pub fn rollback_targets(
    s: &crate::config::stabilization::StabilizationConfig,
    g: &AlertingConfig,
) -> Vec<Target> {
    use crate::config::stabilization::TriggerKind;
    let Ok(name) = Name::parse(ROLLBACK_ALERT) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for wave in &s.waves {
        for clinic in &wave.clinics {
            for t in &s.rollback {
                let what = match t.kind {
                    TriggerKind::MissingRecords { above } => {
                        format!(
                            "share of source records missing in the target {{value}} (trigger above {above})"
                        )
                    }
                    TriggerKind::DocumentAccessibility { below } => {
                        format!("share of documents accessible {{value}} (trigger below {below})")
                    }
                    TriggerKind::WorkflowFailing { for_ } => format!(
                        "a workflow failing for {{value}} seconds (trigger after {})",
                        humantime::format_duration(for_)
                    ),
                    TriggerKind::HandoffStuck { above } => {
                        format!("share of handoff events stuck {{value}} (trigger above {above})")
                    }
                };
                let rule = AlertRuleConfig {
                    name: name.clone(),
                    condition: Condition::Rollback,
                    checks: Vec::new(),
                    kind: None,
                    pending_for: std::time::Duration::ZERO,
                    severity: Severity::Critical,
                    labels: BTreeMap::new(),
                    annotations: Annotations {
                        summary: Some(format!(
                            "Rollback decision needed: clinic {clinic} (wave {}), trigger {}",
                            wave.name, t.name
                        )),
                        description: Some(format!(
                            "Within {} of go-live on {}: {what}. Evidence on the status page. \
                             Contingency owner: {}. Escalation: {}.",
                            humantime::format_duration(t.within),
                            wave.go_live,
                            s.contingency_owner,
                            s.escalation.join(" -> ")
                        )),
                        ..Default::default()
                    },
                    notify: g.default_notify.clone(),
                };
                let mut labels = BTreeMap::new();
                labels.insert("alertname".to_string(), name.to_string());
                labels.insert("severity".to_string(), "critical".to_string());
                labels.insert("clinic".to_string(), clinic.to_string());
                labels.insert("trigger".to_string(), t.name.to_string());
                out.push(Target {
                    rule: Arc::new(rule),
                    check: None,
                    fingerprint: fingerprint(&labels),
                    labels,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, kind: CheckKind) -> CheckRef {
        CheckRef {
            name: name.into(),
            kind,
            interval_ms: None,
            clinics: Vec::new(),
        }
    }

    #[test]
    fn default_rules_cover_every_check_and_discrepancy_only_reconcile() {
        let rules = all_rules(&AlertingConfig::default(), &[]);
        let t = targets(
            &rules,
            &[
                check("patients", CheckKind::Reconcile),
                check("visits", CheckKind::Workflow),
                check("billed", CheckKind::Handoff),
            ],
        );
        let names: Vec<&str> = t.iter().map(|t| t.fingerprint.as_str()).collect();
        assert!(
            names.contains(&r#"check_failing{check="visits",kind="workflow",severity="critical"}"#),
            "{names:?}"
        );
        assert!(names.contains(
            &r#"reconcile_discrepancy{check="patients",kind="reconcile",severity="warning"}"#
        ));
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with("reconcile_discrepancy{check=\"visits\""))
        );
        assert!(names.contains(&r#"feedback_blockers{severity="critical"}"#));
        assert!(
            names.contains(&r#"handoff_stuck{check="billed",kind="handoff",severity="warning"}"#)
        );
        assert_eq!(t.len(), 3 + 3 + 1 + 1 + 1);
    }

    #[test]
    fn the_discrepancy_rule_fires_per_clinic_on_a_check_attributed_to_clinics() {
        let rules = all_rules(&AlertingConfig::default(), &[]);
        let mut patients = check("patients", CheckKind::Reconcile);
        patients.clinics = vec!["east".into(), "north".into(), "_unassigned".into()];
        let t = targets(&rules, &[patients]);
        let names: Vec<&str> = t.iter().map(|t| t.fingerprint.as_str()).collect();
        assert!(names.contains(
            &r#"reconcile_discrepancy{check="patients",clinic="east",kind="reconcile",severity="warning"}"#
        ), "{names:?}");
        let discrepancy = names
            .iter()
            .filter(|n| n.starts_with("reconcile_discrepancy"))
            .count();
        assert_eq!(discrepancy, 3);
        // The other rules judge the check as a whole: one instance each.
        assert!(
            names.contains(
                &r#"check_failing{check="patients",kind="reconcile",severity="critical"}"#
            )
        );
    }
}
