//! Typed configuration: loaded once, validated while loading, valid after.
//!
//! `load` reads TOML, expands `${ENV}` references and `*_env` / `*_file`
//! secrets, and checks every value (cron expressions, durations, URLs, names,
//! references between sections). It reports every mistake with file:line:col,
//! not just the first. A [`Config`] that exists is valid.

mod admin;
pub mod alerts;
pub mod checks;
mod column_rule;
mod de;
mod digests;
pub mod documents;
mod errors;
mod feedback;
mod fhir_path;
pub mod handoffs;
pub mod integrity;
mod load;
mod raw;
mod reconcile;
mod refs;
mod secret;
mod secrets;
mod server;
mod sources;
pub mod stabilization;
mod store;
mod validate;
mod values;
pub mod workflows;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

pub use admin::{AdminAuth, BasicAuth, IpNet};
pub use column_rule::ColumnRule;
pub use errors::{ConfigError, ConfigErrors};
pub use feedback::{Choice, Clinic, ClinicCodes, FeedbackConfig, MrnPattern, UNASSIGNED};
pub use fhir_path::FhirPath;
pub use integrity::{Ident, IntegrityConfig};
pub use load::{load, parse};
pub use secret::Secret;
pub use server::ServerConfig;
pub use sources::{ClientAuth, Engine, FhirAuth, FhirSourceConfig, SourceConfig};
pub use store::StoreConfig;
pub use workflows::{WorkflowConfig, WorkflowMetricsConfig};

/// Where the config file is looked for when `-c` and `$HYPERCARE_CONFIG` are absent.
pub const DEFAULT_PATH: &str = "hypercare.toml";
/// The store used when `[store]` names none.
pub const DEFAULT_STORE_URL: &str = "sqlite://data/hypercare.db";
/// The listener used when `[server]` names none.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9187";

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, for messages.
    pub path: PathBuf,
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub scheduler: SchedulerConfig,
    pub sources: BTreeMap<Name, SourceConfig>,
    pub fhir_sources: BTreeMap<Name, FhirSourceConfig>,
    pub reconcile: Vec<ReconcileConfig>,
    /// `[[clinics]]`: the clinics staff work in (feedback, digests).
    pub clinics: Vec<Clinic>,
    pub feedback: FeedbackConfig,
    pub integrity: Vec<IntegrityConfig>,
    /// `[[workflows]]`: synthetic clinical workflow probes.
    pub workflows: Vec<WorkflowConfig>,
    pub workflow_metrics: WorkflowMetricsConfig,
    /// `[[documents]]`: document accessibility checks.
    pub documents: Vec<documents::DocumentsConfig>,
    /// `[alerting]`, `[[alerts]]`, `[notifiers.NAME]`, `[smtp]`, `[outbox]`, `[[silences]]`.
    pub alerting: AlertingSections,
    /// `[stabilization]`: go-live waves, exit criteria, rollback triggers.
    pub stabilization: stabilization::StabilizationConfig,
    /// `[[digests]]`: scheduled clinic e-mails.
    pub digests: Vec<stabilization::DigestConfig>,
    /// `[[handoffs]]`: events that must reach another system in time.
    pub handoffs: Vec<handoffs::HandoffConfig>,
}

/// Everything about alerts and notifications, validated together because
/// rules name notifiers and checks.
#[derive(Debug, Clone)]
pub struct AlertingSections {
    pub general: alerts::AlertingConfig,
    pub rules: Vec<alerts::AlertRuleConfig>,
    pub notifiers: BTreeMap<Name, alerts::NotifierConfig>,
    pub smtp: Option<alerts::SmtpConfig>,
    pub outbox: alerts::OutboxConfig,
    pub silences: Vec<alerts::SilenceConfig>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// How long running checks may finish after SIGTERM before they are cancelled.
    #[serde(default = "values::secs::<30>", deserialize_with = "values::duration")]
    pub drain_timeout: Duration,
    /// The timeout of a check that sets none.
    #[serde(default = "values::secs::<300>", deserialize_with = "values::duration")]
    pub default_timeout: Duration,
    /// How long a replica's claim on a running slot lasts without a heartbeat.
    #[serde(default = "values::secs::<30>", deserialize_with = "scheduler_lease")]
    pub lease: Duration,
    /// This process's name among replicas; hostname and pid when unset.
    #[serde(default)]
    pub replica_id: Option<String>,
}

fn scheduler_lease<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let hint = Some("a heartbeat renews it every third of the lease");
    values::duration_at_least(d, Duration::from_secs(2), "lease must be at least 2s", hint)
}

#[derive(Debug, Clone)]
pub struct ReconcileConfig {
    pub name: Name,
    pub description: Option<String>,
    pub schedule: CronSchedule,
    pub timeout: Duration,
    pub tolerance: Tolerance,
    /// Groups beyond this many are folded into `_other` in metrics.
    pub max_groups: usize,
    pub enabled: bool,
    pub compare: Comparison,
}

/// What a reconciliation compares.
#[derive(Debug, Clone)]
pub enum Comparison {
    /// Record counts (total or per group) from a query on each side.
    Counts {
        source: SideQuery,
        target: SideQuery,
    },
    /// Records by key: which are missing, extra or changed.
    Keyed(Box<KeyedConfig>),
}

/// A keyed diff between a table on each side.
#[derive(Debug, Clone)]
pub struct KeyedConfig {
    pub source: KeyedSide,
    pub target: KeyedSide,
    /// Comparison rules per column pair (index into `columns`).
    pub rules: BTreeMap<usize, Vec<ColumnRule>>,
    /// Cap on the keys listed per kind of discrepancy.
    pub max_keys: usize,
    /// How many segments a differing segment is split into.
    pub bisection_factor: usize,
    /// Segments with at most this many rows (both sides) are compared row by row.
    pub bisection_threshold: u64,
    /// A discrepancy fails the check only once it has lasted this long.
    pub grace: Duration,
    /// Discrepancy keys tracked from run to run (new, persisting, resolved).
    pub drift_keys: usize,
    /// Incremental runs (both sides name an `updated` column) look this far
    /// before the previous run's start, for changes still replicating.
    pub lag: Duration,
    /// With incremental runs: the first run after each of these times
    /// compares every row. Without it, only the first run does.
    pub full_sweep: Option<CronSchedule>,
    /// FHIR sides are sorted on disk in a fresh folder under this one.
    pub sort_dir: std::path::PathBuf,
    /// Bytes of rows sorted in memory before a run is spilled to disk.
    pub sort_memory: usize,
}

impl KeyedConfig {
    /// Whether runs after the first compare only rows changed since the last.
    pub fn incremental(&self) -> bool {
        self.source.updated.is_some() && self.target.updated.is_some()
    }
}

/// One side of a keyed diff. Identifiers are validated SQL identifiers.
#[derive(Debug, Clone)]
pub struct KeyedSide {
    pub from: Name,
    pub table: String,
    pub key: Vec<String>,
    /// Paired by position with the other side's columns.
    pub columns: Vec<String>,
    /// A SQL condition selecting the records to compare (soft deletes…).
    pub filter: Option<String>,
    /// A last-changed column, for incremental runs.
    pub updated: Option<String>,
    /// A SQL expression replacing a column on this side, by column name.
    pub expressions: BTreeMap<String, String>,
    /// The column or SQL expression holding each row's clinic code; the
    /// check compares it as the clinic id the code stands for.
    pub clinic: Option<String>,
    /// A FHIR side: `table` is then the resource type, `key` the key as
    /// written and `columns` the paths as written (for naming findings).
    pub fhir: Option<FhirKeyed>,
}

/// A keyed side read from a FHIR server by paging a search.
#[derive(Debug, Clone)]
pub struct FhirKeyed {
    pub resource: String,
    /// Search parameters (`active=true`); `_count` sets the page size.
    pub params: Vec<(String, String)>,
    pub key: FhirKey,
    /// Paired by position with the other side's columns.
    pub paths: Vec<FhirPath>,
    /// The side's `clinic` path, once the check knows the clinics' codes:
    /// each resource's value there is compared as the clinic id it means.
    pub clinic: Option<FhirClinic>,
}

/// A FHIR side's clinic: where each resource names it, and the codes.
#[derive(Debug, Clone)]
pub struct FhirClinic {
    pub path: FhirPath,
    pub codes: ClinicCodes,
}

/// What identifies a FHIR resource in a keyed diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FhirKey {
    /// The resource's logical id.
    Id,
    /// The value of the identifier with this system (such as the MRN system).
    Identifier(String),
}

/// Whether a string is a plain SQL identifier (optionally `schema.name`),
/// safe to quote into generated SQL.
pub fn is_identifier(s: &str, allow_schema: bool) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 64
            && p.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match s.split_once('.') {
        Some((schema, name)) if allow_schema => part(schema) && part(name),
        Some(_) => false,
        None => part(s),
    }
}

/// One side of a count reconciliation: a query on a named source.
#[derive(Debug, Clone)]
pub struct SideQuery {
    pub from: Name,
    pub query: CountQuery,
}

/// How a side counts its records.
#[derive(Debug, Clone)]
pub enum CountQuery {
    /// SQL returning one integer, or `(group, count)` rows.
    Sql(String),
    /// A FHIR search counted with `_summary=count`.
    Fhir(Box<FhirCount>),
}

/// A FHIR count: `GET [base]/[resource]?[params]&_summary=count`, once in
/// total or once per group with `[group_param]=[value]` added.
#[derive(Debug, Clone)]
pub struct FhirCount {
    pub resource: String,
    /// Search parameters as a query string (`active=true&_lastUpdated=gt2024`).
    pub params: Vec<(String, String)>,
    pub group_param: Option<String>,
    /// Group name → the search value that selects it.
    pub groups: BTreeMap<String, String>,
}

/// How far target and source counts may differ before a check fails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    Absolute(u64),
    /// Percent of the source count.
    Percent(f64),
}

impl Tolerance {
    /// Whether a difference is beyond this tolerance, given the source count.
    pub fn exceeded(&self, source: i64, difference: i64) -> bool {
        let diff = difference.unsigned_abs();
        match *self {
            Tolerance::Absolute(n) => diff > n,
            Tolerance::Percent(p) => (diff as f64) > (source.unsigned_abs() as f64) * p / 100.0,
        }
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tolerance::Absolute(n) => write!(f, "{n}"),
            Tolerance::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// A cron schedule with seconds, kept with the text it came from.
#[derive(Clone)]
pub struct CronSchedule {
    pub text: String,
    pub schedule: cron::Schedule,
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.text)
    }
}

impl FromStr for CronSchedule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let fields = s.split_whitespace().count();
        if fields == 5 {
            return Err(
                "5-field cron expressions are not accepted: add the seconds field first".into(),
            );
        }
        let schedule = cron::Schedule::from_str(s).map_err(|e| e.to_string())?;
        Ok(CronSchedule {
            text: s.to_string(),
            schedule,
        })
    }
}

/// A config name (check, source, clinic) that is safe as a metric label
/// value and in URLs: a lowercase letter, then lowercase letters, digits,
/// `_` or `-`, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub fn parse(s: &str) -> Result<Name, String> {
        let ok_first = s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let ok_rest = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if s.is_empty() || s.len() > 64 || !ok_first || !ok_rest {
            return Err(format!(
                "`{s}` is not a valid name: use a lowercase letter, then lowercase letters, digits, `_` or `-` (at most 64)"
            ));
        }
        Ok(Name(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_label_safe() {
        assert!(Name::parse("patients_per-clinic2").is_ok());
        for bad in ["", "Patients", "1st", "a b", "a.b", &"x".repeat(65)] {
            assert!(Name::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tolerance_absolute_and_percent() {
        assert!(!Tolerance::Absolute(5).exceeded(100, -5));
        assert!(Tolerance::Absolute(5).exceeded(100, 6));
        assert!(!Tolerance::Percent(1.0).exceeded(1000, -10));
        assert!(Tolerance::Percent(1.0).exceeded(1000, -11));
    }

    #[test]
    fn cron_needs_seconds() {
        assert!("0 */5 * * * *".parse::<CronSchedule>().is_ok());
        assert!(
            "*/5 * * * *"
                .parse::<CronSchedule>()
                .unwrap_err()
                .contains("seconds")
        );
        assert!("0 99 * * * *".parse::<CronSchedule>().is_err());
    }

    #[test]
    fn engine_from_scheme() {
        assert_eq!(
            Engine::from_url("postgresql://h/db"),
            Some(Engine::Postgres)
        );
        assert_eq!(Engine::from_url("mariadb://h/db"), Some(Engine::MySql));
        assert_eq!(Engine::from_url("sqlite:///tmp/x.db"), Some(Engine::Sqlite));
        assert_eq!(Engine::from_url("sqlite::memory:"), Some(Engine::Sqlite));
        assert_eq!(Engine::from_url("oracle://h"), None);
    }
}
