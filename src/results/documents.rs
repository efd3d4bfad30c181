//! What a documents check finds: per document kind, how many documents were
//! checked and how many failed for which reason, and how much of the
//! inventory the rotation has covered. Failing document ids live only in
//! [`DocumentFailure`] entries (store and `check --json`), never in
//! summaries, logs or metric labels.
//!
//! The rotation's per-document state ([`Ledger`]) is typed here too: the
//! scheduler loads it from the store into the run's input, and the run
//! hands back what changed ([`LedgerUpdate`]) beside its result, so the
//! check itself never sees the store.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// Why one document failed: a closed set, used as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Reason {
    /// Kind, date, patient link or location absent from the metadata.
    MetadataMissing,
    /// The location is not a URL, path or object key hypercare can read.
    InvalidLocation,
    /// The location names a host, bucket or file outside what the check may
    /// reach (`storage.allowed_hosts`, `allowed_buckets`, the folder base):
    /// refused before any request.
    LocationNotAllowed,
    /// The linked patient or encounter does not exist in the target.
    BrokenLink,
    /// 404 or 410, no such file, no such object.
    NotFound,
    /// 401 or 403, or the file cannot be opened for lack of permission.
    Forbidden,
    /// No answer within the request timeout.
    Timeout,
    /// 5xx (or 429 still after retries) from the storage.
    ServerError,
    /// The storage host refused or dropped the connection.
    Unreachable,
    /// The served type, or the type the bytes show, differs from the metadata.
    TypeMismatch,
    /// The size differs from the metadata (a truncated copy, say).
    SizeMismatch,
    /// The host declares (or sends) more than `max_content_mb`: refused, not read on.
    TooLarge,
    /// The content's hash differs from the metadata's.
    HashMismatch,
    /// The bytes are not a readable file of the type they claim, or reading broke off.
    Unreadable,
}

impl Reason {
    pub const ALL: &[Reason] = <Reason as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Figures of a documents check. Every field defaults when read back, so
/// details stored by an older version still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DocumentsDetails {
    /// Documents in the inventory, skipped ones excluded.
    pub inventory: u64,
    /// Documents left out by rule, by status (`superseded`, `entered-in-error`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, u64>,
    /// Documents checked this run (reachability at least).
    pub checked: u64,
    /// Of those, documents whose content was fetched and verified.
    pub content_checked: u64,
    pub failed: u64,
    /// Failures this run, by reason.
    #[serde(default)]
    pub by_reason: BTreeMap<Reason, u64>,
    /// Documents that had failed before and were checked again first.
    pub rechecked: u64,
    /// Documents never checked before, checked this run.
    pub new: u64,
    /// Share of the inventory checked within the last cycle (0 to 1).
    pub coverage: f64,
    /// Share of the inventory whose content was verified within the last cycle.
    pub content_coverage: f64,
    pub cycle_seconds: u64,
    /// The failure threshold as configured (`0`, `"1%"` of the documents checked).
    pub tolerance: String,
    /// Per document kind (config names, plus `_other` for unmapped kinds).
    #[serde(default)]
    pub kinds: BTreeMap<String, KindFigures>,
    /// Per clinic id (and `_unassigned`): documents checked and failed this
    /// run, adding up to `checked` and `failed`. Absent when unattributed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_clinic: BTreeMap<String, super::DocumentsSlice>,
    /// Failing documents, by id: capped at `max_failures`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<DocumentFailure>,
    /// Failures left out of `failures` by the cap.
    #[serde(default)]
    pub failures_omitted: u64,
    /// Why the check could not judge (the inventory or link query failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One document kind's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KindFigures {
    pub inventory: u64,
    pub checked: u64,
    pub content_checked: u64,
    pub failed: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_reason: BTreeMap<Reason, u64>,
    pub coverage: f64,
    pub content_coverage: f64,
}

/// A document that failed, with what was found (no record values beyond the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFailure {
    pub id: String,
    pub kind: String,
    pub reason: Reason,
    /// What was seen: a status code, the sizes or types compared.
    pub detail: String,
}

/// Rotation state of one document, as the store keeps it between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerEntry {
    /// When its reachability was last checked (epoch ms).
    pub checked_ms: i64,
    /// When its content was last verified (epoch ms), 0 for never.
    pub content_ms: i64,
    /// Why it failed last time; `None` when it passed.
    pub reason: Option<Reason>,
}

/// Every document's rotation state for one check, by document id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    pub entries: HashMap<String, LedgerEntry>,
}

/// What one run changed in its ledger.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerUpdate {
    /// Documents checked this run, with their new state.
    pub upserts: Vec<(String, LedgerEntry)>,
    /// Documents no longer in the inventory.
    pub removed: Vec<String>,
}
