//! Typed `[[documents]]` checks: which documents to check (an inventory from
//! a SQL query or a FHIR `DocumentReference` search), where their bytes live
//! (http(s), local paths, S3-compatible object stores), how many per run and
//! how gently (concurrency, requests per second per storage host).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{CronSchedule, Name, Secret, Tolerance, values};

mod read;

/// Failing document ids kept in details when `max_failures` is not set.
pub const DEFAULT_MAX_FAILURES: usize = 100;
/// Upper bound on `max_failures`: the list is for people to work through.
pub const MAX_FAILURES: usize = 10_000;
/// Statuses skipped by rule when `skip_status` is not set.
pub const DEFAULT_SKIP_STATUS: [&str; 2] = ["superseded", "entered-in-error"];
/// The kind label of documents whose kind maps to no configured kind.
pub const OTHER_KIND: &str = "_other";

/// One `[[documents]]` check, read by serde (the rules of its values: `documents/read.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentsConfig {
    pub name: Name,
    #[serde(default)]
    pub description: Option<String>,
    pub schedule: CronSchedule,
    /// Unset: the scheduler's `default_timeout` (filled in when loaded).
    #[serde(default, deserialize_with = "values::optional_duration")]
    pub timeout: Option<Duration>,
    #[serde(default = "values::yes")]
    pub enabled: bool,
    pub inventory: Inventory,
    /// Where the linked patients and encounters must exist, if checked.
    #[serde(default)]
    pub links: Option<Links>,
    #[serde(default)]
    pub storage: Storage,
    /// Documents checked per run (reachability).
    #[serde(default = "read::sample", deserialize_with = "read::positive")]
    pub sample: usize,
    /// Share of the sample whose content is fetched and verified (0 to 1).
    #[serde(default = "read::content_share", deserialize_with = "read::share")]
    pub content_share: f64,
    /// The whole inventory should be checked within this long.
    #[serde(
        default = "values::secs::<604_800>",
        deserialize_with = "values::duration"
    )]
    pub cycle: Duration,
    /// Documents checked at once.
    #[serde(default = "read::concurrency", deserialize_with = "read::positive")]
    pub concurrency: usize,
    /// Requests per second to one storage host, at most.
    #[serde(default = "values::count::<20>", deserialize_with = "values::positive")]
    pub rate_per_host: u32,
    /// Bound on one storage request (connecting, the answer, and for content the whole body).
    #[serde(default = "values::secs::<10>", deserialize_with = "values::duration")]
    pub request_timeout: Duration,
    /// Largest content fetched, in MiB: a larger declared or sent body is `too_large`.
    #[serde(
        default = "values::count::<1024>",
        deserialize_with = "values::positive"
    )]
    pub max_content_mb: u32,
    /// Document kind name (a metric label) → the inventory values that mean
    /// it. Required: the loader names a check without it.
    #[serde(default, deserialize_with = "read::kinds")]
    pub kinds: BTreeMap<Name, Vec<String>>,
    /// Documents with one of these statuses are left out, by rule.
    #[serde(default = "read::skip_status")]
    pub skip_status: Vec<String>,
    /// Failures allowed (of the documents checked) before the check fails.
    #[serde(default = "values::no_tolerance")]
    pub tolerance: Tolerance,
    #[serde(default = "read::max_failures", deserialize_with = "read::at_most")]
    pub max_failures: usize,
}

impl DocumentsConfig {
    /// The run's bound, once the loader filled the default in.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(300))
    }
}

/// Where the list of documents comes from.
#[derive(Debug, Clone)]
pub enum Inventory {
    /// A query on a SQL source returning named columns: `id`, `kind`,
    /// `location`, and where known `content_type`, `size`, `hash`,
    /// `hash_algorithm`, `patient`, `encounter`, `date`, `status`.
    Sql { from: Name, sql: String },
    /// `DocumentReference` searches on a FHIR source, following `next` links.
    Fhir {
        from: Name,
        params: Vec<(String, String)>,
    },
}

impl Inventory {
    pub fn from(&self) -> &Name {
        match self {
            Inventory::Sql { from, .. } | Inventory::Fhir { from, .. } => from,
        }
    }
}

/// Where linked patients and encounters are looked up.
#[derive(Debug, Clone)]
pub enum Links {
    /// Queries returning every patient id (and encounter id) of the target:
    /// streamed and matched against the ids the sample needs.
    Sql {
        from: Name,
        patients: String,
        encounters: Option<String>,
    },
    /// `Patient?_id=…` and `Encounter?_id=…` in batches.
    Fhir { from: Name },
}

/// How locations are read.
#[derive(Debug, Clone, Default)]
pub struct Storage {
    /// Relative locations are resolved against this URL or folder (FHIR
    /// inventories resolve `Binary/…` against the FHIR base instead).
    pub base: Option<Base>,
    /// Hash algorithm of inventory hashes that name none.
    pub hash_algorithm: Option<HashAlgorithm>,
    pub s3: Option<S3Config>,
    /// Hosts (`host` or `host:port`) absolute http(s) locations may name,
    /// besides the base's host and the FHIR server's.
    pub allowed_hosts: Vec<String>,
    /// Buckets `s3://` locations may name: none unless listed.
    pub allowed_buckets: Vec<String>,
    /// Absolute folders file locations may lie under, besides a folder base.
    pub allowed_folders: Vec<PathBuf>,
}

/// A base for relative locations.
#[derive(Debug, Clone)]
pub enum Base {
    Url(url::Url),
    Folder(PathBuf),
}

/// An S3-compatible object store for `s3://bucket/key` locations.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// The endpoint (`https://s3.eu-west-1.amazonaws.com`, `http://minio:9000`).
    pub endpoint: Option<url::Url>,
    pub region: String,
    pub access_key_id: Option<Secret>,
    pub secret_access_key: Option<Secret>,
    /// Plain-http endpoints (a local MinIO) are refused unless allowed.
    pub allow_http: bool,
}

/// Hash algorithms inventories use. Hex or base64 is told from the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha1,
    Sha256,
    Sha512,
    Sha3_512,
}

impl HashAlgorithm {
    pub const NAMES: &'static str = "sha1, sha256, sha512, sha3-512";

    pub fn parse(s: &str) -> Option<HashAlgorithm> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "sha1" | "sha-1" => Some(HashAlgorithm::Sha1),
            "sha256" | "sha-256" => Some(HashAlgorithm::Sha256),
            "sha512" | "sha-512" => Some(HashAlgorithm::Sha512),
            "sha3-512" | "sha3512" => Some(HashAlgorithm::Sha3_512),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "sha1",
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha512 => "sha512",
            HashAlgorithm::Sha3_512 => "sha3-512",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha512 | HashAlgorithm::Sha3_512 => 64,
        }
    }
}

#[cfg(test)]
mod tests;
