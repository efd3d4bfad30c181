//! What a reconciliation finds: counts per side and per group, and for a
//! keyed diff which records differ, their drift from run to run and which
//! rows the run compared.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// Per clinic id (and `_unassigned`): the same figures, adding up to
    /// the totals. Absent for a check not attributed to clinics.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_clinic: BTreeMap<String, super::ReconcileSlice>,
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
    /// How the rows were compared.
    #[serde(default)]
    pub mode: DiffMode,
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
    /// See [`super::Details::discrepancies`].
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

/// How a keyed diff compared the rows; stored and shown by these names.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum DiffMode {
    /// Segments hashed in the databases, the differing ones bisected.
    Checksum,
    /// Spread differences: small key buckets checksummed in the databases.
    Buckets,
    /// Row hashes merged here.
    HashStream,
    /// Full rows merged here.
    Stream,
    /// A FHIR side's resources merged with the other side's rows.
    FhirStream,
    /// Only the rows changed since the previous run.
    Incremental,
    /// Not compared (the run failed first).
    #[default]
    #[serde(rename = "", other)]
    #[strum(serialize = "")]
    Unset,
}

impl PartialEq<&str> for DiffMode {
    fn eq(&self, other: &&str) -> bool {
        <&str>::from(*self) == *other
    }
}
