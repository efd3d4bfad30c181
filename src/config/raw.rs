//! The config file as written: serde shapes with spans, before validation.
//!
//! Each top-level section is deserialized on its own (see `load.rs`), so one
//! bad section does not hide the mistakes in the others.

use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawTolerance {
    Absolute(i64),
    Text(String),
}

/// An `[[integrity]]` check. Its `rules` are read one by one by the loader
/// (so one bad rule does not hide the mistakes in the others).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntegrity {
    pub name: S<String>,
    pub description: Option<String>,
    pub schedule: S<String>,
    pub timeout: Option<S<String>>,
    pub enabled: Option<bool>,
    pub from: S<String>,
    pub sample_keys: Option<S<u32>>,
    #[serde(skip)]
    pub rules: Vec<RawIntegrityRule>,
    /// Rules that did not deserialize (their errors are recorded).
    #[serde(skip)]
    pub(crate) unreadable_rules: usize,
}

/// One `[[integrity.rules]]` entry: the keys of every kind, each checked
/// against the rule's `kind` when validated.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntegrityRule {
    pub name: S<String>,
    pub kind: S<String>,
    pub description: Option<String>,
    pub table: S<String>,
    pub key: Option<S<String>>,
    pub r#where: Option<S<String>>,
    pub tolerance: Option<S<RawTolerance>>,
    pub r#match: Option<S<Vec<S<String>>>>,
    pub column: Option<S<String>>,
    pub ref_table: Option<S<String>>,
    pub ref_column: Option<S<String>>,
    pub ref_where: Option<S<String>>,
    pub cast: Option<S<String>>,
    pub fields: Option<S<Vec<S<String>>>>,
    pub min_ratio: Option<S<RawRatio>>,
    pub pattern: Option<S<String>>,
    pub values: Option<S<Vec<String>>>,
    pub builtin: Option<S<String>>,
    pub min: Option<S<String>>,
    pub max: Option<S<String>>,
    pub placeholders: Option<S<Vec<S<String>>>>,
    pub mapping_table: Option<S<String>>,
    pub mapping_column: Option<S<String>>,
    pub mapping_where: Option<S<String>>,
    pub max_age: Option<S<String>>,
    /// `probable_duplicates`: which columns hold which person field.
    pub person: Option<S<RawPerson>>,
    pub probable: Option<S<f64>>,
    pub review: Option<S<f64>>,
    pub max_cluster_size: Option<S<u32>>,
    pub vetoes: Option<S<Vec<S<String>>>>,
    pub lineage: Option<S<String>>,
    /// The column naming the clinic of a row: problems per clinic.
    pub clinic: Option<S<String>>,
    pub legacy: Option<S<RawLegacy>>,
}

/// `legacy = { from, table, key, person }` of a `probable_duplicates` rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLegacy {
    pub from: S<String>,
    pub table: S<String>,
    pub key: S<String>,
    pub person: Option<S<RawPerson>>,
}

/// The `person = { … }` column map of a `probable_duplicates` rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    pub given: Option<S<String>>,
    pub family: Option<S<String>>,
    pub birth_date: Option<S<String>>,
    pub sex: Option<S<String>>,
    pub phone: Option<S<String>>,
    pub postal_code: Option<S<String>>,
    pub address: Option<S<String>>,
    pub city: Option<S<String>>,
    pub identifier: Option<S<String>>,
}

/// A share written as a number from 0 to 1 or a percentage string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawRatio {
    Number(f64),
    Text(String),
}

impl RawRatio {
    /// The share from 0 to 1 it writes (`0.995` or `"99.5%"`), if it is one.
    pub fn share(&self) -> Option<f64> {
        let v = match self {
            RawRatio::Number(n) => Some(*n),
            RawRatio::Text(t) => (t.trim().strip_suffix('%'))
                .and_then(|p| p.trim().parse::<f64>().ok())
                .map(|p| p / 100.0),
        };
        v.filter(|v| v.is_finite() && (0.0..=1.0).contains(v))
    }
}

/// A `[[workflows]]` probe. Its `steps` are read one by one by the loader
/// (so one bad step does not hide the mistakes in the others).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkflow {
    pub name: S<String>,
    pub description: Option<String>,
    pub schedule: S<String>,
    pub timeout: Option<S<String>>,
    pub enabled: Option<bool>,
    /// The HTTP system probed: a `[sources.NAME]` with `fhir`.
    pub target: S<String>,
    /// A built-in FHIR R4 journey instead of `steps`.
    pub template: Option<S<String>>,
    /// The legacy system, probed with the same steps after the target.
    pub baseline: Option<S<String>>,
    /// Pre-go-live figures instead of a live baseline.
    pub baseline_p50: Option<S<String>>,
    pub baseline_p95: Option<S<String>>,
    pub baseline_window: Option<S<String>>,
    pub step_timeout: Option<S<String>>,
    /// Cap on each HTTP step's response body, in bytes.
    pub max_response_bytes: Option<S<u64>>,
    pub slo_latency: Option<S<String>>,
    pub slo_objective: Option<S<RawRatio>>,
    pub vars: Option<S<std::collections::BTreeMap<String, String>>>,
    pub pools: Option<S<std::collections::BTreeMap<String, Vec<String>>>>,
    /// The clinic this probe stands for (a `[[clinics]]` id).
    pub clinic: Option<S<String>>,
    #[serde(skip)]
    pub steps: Vec<RawStep>,
    /// Steps that did not deserialize (their errors are recorded).
    #[serde(skip)]
    pub(crate) unreadable_steps: usize,
}

/// One `[[workflows.steps]]` entry: an HTTP request (`path`), a SQL query
/// (`sql`) or an HL7 v2 message over MLLP (`mllp`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub name: S<String>,
    pub method: Option<S<String>>,
    pub path: Option<S<String>>,
    pub query: Option<S<std::collections::BTreeMap<String, String>>>,
    pub headers: Option<S<std::collections::BTreeMap<String, String>>>,
    pub body: Option<S<String>>,
    pub from: Option<S<String>>,
    pub sql: Option<S<String>>,
    pub params: Option<S<Vec<String>>>,
    pub extract: Option<S<std::collections::BTreeMap<String, String>>>,
    pub timeout: Option<S<String>>,
    pub expect: Option<S<RawExpect>>,
    pub mllp: Option<S<String>>,
    pub message: Option<S<String>>,
    pub tls: Option<S<bool>>,
    pub ca_file: Option<S<String>>,
}

/// What a step's answer must satisfy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub status: Option<S<RawStatus>>,
    pub body_contains: Option<S<String>>,
    pub json: Option<S<std::collections::BTreeMap<String, toml::Value>>>,
    pub count: Option<S<u32>>,
    pub min_count: Option<S<u32>>,
    pub max_duration: Option<S<String>>,
    pub ack: Option<S<RawAck>>,
}

/// One accepted ACK code or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawAck {
    One(String),
    Many(Vec<String>),
}

/// One accepted HTTP status or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawStatus {
    One(u16),
    Many(Vec<u16>),
}
