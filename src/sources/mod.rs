//! Connections to the systems hypercare watches.
//!
//! A source is built from config once and shared by every check that names
//! it. Pools connect lazily, so a source that is down at start-up does not
//! stop the daemon: the checks using it report `error` until it returns.

mod body;
mod fhir;
mod oauth;
pub mod redirect;
mod rows;
mod smart;
mod sql;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use body::{BodyError, read_capped};
pub use fhir::{FhirSource, bundle_total};
pub use oauth::OAuthClient;
pub use rows::{ColumnInfo, TextRow, TextRows};
pub(crate) use sql::count_of;
pub use sql::{Cell, CountRows, NamedRows, SqlSource};

use crate::config::{Config, Name};

/// Why a source could not answer. Messages name the source and the step,
/// never record values.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("query failed: {0}")]
    Query(String),
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    #[error("unexpected result shape: {0}")]
    Shape(String),
}

impl SourceError {
    /// The failure's class, safe for summaries, logs and alerts. The
    /// message itself (`Display`) can quote record values, since databases
    /// and FHIR servers echo them (`invalid input syntax for type integer:
    /// "…"`), so it goes to a result's details only.
    pub fn class(&self) -> &'static str {
        match self {
            SourceError::Connect(_) => "cannot connect",
            SourceError::Query(_) => "query failed",
            SourceError::Timeout(_) => "timed out",
            SourceError::Shape(_) => "unexpected result",
        }
    }
}

/// All configured sources, by name.
#[derive(Clone, Default)]
pub struct Sources {
    sql: BTreeMap<Name, Arc<SqlSource>>,
    fhir: BTreeMap<Name, Arc<FhirSource>>,
}

impl Sources {
    /// Builds every source in the config (lazily connecting).
    pub fn from_config(config: &Config) -> Result<Self, SourceError> {
        let mut sql = BTreeMap::new();
        for (name, cfg) in &config.sources {
            sql.insert(name.clone(), Arc::new(SqlSource::new(cfg)?));
        }
        let mut fhir = BTreeMap::new();
        for (name, cfg) in &config.fhir_sources {
            fhir.insert(name.clone(), Arc::new(FhirSource::new(cfg)?));
        }
        Ok(Sources { sql, fhir })
    }

    pub fn fhir(&self, name: &Name) -> Option<Arc<FhirSource>> {
        self.fhir.get(name).cloned()
    }

    pub fn sql(&self, name: &Name) -> Option<Arc<SqlSource>> {
        self.sql.get(name).cloned()
    }

    /// Closes every pool, waiting up to 2 s for connections still busy
    /// (a cancelled SQLite query keeps its worker until the statement ends).
    pub async fn close(&self) {
        let all = futures_util::future::join_all(self.sql.values().map(|s| s.close()));
        if tokio::time::timeout(std::time::Duration::from_secs(2), all)
            .await
            .is_err()
        {
            tracing::debug!("some source connections were still busy at close");
        }
    }
}
