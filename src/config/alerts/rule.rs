//! Reading an `[[alerts]]` rule: the keys of every condition, each checked
//! against the rule's `condition` (see `condition.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::de::Error;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::condition::{ConditionText, Window, condition};
use super::{AlertRuleConfig, Annotations, Condition, Severity};
use crate::config::de::recover;
use crate::config::refs::{self, declared};
use crate::config::{Name, is_identifier, values};

/// A rule as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleText {
    name: Name,
    condition: Spanned<String>,
    #[serde(default)]
    checks: Vec<Spanned<String>>,
    kind: Option<String>,
    threshold: Option<Spanned<f64>>,
    window: Option<Spanned<Window>>,
    long_window: Option<Spanned<Window>>,
    short_window: Option<Spanned<Window>>,
    objective: Option<Spanned<f64>>,
    stale_after: Option<Spanned<Window>>,
    #[serde(rename = "for", default, deserialize_with = "values::duration")]
    pending_for: Duration,
    #[serde(default)]
    severity: Option<SeverityText>,
    labels: Option<Spanned<BTreeMap<String, String>>>,
    summary: Option<String>,
    description: Option<String>,
    runbook_url: Option<Link>,
    dashboard_url: Option<Link>,
    #[serde(default)]
    notify: Vec<Spanned<String>>,
}

struct SeverityText(Severity);

impl<'de> Deserialize<'de> for SeverityText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        match Severity::parse(v.get_ref()) {
            Some(s) => Ok(SeverityText(s)),
            None => {
                let message = format!("`{}` is not a severity", v.get_ref());
                let hint = Some("use critical, warning or info");
                recover(v.span(), message, hint, SeverityText(Severity::Warning))
            }
        }
    }
}

/// A link sent with an alert (a runbook, a dashboard).
struct Link(String);

impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        if url::Url::parse(v.get_ref()).is_err() {
            let hint = Some("such as https://wiki.example.org/runbooks/drift");
            return recover(v.span(), "not a URL", hint, Link(String::new()));
        }
        Ok(Link(v.into_inner()))
    }
}

/// Labels a rule adds: label-safe names, none of those hypercare sets.
fn labels<E: Error>(
    raw: Option<Spanned<BTreeMap<String, String>>>,
) -> Result<BTreeMap<String, String>, E> {
    let Some(raw) = raw else {
        return Ok(BTreeMap::new());
    };
    let reserved = ["alertname", "severity", "check", "kind"];
    let bad =
        (raw.get_ref().keys()).find(|k| !is_identifier(k, false) || reserved.contains(&k.as_str()));
    if let Some(k) = bad {
        let message = format!("`{k}` cannot be a label name here");
        let hint = Some(
            "letters, digits and `_`, not starting with a digit; alertname, severity, check and kind are set by hypercare",
        );
        return recover(raw.span(), message, hint, BTreeMap::new());
    }
    Ok(raw.into_inner())
}

impl<'de> Deserialize<'de> for AlertRuleConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = refs::naming("alert", || RuleText::deserialize(d))?;
        let cond = condition::<D::Error>(ConditionText {
            condition: &t.condition,
            threshold: t.threshold,
            window: t.window,
            long_window: t.long_window,
            short_window: t.short_window,
            objective: t.objective,
            stale_after: t.stale_after,
        })?;
        let checks = declared::<D::Error>(
            &t.checks,
            |k| &k.checks,
            |n| (format!("no check is named `{n}`"), None),
        )?;
        if let (Condition::FeedbackBlockers { .. }, Some(ch)) = (&cond, t.checks.first()) {
            let message = "feedback_blockers rules watch feedback, not checks";
            recover::<(), D::Error>(ch.span(), message, None, ())?;
        }
        let notify = declared::<D::Error>(
            &t.notify,
            |k| &k.notifiers,
            |n| {
                let hint = Some("declare it as [notifiers.NAME]");
                (format!("no notifier is named `{n}`"), hint)
            },
        )?;
        Ok(AlertRuleConfig {
            name: t.name,
            condition: cond,
            checks,
            kind: t.kind,
            pending_for: t.pending_for,
            severity: t.severity.map_or(Severity::Warning, |s| s.0),
            labels: labels(t.labels)?,
            annotations: Annotations {
                summary: t.summary,
                description: t.description,
                runbook_url: t.runbook_url.map(|l| l.0),
                dashboard_url: t.dashboard_url.map(|l| l.0),
            },
            notify,
        })
    }
}
