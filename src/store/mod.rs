//! The store: every run and its result, the single source of truth.
//!
//! SQLite (embedded default) and PostgreSQL (production, shared by replicas)
//! sit behind one [`Store`]. Both run the same SQL (sqlx binds `$N` on
//! both); each has its own embedded migrations, applied at start. Times are
//! epoch milliseconds. A slot is claimed by inserting `(check, slot)` under a
//! unique key, so among replicas each slot runs once.

mod alerts;
mod feedback;
mod known;
mod known_signals;
mod ledger;
mod migrate;
mod not_duplicates;
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
pub use known::{ContactRow, KnownRow, NewKnownRow, NewTap, Notices, Tapped};
pub use known_signals::{InvestigatingRow, LateRow, TrainingRow};
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

/// How long one store call may take: a statement sent to a server that then
/// stops answering (frozen network path, stopped process) would otherwise
/// wait for the kernel's TCP timeouts. Short enough that the feedback form
/// answers with the text kept well within 10 s.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The same for calls that touch many rows (purges, a check's ledger).
pub const BULK_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the same expression against whichever pool the store holds, within
/// [`CALL_TIMEOUT`] (or [`BULK_TIMEOUT`] with `bulk`). The expression may
/// use `?` on sqlx errors; the macro yields its value and returns
/// [`StoreError::Unavailable`] from the calling function past the time.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        $crate::store::on_pool!(@within $crate::store::CALL_TIMEOUT, $store, $p => $body)
    };
    (bulk $store:expr, $p:ident => $body:expr) => {
        $crate::store::on_pool!(@within $crate::store::BULK_TIMEOUT, $store, $p => $body)
    };
    (@within $limit:expr, $store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($p) => {
                $crate::store::bounded($limit, async { Ok::<_, $crate::store::StoreError>($body) }).await?
            }
            $crate::store::Pool::Postgres($p) => {
                $crate::store::bounded($limit, async { Ok::<_, $crate::store::StoreError>($body) }).await?
            }
        }
    };
}
pub(crate) use on_pool;

/// `call`, or [`StoreError::Unavailable`] if it takes longer than `limit`.
pub(crate) async fn bounded<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(StoreError::Unavailable(format!(
            "no answer within {}",
            humantime::format_duration(limit)
        )))
    })
}

impl Store {
    /// Opens the store (creating a SQLite file and its folder on first run)
    /// and applies the migrations.
    pub async fn open(cfg: &StoreConfig) -> Result<Store, StoreError> {
        let url = cfg.url.expose();
        let acquire = Duration::from_secs(5);
        let pool = if cfg.is_postgres() {
            // The server ends what the client gave up on: no statement outlives
            // the longest call, no transaction sits idle holding locks.
            let opts = sqlx::postgres::PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Unavailable(e.to_string().replace(url, "<url>")))?
                .options([
                    ("statement_timeout", "120s"),
                    ("idle_in_transaction_session_timeout", "120s"),
                ]);
            let pool = PgPoolOptions::new()
                .max_connections(cfg.max_connections)
                .acquire_timeout(acquire)
                .connect_with(opts)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string().replace(url, "<url>")))?;
            Pool::Postgres(pool)
        } else {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Unavailable(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                // Small writes every few seconds and reads of recent runs: a
                // 512 KiB page cache per connection (SQLite's default is
                // 2 MiB) is plenty, and idle memory is what a host pays for.
                .pragma("cache_size", "-512")
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
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?);
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}
