//! Known-issue metrics. Labels are config names (clinic, role) and the
//! closed set of statuses; never an issue's title or number. The gauges
//! are read from the store (every replica shows the same); the tap
//! counters count what this process recorded (sum them across replicas).

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

use super::model::KnownStatus;
use crate::derive::staff::StaffFacts;
use crate::feedback::model::NO_CLINIC;

/// The `signal` label of `hypercare_training_signals`.
const SIGNALS: [&str; 2] = ["report", "tap"];
/// The `week` label: the latest seven days, and the seven before.
const WEEKS: [&str; 2] = ["this", "last"];

#[derive(Clone)]
pub struct KnownMetrics {
    issues: IntGaugeVec,
    still_worked_around: IntGaugeVec,
    taps: IntCounterVec,
    training_taps: IntCounterVec,
    training: IntGaugeVec,
    clinics: Vec<String>,
    roles: Vec<String>,
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
                    "Known issues fixed longer ago than [feedback] known_fixed_grace that staff at this clinic still tap or report a workaround for after that grace (read from the store).",
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
            training: IntGaugeVec::new(
                Opts::new(
                    "hypercare_training_signals",
                    "Training signals per clinic and role: reports in the training category (signal=report) and taps on known issues marked as training (signal=tap), in the latest 7 days (week=this) and the 7 before (week=last); read from the store.",
                ),
                &["clinic", "role", "signal", "week"],
            )?,
            roles: roles.to_vec(),
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
        registry.register(Box::new(m.training.clone()))?;
        m.show_training(&StaffFacts::default());
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

    /// Sets the gauges: issues per clinic by status from (clinics, status)
    /// per issue; per clinic, fixed issues still worked around there and
    /// the training signals.
    pub fn show(&self, issues: &[(Vec<String>, String)], staff: &StaffFacts) {
        for c in &self.clinics {
            for s in KnownStatus::ALL {
                let n = issues
                    .iter()
                    .filter(|(cs, st)| (cs.is_empty() || cs.contains(c)) && st == s.as_str())
                    .count();
                self.issues
                    .with_label_values(&[c, s.as_str()])
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            let late = staff.late.iter().filter(|r| &r.clinic == c).count();
            self.still_worked_around
                .with_label_values(&[c])
                .set(i64::try_from(late).unwrap_or(i64::MAX));
        }
        self.show_training(staff);
    }

    /// Every configured clinic and role at its count (0 without signals);
    /// rows of clinics or roles no longer configured are not shown.
    fn show_training(&self, staff: &StaffFacts) {
        for c in &self.clinics {
            for r in &self.roles {
                for (w, week) in WEEKS.iter().enumerate() {
                    let this = i64::from(w == 0);
                    let row = staff.training.iter().find(|t| {
                        t.clinic.as_deref().unwrap_or(NO_CLINIC) == c
                            && &t.role == r
                            && t.this_week == this
                    });
                    let (reports, taps) = row.map_or((0, 0), |t| (t.reports, t.taps));
                    for (signal, n) in SIGNALS.iter().zip([reports, taps]) {
                        self.training
                            .with_label_values(&[c.as_str(), r.as_str(), signal, week])
                            .set(n);
                    }
                }
            }
        }
    }
}
