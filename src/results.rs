//! What a check run produces, in types every later room shares.
//!
//! Checks build a [`CheckResult`]; the store persists it; metrics, alerts and
//! digests read it. Nothing here knows how a check works or where results go,
//! so the store never depends on a check's internals.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod documents;
mod integrity;
mod workflow;

pub use documents::{
    DocumentFailure, DocumentsDetails, KindFigures, Ledger, LedgerEntry, LedgerUpdate, Reason,
};
pub use integrity::{Cluster, FieldCompleteness, IntegrityDetails, RuleKind, RuleResult};
pub use workflow::{BaselineRun, StepOutcome, StepResult, WorkflowDetails, millis};

/// The kind of a check, a closed set used as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Reconcile,
    Integrity,
    Workflow,
    Documents,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Reconcile => "reconcile",
            CheckKind::Integrity => "integrity",
            CheckKind::Workflow => "workflow",
            CheckKind::Documents => "documents",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reconcile" => Some(CheckKind::Reconcile),
            "integrity" => Some(CheckKind::Integrity),
            "workflow" => Some(CheckKind::Workflow),
            "documents" => Some(CheckKind::Documents),
            _ => None,
        }
    }
}

/// How a run ended. `Pass`, `Fail` and `Error` come from the check itself;
/// `Cancelled` and `Skipped` from the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    pub const ALL: [Outcome; 5] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Error,
        Outcome::Cancelled,
        Outcome::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Cancelled => "cancelled",
            Outcome::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
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
    /// Reads details stored as JSON, using the run's kind to pick the shape.
    pub fn from_json(kind: CheckKind, value: serde_json::Value) -> Result<Self, serde_json::Error> {
        if value.is_null() || value.as_object().is_some_and(|o| o.is_empty()) {
            return Ok(Details::None {});
        }
        match kind {
            CheckKind::Reconcile => Ok(Details::Reconcile(serde_json::from_value(value)?)),
            CheckKind::Integrity => Ok(Details::Integrity(serde_json::from_value(value)?)),
            CheckKind::Workflow => Ok(Details::Workflow(serde_json::from_value(value)?)),
            CheckKind::Documents => Ok(Details::Documents(serde_json::from_value(value)?)),
        }
    }

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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyedDiff {
    /// In the source, not in the target.
    pub missing: u64,
    /// In the target, not in the source.
    pub extra: u64,
    /// Same key, different compared values.
    pub changed: u64,
    pub missing_keys: Vec<String>,
    pub extra_keys: Vec<String>,
    pub changed_keys: Vec<ChangedKey>,
    /// How many changed records differ in each column (source names).
    pub changed_columns: BTreeMap<String, u64>,
    /// Keys present more than once on a side (the extra copies are counted).
    pub duplicate_keys: DuplicateKeys,
    /// Rows whose key is NULL, per side: never matched, never compared.
    pub null_keys: SideCounts,
    pub source_rows: u64,
    pub target_rows: u64,
    /// `checksum` (segments hashed in the databases), `hash-stream` (row
    /// hashes merged here) or `stream` (full rows merged here).
    pub mode: String,
    /// Segments whose checksums were compared.
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

impl KeyedDiff {
    /// Records that differ (missing, extra, changed).
    pub fn discrepancies(&self) -> u64 {
        self.missing + self.extra + self.changed
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Source,
    Target,
    Both,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Target => "target",
            Side::Both => "both",
        }
    }
}

/// A finished run as the store keeps it and the CLI prints it.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub name: String,
    pub kind: CheckKind,
    pub status: Outcome,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub summary: String,
    pub details: Details,
}
