//! Validating `[alerting]`, `[[alerts]]`, `[notifiers.NAME]`, `[smtp]`,
//! `[outbox]` and `[[silences]]`, and the names they refer to.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use toml::Spanned;

use super::super::alerts::{
    AlertRuleConfig, AlertingConfig, Annotations, Condition, NotifierConfig, Severity,
    SilenceConfig,
};
use super::super::errors::Collector;
use super::super::raw::{RawAlert, RawNotifier, RawSmtp, S};
use super::{Env, duration, name_at};
use crate::config::{AlertingSections, Name};

mod conditions;
mod delivery;
#[cfg(test)]
mod tests;

use conditions::condition;
use delivery::{notifier, smtp};

/// The alerting sections as written.
#[derive(Default)]
pub(in crate::config) struct RawAlertingSections {
    pub alerting: Option<AlertingConfig>,
    pub alerts: Vec<RawAlert>,
    pub notifiers: Vec<(Spanned<String>, Option<RawNotifier>)>,
    pub smtp: Option<RawSmtp>,
    pub outbox: Option<super::super::alerts::OutboxConfig>,
    pub silences: Option<Vec<SilenceConfig>>,
}

/// Builds the alerting config; `checks` holds every configured check name.
pub(in crate::config) fn alerting(
    c: &mut Collector,
    raw: RawAlertingSections,
    checks: &HashMap<String, ()>,
    env: Env,
) -> Option<AlertingSections> {
    let smtp = raw.smtp.map(|s| smtp(c, s, env));
    let has_smtp = smtp.as_ref().is_some_and(Option::is_some);
    let mut notifiers = BTreeMap::new();
    let declared: Vec<String> = raw
        .notifiers
        .iter()
        .map(|(n, _)| n.get_ref().clone())
        .collect();
    let mut ok = true;
    for (name, n) in raw.notifiers {
        let parsed = name_at(c, &name, "notifier");
        match (parsed, n.and_then(|n| notifier(c, &name, n, env, has_smtp))) {
            (Some(p), Some(n)) => {
                notifiers.insert(p.clone(), NotifierConfig { name: p, ..n });
            }
            _ => ok = false,
        }
    }
    let alerting = raw.alerting;
    let mut alerts = Vec::new();
    let mut names = HashMap::new();
    for r in raw.alerts {
        if names.insert(r.name.get_ref().clone(), ()).is_some() {
            c.at(
                r.name.span(),
                format!("alert `{}` is defined twice", r.name.get_ref()),
                Some("every rule needs its own name: it is the alertname label"),
            );
            ok = false;
        }
        let stale_runs = alerting.as_ref().map_or(3, |a| a.stale_after_runs);
        match rule(c, r, checks, &declared, stale_runs) {
            Some(r) => alerts.push(r),
            None => ok = false,
        }
    }
    let outbox = raw.outbox;
    let silences = raw.silences;
    if !ok {
        return None;
    }
    Some(AlertingSections {
        general: alerting?,
        rules: alerts,
        notifiers,
        smtp: match smtp {
            None => None,
            Some(s) => Some(s?),
        },
        outbox: outbox?,
        silences: silences?,
    })
}

fn notify_list(
    c: &mut Collector,
    raw: &Option<Vec<S<String>>>,
    declared: &[String],
) -> Option<Vec<Name>> {
    let mut out = Vec::new();
    let mut ok = true;
    for n in raw.iter().flatten() {
        if !declared.contains(n.get_ref()) {
            c.at(
                n.span(),
                format!("no notifier is named `{}`", n.get_ref()),
                Some("declare it as [notifiers.NAME]"),
            );
            ok = false;
        } else if let Some(name) = name_at(c, n, "notifier") {
            out.push(name);
        }
    }
    ok.then_some(out)
}

fn text(c: &mut Collector, v: &Option<S<String>>, url: bool) -> Option<Option<String>> {
    let Some(v) = v else { return Some(None) };
    if url && url::Url::parse(v.get_ref()).is_err() {
        c.at(
            v.span(),
            "not a URL",
            Some("such as https://wiki.example.org/runbooks/drift"),
        );
        return None;
    }
    Some(Some(v.get_ref().clone()))
}

fn labels(
    c: &mut Collector,
    raw: &Option<S<BTreeMap<String, String>>>,
) -> Option<BTreeMap<String, String>> {
    let Some(raw) = raw else {
        return Some(BTreeMap::new());
    };
    let reserved = ["alertname", "severity", "check", "kind"];
    for k in raw.get_ref().keys() {
        if !crate::config::is_identifier(k, false) || reserved.contains(&k.as_str()) {
            c.at(
                raw.span(),
                format!("`{k}` cannot be a label name here"),
                Some("letters, digits and `_`, not starting with a digit; alertname, severity, check and kind are set by hypercare"),
            );
            return None;
        }
    }
    Some(raw.get_ref().clone())
}

fn rule(
    c: &mut Collector,
    r: RawAlert,
    checks: &HashMap<String, ()>,
    declared: &[String],
    stale_runs: u32,
) -> Option<AlertRuleConfig> {
    let name = name_at(c, &r.name, "alert");
    let cond = condition(c, &r, stale_runs);
    let mut rule_checks = Vec::new();
    for ch in r.checks.iter().flatten() {
        if !checks.contains_key(ch.get_ref()) {
            c.at(
                ch.span(),
                format!("no check is named `{}`", ch.get_ref()),
                None,
            );
        } else if let Some(n) = name_at(c, ch, "check") {
            rule_checks.push(n);
        }
    }
    if let (Some(Condition::FeedbackBlockers { .. }), Some(ch)) =
        (&cond, r.checks.as_ref().and_then(|v| v.first()))
    {
        c.at(
            ch.span(),
            "feedback_blockers rules watch feedback, not checks",
            None,
        );
    }
    let pending_for = duration(c, &r.r#for, Duration::ZERO);
    let severity = match &r.severity {
        None => Some(Severity::Warning),
        Some(s) => Severity::parse(s.get_ref()).or_else(|| {
            c.at(
                s.span(),
                format!("`{}` is not a severity", s.get_ref()),
                Some("use critical, warning or info"),
            );
            None
        }),
    };
    let labels = labels(c, &r.labels);
    let annotations = (
        text(c, &r.summary, false),
        text(c, &r.description, false),
        text(c, &r.runbook_url, true),
        text(c, &r.dashboard_url, true),
    );
    let notify = notify_list(c, &r.notify, declared);
    let kind = r.kind.as_ref().map(|k| k.get_ref().clone());
    Some(AlertRuleConfig {
        name: name?,
        condition: cond?,
        checks: rule_checks,
        kind,
        pending_for: pending_for?,
        severity: severity?,
        labels: labels?,
        annotations: Annotations {
            summary: annotations.0?,
            description: annotations.1?,
            runbook_url: annotations.2?,
            dashboard_url: annotations.3?,
        },
        notify: notify?,
    })
}
