//! A `[[reconcile]]` check as written, read by serde with spans: the check's
//! own values by their rules (`values.rs`); the sides and the keyed options
//! as written, since which of them apply depends on the sides together
//! (checked in `reconcile.rs`, `keyed.rs` and `fhir_keyed.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::super::{CronSchedule, Name, Tolerance, values};

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct ReconcileText {
    pub name: Name,
    #[serde(default)]
    pub description: Option<String>,
    pub schedule: CronSchedule,
    /// Unset: the scheduler's `default_timeout` (filled in when loaded).
    #[serde(default, deserialize_with = "values::optional_duration")]
    pub timeout: Option<Duration>,
    #[serde(default = "values::no_tolerance")]
    pub tolerance: Tolerance,
    #[serde(default = "values::count::<50>", deserialize_with = "values::positive")]
    pub max_groups: u32,
    #[serde(default = "values::yes")]
    pub enabled: bool,
    pub source: SideText,
    pub target: SideText,
    /// Keyed diffs: per-column comparison rules, by source column name.
    pub compare: Option<S<BTreeMap<String, String>>>,
    pub max_keys: Option<S<u32>>,
    pub bisection_factor: Option<S<u32>>,
    pub bisection_threshold: Option<S<u32>>,
    /// Keyed diffs: how long a discrepancy may last before it fails the check.
    pub grace: Option<S<String>>,
    /// Keyed diffs: how many discrepancy keys are tracked from run to run.
    pub drift_keys: Option<S<u32>>,
    /// Incremental keyed diffs: how far before the previous run's start to look.
    pub lag: Option<S<String>>,
    /// Incremental keyed diffs: when a run compares every row instead.
    pub full_sweep: Option<S<String>>,
    /// Keyed diffs with a FHIR side: where rows are sorted on disk.
    pub sort_dir: Option<S<String>>,
    /// Keyed diffs with a FHIR side: memory for sorting before spilling, MiB.
    pub sort_memory_mb: Option<S<u32>>,
}

/// One side as written: a count (SQL or FHIR) or a keyed table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct SideText {
    pub from: S<String>,
    /// A count query (one integer, or `(group, count)` rows)…
    pub sql: Option<S<String>>,
    /// …or a FHIR search counted with `_summary=count`.
    pub resource: Option<S<String>>,
    pub params: Option<S<String>>,
    pub group_param: Option<S<String>>,
    pub groups: Option<S<BTreeMap<String, String>>>,
    /// …or a keyed table: which records, compared by key.
    pub table: Option<S<String>>,
    pub key: Option<S<KeyText>>,
    pub columns: Option<S<Vec<String>>>,
    pub r#where: Option<S<String>>,
    pub updated: Option<S<String>>,
    pub expressions: Option<S<BTreeMap<String, String>>>,
    /// Keyed sides: the column or SQL expression naming each row's clinic.
    pub clinic: Option<S<String>>,
}

/// A key column, or several for a compound key.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(in crate::config) enum KeyText {
    One(String),
    Many(Vec<String>),
}
