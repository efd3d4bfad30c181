//! Feedback metrics, typed, on the application's registry.
//!
//! Counters count what this process accepted (sum them across replicas);
//! the open-items gauge is read from the store, so every replica shows the
//! same value. Labels are config names (clinic, category) and closed sets.

use prometheus::{IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry};

use super::model::{NO_CLINIC, Severity, Status};
use super::phi::Kind;
use crate::config::{Clinic, FeedbackConfig};

/// Why a submission was not stored (`hypercare_feedback_rejected_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Csrf,
    RateLimited,
    Invalid,
    StoreError,
}

impl Rejection {
    const ALL: [Rejection; 4] = [
        Rejection::Csrf,
        Rejection::RateLimited,
        Rejection::Invalid,
        Rejection::StoreError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::Csrf => "csrf",
            Rejection::RateLimited => "rate_limited",
            Rejection::Invalid => "invalid",
            Rejection::StoreError => "store_error",
        }
    }
}

#[derive(Clone)]
pub struct FeedbackMetrics {
    submissions: IntCounterVec,
    workarounds: IntCounterVec,
    open: IntGaugeVec,
    rejected: IntCounterVec,
    phi_warnings: IntCounter,
    redactions: IntCounterVec,
    transitions: IntCounterVec,
}

fn counter(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<IntCounterVec> {
    IntCounterVec::new(Opts::new(name, help), labels)
}

impl FeedbackMetrics {
    /// Builds the collectors and registers them on `registry`.
    pub fn new(registry: &Registry) -> prometheus::Result<FeedbackMetrics> {
        let m = FeedbackMetrics {
            submissions: counter(
                "hypercare_feedback_submissions_total",
                "Feedback reports stored by this process.",
                &["clinic", "category", "severity"],
            )?,
            workarounds: counter(
                "hypercare_feedback_workarounds_total",
                "Stored reports whose reporter had to use a manual workaround.",
                &["clinic", "category"],
            )?,
            open: IntGaugeVec::new(
                Opts::new(
                    "hypercare_feedback_open",
                    "Reports not yet resolved, by severity (read from the store).",
                ),
                &["severity"],
            )?,
            rejected: counter(
                "hypercare_feedback_rejected_total",
                "Form submissions not stored, by reason.",
                &["reason"],
            )?,
            phi_warnings: IntCounter::new(
                "hypercare_feedback_phi_warnings_total",
                "Forms shown back to the reporter because the text looked like it held patient identifiers.",
            )?,
            redactions: counter(
                "hypercare_feedback_redactions_total",
                "Likely patient identifiers removed from stored reports, by kind.",
                &["kind"],
            )?,
            transitions: counter(
                "hypercare_feedback_transitions_total",
                "Triage status changes made through this process, by new status.",
                &["status"],
            )?,
        };
        for c in [
            &m.submissions,
            &m.workarounds,
            &m.rejected,
            &m.redactions,
            &m.transitions,
        ] {
            registry.register(Box::new(c.clone()))?;
        }
        registry.register(Box::new(m.phi_warnings.clone()))?;
        registry.register(Box::new(m.open.clone()))?;
        for s in Severity::ALL {
            m.open.with_label_values(&[s.as_str()]).set(0);
        }
        Ok(m)
    }

    /// Shows every series whose labels the config names at 0, so a fresh
    /// site's panels read 0 rather than "No data" until the first report.
    pub fn show_known(&self, config: &FeedbackConfig, clinics: &[Clinic]) {
        let clinics: Vec<&str> = if clinics.is_empty() {
            vec![NO_CLINIC]
        } else {
            clinics.iter().map(|c| c.id.as_str()).collect()
        };
        for clinic in &clinics {
            for category in &config.categories {
                let category = category.id.as_str();
                for s in Severity::ALL {
                    self.submissions
                        .with_label_values(&[clinic, category, s.as_str()])
                        .inc_by(0);
                }
                self.workarounds
                    .with_label_values(&[clinic, category])
                    .inc_by(0);
            }
        }
        for r in Rejection::ALL {
            self.rejected.with_label_values(&[r.as_str()]).inc_by(0);
        }
        for k in Kind::ALL {
            self.redactions.with_label_values(&[k.as_str()]).inc_by(0);
        }
        for s in Status::ALL {
            self.transitions.with_label_values(&[s.as_str()]).inc_by(0);
        }
    }

    pub fn count_submission(
        &self,
        clinic: &str,
        category: &str,
        severity: Severity,
        workaround: bool,
    ) {
        self.submissions
            .with_label_values(&[clinic, category, severity.as_str()])
            .inc();
        if workaround {
            self.workarounds
                .with_label_values(&[clinic, category])
                .inc();
        }
        self.open.with_label_values(&[severity.as_str()]).inc();
    }

    pub fn count_rejection(&self, why: Rejection) {
        self.rejected.with_label_values(&[why.as_str()]).inc();
    }

    pub fn count_phi_warning(&self) {
        self.phi_warnings.inc();
    }

    pub fn count_redaction(&self, kind: Kind) {
        self.redactions.with_label_values(&[kind.as_str()]).inc();
    }

    pub fn count_transition(&self, to: &str) {
        self.transitions.with_label_values(&[to]).inc();
    }

    /// Sets the open gauge from store counts; severities absent there are 0.
    pub fn show_open(&self, counts: &[(String, i64)]) {
        for s in Severity::ALL {
            let n = counts
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map_or(0, |(_, n)| *n);
            self.open.with_label_values(&[s.as_str()]).set(n);
        }
    }
}
