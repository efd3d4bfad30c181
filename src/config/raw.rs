//! The config file as written: serde shapes with spans, before validation.
//!
//! Each top-level section is deserialized on its own (see `load.rs`), so one
//! bad section does not hide the mistakes in the others.

use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<S<String>>,
    pub public_url: Option<S<String>>,
    pub admin_token_env: Option<S<String>>,
    pub admin_token_file: Option<S<String>>,
    pub admin_user: Option<S<String>>,
    pub admin_password_env: Option<S<String>>,
    pub admin_password_file: Option<S<String>>,
    pub trusted_user_header: Option<S<String>>,
    pub trusted_proxies: Option<Vec<S<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    pub url: Option<S<String>>,
    pub url_env: Option<S<String>>,
    pub url_file: Option<S<String>>,
    pub retention: Option<S<String>>,
    pub max_connections: Option<S<u32>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheduler {
    pub drain_timeout: Option<S<String>>,
    pub default_timeout: Option<S<String>>,
    pub lease: Option<S<String>>,
    pub replica_id: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub url: Option<S<String>>,
    pub url_env: Option<S<String>>,
    pub url_file: Option<S<String>>,
    pub max_connections: Option<S<u32>>,
    pub connect_timeout: Option<S<String>>,
    pub statement_timeout: Option<S<String>>,
    pub read_only: Option<bool>,
    /// A FHIR R4 base URL instead of a database URL.
    pub fhir: Option<S<String>>,
    pub token_env: Option<S<String>>,
    pub token_file: Option<S<String>>,
    pub username: Option<S<String>>,
    pub password_env: Option<S<String>>,
    pub password_file: Option<S<String>>,
    pub max_retries: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReconcile {
    pub name: S<String>,
    pub description: Option<String>,
    pub schedule: S<String>,
    pub timeout: Option<S<String>>,
    pub tolerance: Option<S<RawTolerance>>,
    pub max_groups: Option<S<u32>>,
    pub enabled: Option<bool>,
    pub source: RawSide,
    pub target: RawSide,
    /// Keyed diffs: per-column comparison rules, by source column name.
    pub compare: Option<S<std::collections::BTreeMap<String, String>>>,
    pub max_keys: Option<S<u32>>,
    pub bisection_factor: Option<S<u32>>,
    pub bisection_threshold: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawTolerance {
    Absolute(i64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSide {
    pub from: S<String>,
    /// A count query (one integer, or `(group, count)` rows)…
    pub sql: Option<S<String>>,
    /// …or a FHIR search counted with `_summary=count`.
    pub resource: Option<S<String>>,
    pub params: Option<S<String>>,
    pub group_param: Option<S<String>>,
    pub groups: Option<S<std::collections::BTreeMap<String, String>>>,
    /// …or a keyed table: which records, compared by key.
    pub table: Option<S<String>>,
    pub key: Option<S<RawKey>>,
    pub columns: Option<S<Vec<String>>>,
    pub r#where: Option<S<String>>,
    pub updated: Option<S<String>>,
    pub expressions: Option<S<std::collections::BTreeMap<String, String>>>,
}

/// A key column, or several for a compound key.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawKey {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeedback {
    pub categories: Option<S<Vec<RawChoice>>>,
    pub roles: Option<S<Vec<RawChoice>>>,
    pub mrn_pattern: Option<S<String>>,
    pub retention: Option<S<String>>,
    pub rate_limit_per_minute: Option<S<u32>>,
    pub max_body_bytes: Option<S<u32>>,
}

/// A category or a role: `{ id = "notes_slow", label = "Notes take longer" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    pub id: S<String>,
    pub label: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClinic {
    pub id: S<String>,
    pub name: S<String>,
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
}

/// A share written as a number from 0 to 1 or a percentage string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawRatio {
    Number(f64),
    Text(String),
}

/// A `[[documents]]` check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDocuments {
    pub name: S<String>,
    pub description: Option<String>,
    pub schedule: S<String>,
    pub timeout: Option<S<String>>,
    pub enabled: Option<bool>,
    pub inventory: S<RawDocInventory>,
    pub links: Option<S<RawDocLinks>>,
    pub storage: Option<RawDocStorage>,
    pub sample: Option<S<u32>>,
    pub content_share: Option<S<RawRatio>>,
    pub cycle: Option<S<String>>,
    pub concurrency: Option<S<u32>>,
    pub rate_per_host: Option<S<u32>>,
    pub request_timeout: Option<S<String>>,
    pub kinds: Option<S<std::collections::BTreeMap<String, Vec<String>>>>,
    pub skip_status: Option<S<Vec<String>>>,
    pub tolerance: Option<S<RawTolerance>>,
    pub max_failures: Option<S<u32>>,
}

/// `[documents.inventory]`: a SQL query or a FHIR DocumentReference search.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDocInventory {
    pub from: S<String>,
    pub sql: Option<S<String>>,
    pub params: Option<S<String>>,
}

/// `[documents.links]`: where linked patients and encounters must exist.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDocLinks {
    pub from: S<String>,
    pub patients_sql: Option<S<String>>,
    pub encounters_sql: Option<S<String>>,
}

/// `[documents.storage]`: how locations are read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDocStorage {
    pub base: Option<S<String>>,
    pub hash_algorithm: Option<S<String>>,
    pub s3_endpoint: Option<S<String>>,
    pub s3_region: Option<S<String>>,
    pub s3_access_key_id_env: Option<S<String>>,
    pub s3_secret_access_key_env: Option<S<String>>,
    pub s3_allow_http: Option<bool>,
}
