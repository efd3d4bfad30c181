//! What an integrity check finds: per rule, its verdict, counts, and a few
//! sample keys (store and `check --json` only; never summaries or metrics).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Outcome;

/// Figures of an integrity check, one entry per rule in config order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegrityDetails {
    pub rules: Vec<RuleResult>,
    /// Per clinic id (and `_unassigned`): problems per rule, for the rules
    /// with `clinic`; they add up to each such rule's `problems`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_clinic: BTreeMap<String, BTreeMap<String, i64>>,
}

/// The kind of an integrity rule, a closed set used as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum RuleKind {
    Duplicates,
    Orphans,
    Completeness,
    Validity,
    Freshness,
    ProbableDuplicates,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    pub name: String,
    pub kind: RuleKind,
    /// `pass`, `fail` (beyond its threshold) or `error` (could not judge).
    pub status: Outcome,
    /// Wall time of the rule's queries.
    pub duration_ms: u64,
    /// The threshold as configured: a tolerance (`0`, `"0.5%"`), a minimum
    /// share (`"99.5%"`) or a maximum age (`"6h"`).
    pub threshold: String,
    /// Rows the rule looked at (freshness reads only the newest value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_checked: Option<i64>,
    /// Duplicate clusters, orphan rows, rows missing a required field,
    /// invalid values, or 1 for a stale table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problems: Option<i64>,
    /// Duplicates: records in all clusters together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_involved: Option<i64>,
    /// Completeness: per required field, in config order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldCompleteness>,
    /// Freshness: the newest timestamp (UTC, RFC 3339), absent for an empty table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
    /// Freshness: seconds from the newest timestamp to the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<i64>,
    /// Keys of rows with a problem: the first by key order, up to `sample_keys`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_keys: Vec<String>,
    /// Duplicates: the first clusters by smallest key, up to `sample_keys`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_clusters: Vec<Cluster>,
    /// Probable duplicates: pairs between `review` and `probable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_pairs: Option<i64>,
    /// Probable duplicates: clusters above `max_cluster_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oversized_clusters: Option<i64>,
    /// Probable duplicates with a `lineage` column: probable pairs by how
    /// they came about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_classes: Option<MigrationClasses>,
    /// Probable duplicates: the first scored pairs, with why they matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_pairs: Vec<ScoredPair>,
    /// Why the rule could not judge (may quote the database's message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Probable pairs by how they came about, from the rule's `lineage` column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationClasses {
    /// Both records were migrated from one legacy record: the migration
    /// loaded it twice.
    pub created_by_migration: i64,
    /// Both were migrated, from two legacy records: the legacy system
    /// already held the duplicate.
    pub pre_existing: i64,
    /// At least one was registered in the new system (no legacy record).
    pub since_go_live: i64,
    /// With `legacy`: migrated records whose name, birth date or sex
    /// disagree outright (two of the three) with the legacy record they
    /// came from, two people in one chart. Records, not pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlays: Option<i64>,
    /// The first overlaid records' keys (behind authentication, as every
    /// detail).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_overlays: Vec<String>,
}

/// A pair of records scored as one person, with each field's evidence:
/// record keys and level names only, never the compared values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredPair {
    pub keys: [String; 2],
    /// Match probability (0..1).
    pub probability: f64,
    /// Total match weight in bits (log2 of the Bayes factor, prior included).
    pub weight: f64,
    /// `probable` or `review`.
    pub class: String,
    pub fields: Vec<FieldEvidence>,
}

/// How one field of a pair compared and what it contributed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEvidence {
    pub field: String,
    /// `exact`, `nickname`, `similar`, `swapped`, `different`, `missing`…
    pub level: String,
    /// Weight in bits (0 for a missing value).
    pub weight: f64,
}

impl RuleResult {
    /// A result with the verdict and figures still to fill in.
    pub fn new(name: &str, kind: RuleKind, threshold: String) -> RuleResult {
        RuleResult {
            name: name.to_string(),
            kind,
            status: Outcome::Pass,
            duration_ms: 0,
            threshold,
            rows_checked: None,
            problems: None,
            records_involved: None,
            fields: Vec::new(),
            newest: None,
            age_seconds: None,
            sample_keys: Vec::new(),
            sample_clusters: Vec::new(),
            review_pairs: None,
            oversized_clusters: None,
            migration_classes: None,
            sample_pairs: Vec::new(),
            error: None,
        }
    }
}

/// How complete one required field is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldCompleteness {
    pub field: String,
    /// Rows where the field is NULL or blank.
    pub missing: i64,
    /// Share of rows with the field present (1 for no rows).
    pub ratio: f64,
    pub below_threshold: bool,
}

/// A cluster of candidate duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    pub size: i64,
    /// Every key of the cluster, in key order.
    pub keys: Vec<String>,
}
