//! Known-issue metrics. Labels are config names (clinic, role) and the
//! closed set of statuses; never an issue's title or number. The gauges
//! are read from the store (every replica shows the same); the tap
//! counters count what this process recorded (sum them across replicas).

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

use super::model::KnownStatus;
use crate::feedback::model::NO_CLINIC;

#[derive(Clone)]
pub struct KnownMetrics {
    issues: IntGaugeVec,
    still_worked_around: IntGaugeVec,
    taps: IntCounterVec,
    training_taps: IntCounterVec,
    clinics: Vec<String>,
}

impl KnownMetrics {
    /// Registers the collectors and shows every configured series at 0.
    pub fn new(
        registry: &Registry,
        clinics: &[String],
        roles: &[String],
    ) -> prometheus::Result<KnownMetrics> {
        let m = KnownMetrics {
            issues: IntGaugeVec::new(
                Opts::new(
                    "hypercare_known_issues",
                    "Known issues affecting each clinic, by status (read from the store).",
                ),
                &["clinic", "status"],
            )?,
            still_worked_around: IntGaugeVec::new(
                Opts::new(
                    "hypercare_known_issues_still_worked_around",
                    "Known issues fixed longer ago than [feedback] known_fixed_grace that staff at the clinic still tap or report a workaround for.",
                ),
                &["clinic"],
            )?,
            taps: IntCounterVec::new(
                Opts::new(
                    "hypercare_known_issue_taps_total",
                    "\"This affects me too\" taps recorded by this process, by the issue's status when tapped.",
                ),
                &["clinic", "role", "status"],
            )?,
            training_taps: IntCounterVec::new(
                Opts::new(
                    "hypercare_known_issue_training_taps_total",
                    "Taps on known issues marked as a training gap.",
                ),
                &["clinic", "role"],
            )?,
            clinics: if clinics.is_empty() {
                vec![NO_CLINIC.to_string()]
            } else {
                clinics.to_vec()
            },
        };
        registry.register(Box::new(m.issues.clone()))?;
        registry.register(Box::new(m.still_worked_around.clone()))?;
        registry.register(Box::new(m.taps.clone()))?;
        registry.register(Box::new(m.training_taps.clone()))?;
        for c in &m.clinics {
            m.still_worked_around.with_label_values(&[c]).set(0);
            for s in KnownStatus::ALL {
                m.issues.with_label_values(&[c, s.as_str()]).set(0);
            }
            for r in roles {
                m.training_taps.with_label_values(&[c, r]).inc_by(0);
                for s in KnownStatus::ALL {
                    m.taps.with_label_values(&[c, r, s.as_str()]).inc_by(0);
                }
            }
        }
        Ok(m)
    }

    pub fn count_tap(&self, clinic: Option<&str>, role: &str, status: &str, training: bool) {
        let clinic = clinic.unwrap_or(NO_CLINIC);
        self.taps.with_label_values(&[clinic, role, status]).inc();
        if training {
            self.training_taps.with_label_values(&[clinic, role]).inc();
        }
    }

    /// Sets the gauges from (clinics, status, still worked around) per issue.
    pub fn show(&self, issues: &[(Vec<String>, String, bool)]) {
        for c in &self.clinics {
            let mine = || {
                issues
                    .iter()
                    .filter(|(cs, _, _)| cs.is_empty() || cs.contains(c))
            };
            for s in KnownStatus::ALL {
                let n = mine().filter(|(_, st, _)| st == s.as_str()).count();
                self.issues
                    .with_label_values(&[c, s.as_str()])
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            let late = mine().filter(|(_, _, late)| *late).count();
            self.still_worked_around
                .with_label_values(&[c])
                .set(i64::try_from(late).unwrap_or(i64::MAX));
        }
    }
}
