//! Staff signals per clinic, read by the scorecard (and so the status page
//! and the digests) and by the known-issue gauges:
//! - training signals: reports in the training category and "affects me
//!   too" taps on issues marked as training, per role, in the latest seven
//!   days against the seven before;
//! - fixed known issues the clinic still works around: its taps and
//!   workaround reports later than the fix plus `known_fixed_grace`
//!   (usually a training gap: staff kept the habit after the fix).
//!
//! Counts, config names and stored (redacted) titles only.

use serde::{Deserialize, Serialize};

use crate::store::{LateRow, Store, StoreError, TrainingRow};

/// The feedback category whose reports are training signals.
pub const TRAINING_CATEGORY: &str = "training";
/// A week: signals compare the latest seven days with the seven before.
pub const WEEK_MS: i64 = 7 * 86_400_000;

/// What a round reads for every clinic at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffFacts {
    pub training: Vec<TrainingRow>,
    pub late: Vec<LateRow>,
}

impl StaffFacts {
    pub async fn load(store: &Store, now_ms: i64, grace_ms: i64) -> Result<StaffFacts, StoreError> {
        let to = now_ms.saturating_add(1);
        let window = (to - 2 * WEEK_MS, to - WEEK_MS, to);
        Ok(StaffFacts {
            training: store.training_signals(window, TRAINING_CATEGORY).await?,
            late: store.known_worked_around_after_fix(grace_ms).await?,
        })
    }

    /// One clinic's signals.
    pub fn clinic(&self, clinic: &str) -> StaffSignals {
        let mut training: Vec<TrainingSignal> = Vec::new();
        for r in self
            .training
            .iter()
            .filter(|r| r.clinic.as_deref() == Some(clinic))
        {
            let i = match training.iter().position(|t| t.role == r.role) {
                Some(i) => i,
                None => {
                    training.push(TrainingSignal::new(&r.role));
                    training.len() - 1
                }
            };
            let t = &mut training[i];
            let (reports, taps) = (count(r.reports), count(r.taps));
            if r.this_week == 1 {
                (t.reports, t.taps) = (reports, taps);
            } else {
                (t.reports_before, t.taps_before) = (reports, taps);
            }
        }
        let worked_around = self
            .late
            .iter()
            .filter(|r| r.clinic == clinic)
            .map(|r| WorkedAround {
                issue: r.issue_id,
                title: r.title.clone(),
                fixed_ms: r.fixed_ms,
                signals: count(r.signals),
                last_ms: r.last_ms,
            })
            .collect();
        StaffSignals {
            training,
            worked_around,
        }
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Training signals of one role at a clinic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingSignal {
    pub role: String,
    /// Training reports in the latest seven days, and the seven before.
    pub reports: u64,
    pub reports_before: u64,
    /// Taps on training issues in the latest seven days, and the seven before.
    pub taps: u64,
    pub taps_before: u64,
}

impl TrainingSignal {
    fn new(role: &str) -> TrainingSignal {
        TrainingSignal {
            role: role.to_string(),
            ..TrainingSignal::default()
        }
    }

    /// "front desk at east: 6 training reports this week, up from 2; 1
    /// tap on training issues, new this week".
    pub fn words(&self, clinic: &str) -> String {
        let mut s = format!("{} at {clinic}: ", self.role.replace('_', " "));
        s.push_str(&trend(self.reports, self.reports_before, "training report"));
        if self.taps + self.taps_before > 0 {
            s.push_str("; ");
            s.push_str(&trend(
                self.taps,
                self.taps_before,
                "tap on training issues",
            ));
        }
        s
    }
}

/// "6 training reports this week, up from 2".
fn trend(now: u64, before: u64, what: &str) -> String {
    let noun = plural(now, what);
    let change = match now.cmp(&before) {
        std::cmp::Ordering::Greater => format!("up from {before}"),
        std::cmp::Ordering::Less => format!("down from {before}"),
        std::cmp::Ordering::Equal => "as many as the week before".to_string(),
    };
    format!("{now} {noun} this week, {change}")
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        return what.to_string();
    }
    match what.split_once(' ') {
        // "tap on training issues" → "taps on training issues".
        Some((head, tail)) if what.starts_with("tap ") => format!("{head}s {tail}"),
        _ => format!("{what}s"),
    }
}

/// A fixed issue this clinic still works around.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkedAround {
    pub issue: i64,
    /// Stored redacted.
    pub title: String,
    pub fixed_ms: i64,
    /// Taps and workaround reports from the clinic after the fix's grace.
    pub signals: u64,
    pub last_ms: i64,
}

impl WorkedAround {
    /// "#2 Claims did not reach the clearinghouse: fixed 10 days ago; 3
    /// taps or workaround reports since" (shown under "fixed, but staff
    /// still work around it").
    pub fn words(&self, now_ms: i64) -> String {
        let days = now_ms.saturating_sub(self.fixed_ms) / 86_400_000;
        let ago = match days {
            0 => "today".to_string(),
            1 => "1 day ago".to_string(),
            d => format!("{d} days ago"),
        };
        format!(
            "#{} {}: fixed {ago}; {} {} since",
            self.issue,
            self.title,
            self.signals,
            if self.signals == 1 {
                "tap or workaround report"
            } else {
                "taps or workaround reports"
            }
        )
    }
}

/// A clinic's staff signals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSignals {
    /// Per role with any signal in the two weeks, by role id.
    pub training: Vec<TrainingSignal>,
    pub worked_around: Vec<WorkedAround>,
}

impl StaffSignals {
    pub fn is_empty(&self) -> bool {
        self.training.is_empty() && self.worked_around.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        clinic: Option<&str>,
        role: &str,
        this_week: i64,
        reports: i64,
        taps: i64,
    ) -> TrainingRow {
        TrainingRow {
            clinic: clinic.map(str::to_string),
            role: role.into(),
            this_week,
            reports,
            taps,
        }
    }

    #[test]
    fn each_role_of_a_clinic_compares_this_week_with_the_last() {
        let facts = StaffFacts {
            training: vec![
                row(Some("east"), "front_desk", 0, 2, 0),
                row(Some("east"), "front_desk", 1, 6, 1),
                row(Some("east"), "nurse", 0, 3, 2),
                row(Some("north"), "nurse", 1, 9, 9),
                row(None, "nurse", 1, 4, 0),
            ],
            late: Vec::new(),
        };
        let east = facts.clinic("east");
        let words: Vec<String> = east.training.iter().map(|t| t.words("east")).collect();
        assert_eq!(
            words,
            [
                "front desk at east: 6 training reports this week, up from 2; 1 tap on training issues this week, up from 0",
                "nurse at east: 0 training reports this week, down from 3; 0 taps on training issues this week, down from 2",
            ]
        );
        assert!(facts.clinic("south").is_empty());
        let same = TrainingSignal {
            role: "billing".into(),
            reports: 1,
            reports_before: 1,
            ..TrainingSignal::default()
        };
        assert_eq!(
            same.words("north"),
            "billing at north: 1 training report this week, as many as the week before"
        );
    }

    #[test]
    fn a_fixed_issue_is_worked_around_only_where_staff_still_tap_it() {
        let day = 86_400_000;
        let facts = StaffFacts {
            training: Vec::new(),
            late: vec![LateRow {
                issue_id: 2,
                title: "Claims did not reach the clearinghouse".into(),
                clinic: "north".into(),
                fixed_ms: 0,
                signals: 3,
                last_ms: 9 * day,
            }],
        };
        assert!(facts.clinic("east").worked_around.is_empty());
        let north = facts.clinic("north");
        assert_eq!(
            north.worked_around[0].words(10 * day + 5),
            "#2 Claims did not reach the clearinghouse: fixed 10 days ago; 3 taps or workaround reports since"
        );
    }
}
