//! The store: every run and its result, the single source of truth.
//!
//! SQLite (embedded default) and PostgreSQL (production, shared by replicas)
//! sit behind one [`Store`]. Both run the same SQL (sqlx binds `$N` on
//! both); each has its own embedded migrations, applied at start. Times are
//! epoch milliseconds. A slot is claimed by inserting `(check, slot)` under a
//! unique key, so among replicas each slot runs once.

mod alerts;
mod feedback;
mod ledger;
mod migrate;
pub(crate) mod outbox;
mod payloads;
mod runs;
mod stabilization;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use alerts::{AlertRow, AlertState, SilenceRow, TransitionRow};
pub use feedback::{
    FeedbackEventRow, FeedbackFilter, FeedbackRow, Inserted, NewFeedbackRow, StatusChange,
};
pub use outbox::{NewOutbox, OutboxCounts, OutboxRow};
pub use payloads::{AlertmanagerPayload, EmailPayload, InlineImage};
pub use runs::{Claim, NewClaim, StoredRun};
pub use stabilization::{DayRow, OpenReport, TriggerRow};

use crate::config::StoreConfig;

/// Why the store could not do what was asked. Never carries the URL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unreachable: {0}")]
    Unavailable(String),
    #[error("store query failed: {0}")]
    Query(String),
    #[error("store migration failed: {0}")]
    Migrate(String),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Query(other.to_string()),
        }
    }
}

/// A handle on the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same expression against whichever pool the store holds.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Store {
    /// Opens the store (creating a SQLite file and its folder on first run)
    /// and applies the migrations.
    pub async fn open(cfg: &StoreConfig) -> Result<Store, StoreError> {
        let url = cfg.url.expose();
        let acquire = Duration::from_secs(5);
        let pool = if cfg.is_postgres() {
            let pool = PgPoolOptions::new()
                .max_connections(cfg.max_connections)
                .acquire_timeout(acquire)
                .connect(url)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string().replace(url, "<url>")))?;
            Pool::Postgres(pool)
        } else {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Unavailable(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            if let Some(parent) = opts
                .get_filename()
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(cfg.max_connections)
                .acquire_timeout(acquire)
                .connect_with(opts)
                .await?;
            Pool::Sqlite(pool)
        };
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()).map_err(Into::into))
    }

    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}
