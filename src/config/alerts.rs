//! The typed alerting sections: `[alerting]` (evaluation and the default
//! rules), `[[alerts]]` (rules), `[notifiers.NAME]`, `[smtp]`, `[outbox]`
//! and `[[silences]]`.
//!
//! Rules name checks and kinds by their config names and string forms, so a
//! rule works on any check kind.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{CronSchedule, Name, values};

mod condition;
mod notifier;
mod outbox;
mod rule;
mod silence;
mod smtp;
#[cfg(test)]
mod tests;

pub(super) use notifier::NotifierText;
pub use notifier::{NotifierConfig, NotifierKind, WebhookFormat};
pub use outbox::OutboxConfig;
pub use smtp::{SmtpConfig, SmtpTls};

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertingConfig {
    /// How often every replica evaluates the rules.
    #[serde(deserialize_with = "at_least_1s")]
    pub evaluation_interval: Duration,
    /// Re-notify an alert still firing after this long (e-mail and webhooks).
    #[serde(deserialize_with = "values::duration")]
    pub repeat_interval: Duration,
    /// Re-post firing alerts to Alertmanager this often (their `endsAt` is
    /// set further out, so Alertmanager keeps them while hypercare lives).
    #[serde(deserialize_with = "at_least_1s")]
    pub resend_interval: Duration,
    /// Add the default rules (see [`default_rules`](crate::alerts::rules)).
    pub default_rules: bool,
    /// `for` of the default rules.
    #[serde(deserialize_with = "values::duration")]
    pub default_for: Duration,
    /// Notifiers of the default rules.
    #[serde(deserialize_with = "super::refs::notifier_refs")]
    pub default_notify: Vec<Name>,
    /// A check is stale when it has not run for this many schedule intervals.
    #[serde(deserialize_with = "values::positive")]
    pub stale_after_runs: u32,
    /// Default reconcile rule: fires above this many discrepant records.
    #[serde(deserialize_with = "records")]
    pub discrepancy_threshold: f64,
    /// Default feedback rule: blocking reports at or above this count…
    #[serde(deserialize_with = "values::positive")]
    pub blocker_threshold: u32,
    /// …created within this window.
    #[serde(deserialize_with = "values::duration")]
    pub blocker_window: Duration,
    /// Send a notification when an alert resolves.
    pub send_resolved: bool,
}

fn at_least_1s<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    values::duration_at_least(d, Duration::from_secs(1), "must be at least 1s", None)
}

/// A number of records: finite, 0 or more.
fn records<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = <toml::Spanned<f64> as serde::Deserialize>::deserialize(d)?;
    if !(v.get_ref().is_finite() && *v.get_ref() >= 0.0) {
        let message = "must be a number of records, 0 or more";
        return super::de::recover(v.span(), message, None, 0.0);
    }
    Ok(v.into_inner())
}

impl Default for AlertingConfig {
    fn default() -> Self {
        AlertingConfig {
            evaluation_interval: Duration::from_secs(15),
            repeat_interval: Duration::from_secs(4 * 3600),
            resend_interval: Duration::from_secs(60),
            default_rules: true,
            default_for: Duration::from_secs(300),
            default_notify: Vec::new(),
            stale_after_runs: 3,
            discrepancy_threshold: 0.0,
            blocker_threshold: 3,
            blocker_window: Duration::from_secs(3600),
            send_resolved: true,
        }
    }
}

/// How bad an alert is: a closed set, used as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What an alert rule watches.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The latest run's outcome is `fail` or `error`.
    Status,
    /// The latest run found more than `above` discrepant records.
    Discrepancy { above: f64 },
    /// The share of failed or errored runs within `window` is above `above` (0–1).
    FailureRatio { above: f64, window: Duration },
    /// Workflow SLO burn rate above `threshold` over both windows.
    BurnRate {
        objective: f64,
        long_window: Duration,
        short_window: Duration,
        threshold: f64,
    },
    /// Blocking feedback reports created within `window`, at least `at_least`.
    FeedbackBlockers { at_least: u32, window: Duration },
    /// The check has not finished a run for `after` (or `runs` schedule intervals).
    Stale { after: Option<Duration>, runs: u32 },
    /// Built in, not configurable: a `[stabilization]` rollback trigger is
    /// breached for a clinic (one instance per clinic and trigger).
    Rollback,
}

impl Condition {
    pub fn as_str(&self) -> &'static str {
        match self {
            Condition::Status => "status",
            Condition::Discrepancy { .. } => "discrepancy",
            Condition::FailureRatio { .. } => "failure_ratio",
            Condition::BurnRate { .. } => "burn_rate",
            Condition::FeedbackBlockers { .. } => "feedback_blockers",
            Condition::Stale { .. } => "stale",
            Condition::Rollback => "rollback",
        }
    }

    /// Whether the rule is about checks (one instance per check) rather than feedback.
    pub fn per_check(&self) -> bool {
        !matches!(
            self,
            Condition::FeedbackBlockers { .. } | Condition::Rollback
        )
    }
}

/// Texts sent with an alert: config text only, never record values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations {
    pub summary: Option<String>,
    pub description: Option<String>,
    pub runbook_url: Option<String>,
    pub dashboard_url: Option<String>,
}

/// One `[[alerts]]` rule (or a default one).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRuleConfig {
    /// The alert's name (`alertname` label).
    pub name: Name,
    pub condition: Condition,
    /// The checks it watches; empty means every check (of `kind`, if set).
    pub checks: Vec<Name>,
    /// Only checks of this kind (`reconcile`, `integrity`, `documents`, `workflow`…).
    pub kind: Option<String>,
    /// How long the condition must hold before the alert fires.
    pub pending_for: Duration,
    pub severity: Severity,
    pub labels: BTreeMap<String, String>,
    pub annotations: Annotations,
    pub notify: Vec<Name>,
}

/// The outbox channel of every e-mail (recipients travel in the payload).
pub const SMTP_CHANNEL: &str = "smtp";

/// When a silence holds.
#[derive(Debug, Clone)]
pub enum SilenceWhen {
    Once {
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
    },
    /// From each cron time for `duration` (a maintenance window).
    Recurring {
        cron: Box<CronSchedule>,
        duration: Duration,
    },
}

impl PartialEq for SilenceWhen {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                SilenceWhen::Once { starts, ends },
                SilenceWhen::Once {
                    starts: s2,
                    ends: e2,
                },
            ) => starts == s2 && ends == e2,
            (
                SilenceWhen::Recurring { cron, duration },
                SilenceWhen::Recurring {
                    cron: c2,
                    duration: d2,
                },
            ) => cron.text == c2.text && duration == d2,
            _ => false,
        }
    }
}

/// A `[[silences]]` entry: alerts matching `alertname` (if set) and every
/// label in `labels` send nothing while it holds; they still show, marked.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceConfig {
    pub alertname: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub when: SilenceWhen,
    pub comment: String,
}
