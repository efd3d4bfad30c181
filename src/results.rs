//! What a check run produces, in types every later room shares.
//!
//! Checks build a [`CheckResult`]; the store persists it; metrics, alerts and
//! digests read it. Nothing here knows how a check works or where results go,
//! so the store never depends on a check's internals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod documents;
mod integrity;
mod workflow;

pub use documents::{
    DocumentFailure, DocumentsDetails, KindFigures, Ledger, LedgerEntry, LedgerUpdate, Reason,
};
pub use integrity::{Cluster, FieldCompleteness, IntegrityDetails, RuleKind, RuleResult};
pub use workflow::{BaselineRun, StepOutcome, StepResult, WorkflowDetails, millis};

/// How a run ended. `Pass`, `Fail` and `Error` come from the check itself;
/// `Cancelled` and `Skipped` from the scheduler.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    /// The check ran and everything was within its limits.
    Pass,
    /// The check ran and found a problem (a discrepancy beyond tolerance).
    Fail,
    /// The check could not judge: a side unreachable, a query failed, a timeout.
    Error,
    /// The run was stopped before it finished (shutdown drain ran out).
    Cancelled,
    /// The slot was not run: the previous run still held it, or the scheduler was late.
    Skipped,
}

impl Outcome {
    pub const ALL: &[Outcome] = <Outcome as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the check itself judged (pass, fail or error), as opposed to
    /// a slot the scheduler cancelled or skipped.
    pub fn judged(self) -> bool {
        matches!(self, Outcome::Pass | Outcome::Fail | Outcome::Error)
    }
}

/// Where a stored run stands: still running, or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum RunStatus {
    Running,
    Pass,
    Fail,
    Error,
    Cancelled,
    Skipped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How the run ended; `None` while it runs.
    pub fn outcome(self) -> Option<Outcome> {
        match self {
            RunStatus::Running => None,
            RunStatus::Pass => Some(Outcome::Pass),
            RunStatus::Fail => Some(Outcome::Fail),
            RunStatus::Error => Some(Outcome::Error),
            RunStatus::Cancelled => Some(Outcome::Cancelled),
            RunStatus::Skipped => Some(Outcome::Skipped),
        }
    }
}

/// One check's verdict, as returned by a check runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub outcome: Outcome,
    /// One line for people: counts and config names only, never record values.
    pub summary: String,
    /// Kind-specific figures; may hold record keys (store and CLI only).
    pub details: Details,
}

impl CheckResult {
    pub fn error(summary: impl Into<String>, details: Details) -> Self {
        CheckResult {
            outcome: Outcome::Error,
            summary: summary.into(),
            details,
        }
    }
}

/// Kind-specific details. Serialized without a tag: the run's `kind` says which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Details {
    Reconcile(ReconcileDetails),
    Integrity(IntegrityDetails),
    Workflow(WorkflowDetails),
    Documents(DocumentsDetails),
    None {},
}

impl Details {
    pub fn reconcile(&self) -> Option<&ReconcileDetails> {
        match self {
            Details::Reconcile(d) => Some(d),
            _ => None,
        }
    }

    pub fn integrity(&self) -> Option<&IntegrityDetails> {
        match self {
            Details::Integrity(d) => Some(d),
            _ => None,
        }
    }

    pub fn workflow(&self) -> Option<&WorkflowDetails> {
        match self {
            Details::Workflow(d) => Some(d),
            _ => None,
        }
    }

    pub fn documents(&self) -> Option<&DocumentsDetails> {
        match self {
            Details::Documents(d) => Some(d),
            _ => None,
        }
    }

    /// Records the run found wrong: a keyed diff's missing + extra +
    /// changed; else a count reconciliation's |target − source| summed over
    /// its groups, or in total; an integrity check's problems over its
    /// rules. `None` for kinds without such a count, or without figures.
    pub fn discrepancies(&self) -> Option<u64> {
        match self {
            Details::Reconcile(r) => r.discrepancies(),
            Details::Integrity(d) => Some(
                d.rules
                    .iter()
                    .filter_map(|r| r.problems)
                    .map(i64::unsigned_abs)
                    .fold(0, u64::saturating_add),
            ),
            _ => None,
        }
    }

    /// Whether a run with these details and this outcome is good for an
    /// error budget (SLO burn rates): it passed, and did not miss its
    /// latency objective. A passing run that carries no SLO verdict (a kind
    /// without a latency SLO, or a run from before the SLO was configured)
    /// is good: nothing it measured broke the objective. Failed, errored,
    /// cancelled and skipped runs are bad.
    pub fn good_for_slo(&self, outcome: Outcome) -> bool {
        let missed = self.workflow().and_then(|w| w.slo_good) == Some(false);
        outcome == Outcome::Pass && !missed
    }
}

/// Figures of a count reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReconcileDetails {
    /// Total on the source side; absent when the source could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_count: Option<i64>,
    /// Per-group counts, by group name, when the queries return `(group, count)` rows.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, GroupCount>,
    /// The tolerance applied, as written in config (`5` or `"0.5%"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<String>,
    /// Which side failed and why, when the outcome is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_side: Option<Side>,
    /// The source's own error message when the outcome is `error`. It can
    /// quote record values, so it stays here (store, authenticated pages,
    /// `check --json`) and never reaches the summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For keyed diffs: which records differ.
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub keyed: Option<Box<KeyedDiff>>,
}

/// What a keyed diff found. The key lists are capped (`max_keys`) and hold
/// record keys: they go to the store and `check --json` only.
///
/// Read back, a keyed diff is known by its three counts (`missing`, `extra`,
/// `changed`); every other field defaults, so details stored by an older
/// version still read (and count details, without those three, never read
/// as a keyed diff).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyedDiff {
    /// In the source, not in the target.
    pub missing: u64,
    /// In the target, not in the source.
    pub extra: u64,
    /// Same key, different compared values.
    pub changed: u64,
    #[serde(default)]
    pub missing_keys: Vec<String>,
    #[serde(default)]
    pub extra_keys: Vec<String>,
    #[serde(default)]
    pub changed_keys: Vec<ChangedKey>,
    /// How many changed records differ in each column (source names).
    #[serde(default)]
    pub changed_columns: BTreeMap<String, u64>,
    /// Keys present more than once on a side (the extra copies are counted).
    #[serde(default)]
    pub duplicate_keys: DuplicateKeys,
    /// Rows whose key is NULL, per side: never matched, never compared.
    #[serde(default)]
    pub null_keys: SideCounts,
    #[serde(default)]
    pub source_rows: u64,
    #[serde(default)]
    pub target_rows: u64,
    /// `checksum` (segments hashed in the databases), `hash-stream` (row
    /// hashes merged here) or `stream` (full rows merged here).
    #[serde(default)]
    pub mode: String,
    /// Segments whose checksums were compared.
    #[serde(default)]
    pub segments: u64,
    /// Change since the previous run; absent from `hypercare check`, which
    /// has no history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// The discrepancies tracked from run to run (`missing:KEY`,
    /// `extra:KEY`, `changed:KEY`, at most `drift_keys`) and when each was
    /// first seen, in epoch milliseconds. Record keys: store only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub first_seen: BTreeMap<String, i64>,
    /// Which rows this run compared, for checks with incremental runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
}

impl Sweep {
    /// A run that compares every row, started at `started_ms`, and why.
    pub fn full(started_ms: i64, reason: impl Into<String>) -> Sweep {
        Sweep {
            kind: "full".into(),
            since_ms: None,
            started_ms,
            last_full_ms: started_ms,
            reason: Some(reason.into()),
        }
    }
}

/// Discrepancies compared with the previous run's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// Not seen in the previous run.
    pub new: u64,
    /// Seen in the previous run too (or carried over from it: an incremental
    /// run does not look at rows that did not change).
    pub persisting: u64,
    /// Seen in the previous run, gone now.
    pub resolved: u64,
    /// Beyond `drift_keys`: not tracked, so judged as past the grace period.
    pub untracked: u64,
    /// Discrepancies younger than the grace period, not counted against the
    /// tolerance yet.
    pub within_grace: u64,
}

/// The rows a run compared: all of them, or those changed since a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    /// `full` or `incremental`.
    pub kind: String,
    /// Incremental runs: rows whose `updated` is at or after this time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<i64>,
    /// When this run started (the next incremental run's watermark).
    pub started_ms: i64,
    /// When the newest full sweep started.
    pub last_full_ms: i64,
    /// Why a full sweep ran (`first run`, `full_sweep schedule`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A changed record and the columns that differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedKey {
    pub key: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DuplicateKeys {
    pub source: u64,
    pub target: u64,
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SideCounts {
    pub source: u64,
    pub target: u64,
}

impl ReconcileDetails {
    /// See [`Details::discrepancies`].
    pub fn discrepancies(&self) -> Option<u64> {
        if let Some(k) = &self.keyed {
            return Some(k.discrepancies());
        }
        if !self.groups.is_empty() {
            return Some(
                self.groups
                    .values()
                    .map(|g| g.difference.unsigned_abs())
                    .fold(0, u64::saturating_add),
            );
        }
        let (s, t) = (self.source_count?, self.target_count?);
        Some(t.abs_diff(s))
    }

    /// Source records missing in the target, and the source total: a keyed
    /// diff's own figures, else the count shortfall. `None` without figures.
    pub fn missing_of_source(&self) -> Option<(u64, u64)> {
        if let Some(k) = &self.keyed {
            return Some((k.missing, k.source_rows));
        }
        let (s, t) = (self.source_count?, self.target_count?);
        Some((
            u64::try_from(s.saturating_sub(t)).unwrap_or(0),
            u64::try_from(s).unwrap_or(0),
        ))
    }
}

impl KeyedDiff {
    /// Records that differ (missing, extra, changed).
    pub fn discrepancies(&self) -> u64 {
        self.missing
            .saturating_add(self.extra)
            .saturating_add(self.changed)
    }
}

/// Counts of one group on both sides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCount {
    pub source: i64,
    pub target: i64,
    /// `target - source`: negative means records missing in the target.
    pub difference: i64,
    /// Whether the difference is beyond the tolerance.
    pub beyond_tolerance: bool,
}

/// The two sides of a reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Side {
    Source,
    Target,
    Both,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconcile(json: serde_json::Value) -> Details {
        Details::Reconcile(serde_json::from_value(json).unwrap())
    }

    #[test]
    fn discrepancies_are_read_from_each_kind_of_details() {
        let keyed = serde_json::json!({"missing": 2, "extra": 1, "changed": 4, "source_count": 9});
        assert_eq!(reconcile(keyed).discrepancies(), Some(7));
        let groups = serde_json::json!({"groups": {
            "a": {"source": 5, "target": 2, "difference": -3, "beyond_tolerance": true},
            "b": {"source": 1, "target": 3, "difference": 2, "beyond_tolerance": true}}});
        assert_eq!(reconcile(groups).discrepancies(), Some(5));
        let counts = serde_json::json!({"source_count": 10, "target_count": 7});
        assert_eq!(reconcile(counts).discrepancies(), Some(3));
        let mut rules = Vec::new();
        for problems in [Some(2), None, Some(5)] {
            let mut r = RuleResult::new("r", RuleKind::Duplicates, "0".into());
            r.problems = problems;
            rules.push(r);
        }
        let integrity = Details::Integrity(IntegrityDetails { rules });
        assert_eq!(integrity.discrepancies(), Some(7));
        assert_eq!(reconcile(serde_json::json!({})).discrepancies(), None);
        assert_eq!(Details::None {}.discrepancies(), None);
    }

    /// The one definition of a good run: a pass that did not miss its SLO.
    /// A passing run with no SLO verdict is good (nothing it measured broke
    /// the objective); anything but a pass is bad.
    #[test]
    fn a_run_is_bad_when_it_failed_or_missed_its_slo() {
        let slo = |good: Option<bool>| {
            Details::Workflow(WorkflowDetails {
                slo_good: good,
                ..Default::default()
            })
        };
        assert!(!Details::None {}.good_for_slo(Outcome::Fail));
        assert!(!slo(Some(true)).good_for_slo(Outcome::Error));
        assert!(!slo(Some(false)).good_for_slo(Outcome::Pass));
        assert!(slo(Some(true)).good_for_slo(Outcome::Pass));
        assert!(slo(None).good_for_slo(Outcome::Pass));
        assert!(Details::None {}.good_for_slo(Outcome::Pass));
        assert!(!Details::None {}.good_for_slo(Outcome::Skipped));
    }

    #[test]
    fn enum_names_are_serdes_names() {
        for &o in Outcome::ALL {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(
                o.as_str()
                    .parse::<RunStatus>()
                    .ok()
                    .and_then(RunStatus::outcome),
                Some(o)
            );
        }
        for &r in Reason::ALL {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        for &s in StepOutcome::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
    }
}
