//! What the scorecard concludes, in types the stabilization room, the
//! status page, the digests and the metrics share. Counts, shares and
//! config names only.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A criterion's verdict. Without data to judge, `Unknown`, never `Met`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum State {
    Met,
    NotMet,
    Unknown,
}

impl State {
    pub const ALL: &[State] = <State as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn words(self) -> &'static str {
        match self {
            State::Met => "met",
            State::NotMet => "not met",
            State::Unknown => "unknown (no data yet)",
        }
    }

    /// Combines clinics: any not met → not met; any unknown → unknown.
    pub fn combine(states: impl IntoIterator<Item = State>) -> State {
        let mut out = State::Met;
        let mut any = false;
        for s in states {
            any = true;
            match s {
                State::NotMet => return State::NotMet,
                State::Unknown => out = State::Unknown,
                State::Met => {}
            }
        }
        if any { out } else { State::Unknown }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionState {
    pub name: String,
    pub state: State,
    /// The figure judged (a share, a ratio, a count of days or reports).
    pub value: Option<f64>,
    /// Plain words: what was measured against what.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerState {
    pub name: String,
    /// Within the trigger's window after go-live.
    pub armed: bool,
    pub breached: bool,
    pub value: Option<f64>,
    /// What was found, in plain words, with check names and counts.
    pub evidence: String,
}

/// Figures shown per clinic, compared digest to digest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Records differing between legacy and target in the latest keyed or count runs.
    pub discrepancies: Option<u64>,
    /// New discrepancies today (drift).
    pub new_today: Option<u64>,
    /// Documents accessible today, as a share of those checked.
    pub documents_accessible: Option<f64>,
    pub documents_checked: u64,
    pub documents_failed: u64,
    /// Per workflow: today's p95 in ms and its ratio to the baseline.
    pub workflows: Vec<WorkflowFigure>,
    pub open_reports: u64,
    pub open_blockers: u64,
    /// Per watched handoff check, the clinic's share of its latest run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handoffs: Vec<HandoffFigure>,
}

impl HandoffFigure {
    /// The deadline as people say it: "48 h", "30 min", "90 s".
    pub fn deadline(&self) -> String {
        let s = self.within_seconds;
        match s {
            _ if s >= 3_600 && s.is_multiple_of(3_600) => format!("{} h", s / 3_600),
            _ if s >= 60 && s.is_multiple_of(60) => format!("{} min", s / 60),
            _ => format!("{s} s"),
        }
    }

    /// One line in plain words: "12 visits have no claim after 48 h; 3
    /// got it late; 40 are still within 48 h". Counts only, never keys.
    pub fn line(&self) -> String {
        let (events, arrival, within) =
            (&self.events_called, &self.arrival_called, self.deadline());
        let mut s = match self.stuck {
            0 => format!("no {events} without a {arrival} after {within}"),
            n => format!("{n} {events} have no {arrival} after {within}"),
        };
        if self.late > 0 {
            s += &format!("; {} got their {arrival} late", self.late);
        }
        if self.pending > 0 {
            s += &format!("; {} are still within {within}", self.pending);
        }
        s + &format!(" ({}, {} {events} judged)", self.name, self.events)
    }
}

/// One handoff's latest judged run, as a clinic's figure: counts only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffFigure {
    pub name: String,
    /// What the events and one arrival are called (`events_called`, `arrival_called`).
    pub events_called: String,
    pub arrival_called: String,
    pub within_seconds: u64,
    pub events: u64,
    pub stuck: u64,
    pub late: u64,
    pub pending: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowFigure {
    pub name: String,
    pub p95_ms: Option<f64>,
    pub ratio: Option<f64>,
    pub runs: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicCard {
    pub clinic: String,
    pub clinic_name: String,
    pub wave: String,
    pub go_live: NaiveDate,
    /// Days since go-live (0 on the day; negative before).
    pub day: i64,
    pub criteria: Vec<CriterionState>,
    pub exit_ready: bool,
    pub triggers: Vec<TriggerState>,
    pub figures: Figures,
    /// Training signals and fixed issues still worked around (`derive::staff`).
    #[serde(default)]
    pub signals: crate::derive::staff::StaffSignals,
}

impl ClinicCard {
    pub fn met(&self) -> usize {
        self.criteria
            .iter()
            .filter(|c| c.state == State::Met)
            .count()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub at_ms: i64,
    pub clinics: Vec<ClinicCard>,
    /// Each criterion over every clinic.
    pub overall: Vec<CriterionState>,
    pub exit_ready: bool,
    /// Days since the first go-live.
    pub day: i64,
    /// Findings no clinic owns (shown once, for all clinics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unowned: Option<super::Unowned>,
}

impl Scorecard {
    pub fn breached(&self) -> impl Iterator<Item = (&ClinicCard, &TriggerState)> {
        self.clinics.iter().flat_map(|c| {
            c.triggers
                .iter()
                .filter(|t| t.breached)
                .map(move |t| (c, t))
        })
    }
}
