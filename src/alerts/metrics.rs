//! Alert metrics: how many instances are pending, firing or silenced (read
//! from the store, the same on every replica) and the transitions this
//! process made. Labels: rule names (config) and closed sets.

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

use crate::store::AlertState;

#[derive(Clone)]
pub struct AlertMetrics {
    alerts: IntGaugeVec,
    transitions: IntCounterVec,
    intervals: prometheus::GaugeVec,
}

/// States shown by `hypercare_alerts`.
pub const SHOWN_STATES: [&str; 3] = ["pending", "firing", "silenced"];

impl AlertMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<AlertMetrics> {
        let m = AlertMetrics {
            alerts: IntGaugeVec::new(
                Opts::new(
                    "hypercare_alerts",
                    "Alert instances by rule, severity and state (pending, firing, silenced = firing but silenced).",
                ),
                &["alertname", "severity", "state"],
            )?,
            transitions: IntCounterVec::new(
                Opts::new(
                    "hypercare_alert_transitions_total",
                    "Alert state changes made by this process, by rule and new state.",
                ),
                &["alertname", "to"],
            )?,
            intervals: prometheus::GaugeVec::new(
                Opts::new(
                    "hypercare_check_schedule_interval_seconds",
                    "Time between two scheduled runs of each enabled check (for staleness rules).",
                ),
                &["check", "kind"],
            )?,
        };
        registry.register(Box::new(m.intervals.clone()))?;
        registry.register(Box::new(m.alerts.clone()))?;
        registry.register(Box::new(m.transitions.clone()))?;
        Ok(m)
    }

    /// Shows each enabled check's schedule interval.
    pub fn show_intervals(&self, checks: &[(String, String, Option<i64>)]) {
        self.intervals.reset();
        for (check, kind, interval_ms) in checks {
            if let Some(ms) = interval_ms {
                self.intervals
                    .with_label_values(&[check.as_str(), kind.as_str()])
                    .set(*ms as f64 / 1000.0);
            }
        }
    }

    /// Shows each configured rule's transition counters at 0.
    pub fn known_rules<'a>(&self, names: impl Iterator<Item = &'a str>) {
        for name in names {
            for to in [
                AlertState::Pending,
                AlertState::Firing,
                AlertState::Resolved,
                AlertState::Inactive,
            ] {
                self.transitions
                    .with_label_values(&[name, to.as_str()])
                    .inc_by(0);
            }
        }
    }

    pub fn count_transition(&self, alertname: &str, to: &str) {
        self.transitions.with_label_values(&[alertname, to]).inc();
    }

    /// Replaces the gauge with `(alertname, severity, state) → count` for every rule.
    pub fn show(
        &self,
        rules: &[(String, String)],
        counts: &[((String, String, &'static str), i64)],
    ) {
        self.alerts.reset();
        for (name, severity) in rules {
            for state in SHOWN_STATES {
                self.alerts
                    .with_label_values(&[name, severity, state])
                    .set(0);
            }
        }
        for ((name, severity, state), n) in counts {
            self.alerts
                .with_label_values(&[name.as_str(), severity.as_str(), state])
                .set(*n);
        }
    }
}
