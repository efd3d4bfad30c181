//! SQL sources over sqlx: PostgreSQL, MySQL/MariaDB and SQLite, chosen by URL.
//!
//! Sessions are opened read-only where the engine allows and in UTC; every
//! statement is bounded both by the server's own statement timeout (where the
//! engine has one) and by a client-side timeout that always applies.

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgPool, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqliteRow};
use sqlx::{Column, Row, TypeInfo};

use super::SourceError;
use crate::config::{Engine, SourceConfig};

mod named;
mod pools;
mod rows;
mod types;

pub use named::NamedRows;

/// Rows of a count query: `(None, n)` for a single count, `(Some(group), n)` per group.
pub type CountRows = Vec<(Option<String>, i64)>;

/// One SQL database, pooled.
pub struct SqlSource {
    pub(super) pool: Pool,
    pub(super) statement_timeout: Duration,
    engine: Engine,
}

pub(super) enum Pool {
    Postgres(PgPool),
    MySql(MySqlPool),
    Sqlite(SqlitePool),
}

impl SqlSource {
    pub fn new(cfg: &SourceConfig) -> Result<Self, SourceError> {
        let url = cfg.url.expose();
        let bad_url = |e: sqlx::Error| {
            SourceError::Connect(format!("invalid URL: {}", redact(&e.to_string(), url)))
        };
        let pool = match cfg.engine {
            Engine::Postgres => {
                pools::postgres(cfg, PgConnectOptions::from_str(url).map_err(bad_url)?)
            }
            Engine::MySql => {
                let url = url.replacen("mariadb://", "mysql://", 1);
                pools::mysql(cfg, MySqlConnectOptions::from_str(&url).map_err(bad_url)?)
            }
            Engine::Sqlite => {
                pools::sqlite(cfg, SqliteConnectOptions::from_str(url).map_err(bad_url)?)
            }
        };
        Ok(SqlSource {
            pool,
            statement_timeout: cfg.statement_timeout,
            engine: cfg.engine,
        })
    }

    /// Runs a count query: one integer, or `(group, count)` rows.
    pub async fn counts(&self, sql: &str) -> Result<CountRows, SourceError> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        // The server-side timeout fires first; this one covers engines and
        // network stalls it cannot see, with a small margin.
        let bound = self.statement_timeout + Duration::from_secs(1);
        let fut = async {
            match &self.pool {
                Pool::Postgres(p) => rows_to_counts(
                    sqlx::query(sql).fetch_all(p).await.map_err(classify)?,
                    pg_cell,
                ),
                Pool::MySql(p) => rows_to_counts(
                    sqlx::query(sql).fetch_all(p).await.map_err(classify)?,
                    my_cell,
                ),
                Pool::Sqlite(p) => rows_to_counts(
                    sqlx::query(sql).fetch_all(p).await.map_err(classify)?,
                    lite_cell,
                ),
            }
        };
        tokio::time::timeout(bound, fut)
            .await
            .map_err(|_| SourceError::Timeout(self.statement_timeout))?
    }

    /// The engine, which decides the SQL dialect checks write.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Postgres(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
        }
    }
}

/// A cell of a query as text or integer, whatever numeric type the engine returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(i64),
    Text(String),
    Null,
    /// A type sqlx cannot hand us as integer, text or float (PostgreSQL `numeric`, say).
    Unsupported,
}

fn rows_to_counts<R: Row>(
    rows: Vec<R>,
    cell: fn(&R, usize) -> Cell,
) -> Result<CountRows, SourceError> {
    // No rows at all can only come from a grouped query (a single count
    // always returns one row): zero groups, such as an empty table.
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let width = first.columns().len();
    match width {
        1 => {
            if rows.len() != 1 {
                return Err(SourceError::Shape(format!(
                    "expected one row with one integer, got {} rows",
                    rows.len()
                )));
            }
            Ok(vec![(None, count_of(cell(first, 0), 1)?)])
        }
        2 => rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let group = match cell(r, 0) {
                    Cell::Int(n) => n.to_string(),
                    Cell::Text(s) => s,
                    Cell::Null => "_null".to_string(),
                    Cell::Unsupported => {
                        return Err(SourceError::Shape(format!(
                            "row {}: the group column has a type that cannot be read as text; cast it to text",
                            i + 1
                        )));
                    }
                };
                Ok((Some(group), count_of(cell(r, 1), i + 1)?))
            })
            .collect(),
        n => Err(SourceError::Shape(format!(
            "expected one column (count) or two (group, count), got {n}"
        ))),
    }
}

pub(crate) fn count_of(c: Cell, row: usize) -> Result<i64, SourceError> {
    match c {
        Cell::Int(n) => Ok(n),
        Cell::Text(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && f.is_finite())
            .map(|f| f as i64)
            .ok_or_else(|| SourceError::Shape(format!("row {row}: the count is not an integer"))),
        Cell::Null => Err(SourceError::Shape(format!("row {row}: the count is NULL"))),
        Cell::Unsupported => Err(SourceError::Shape(format!(
            "row {row}: the count has a type that cannot be read as an integer; cast it, e.g. CAST(SUM(n) AS BIGINT)"
        ))),
    }
}

macro_rules! cell_reader {
    ($name:ident, $row:ty) => {
        fn $name(r: &$row, i: usize) -> Cell {
            if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
                return v.map_or(Cell::Null, Cell::Int);
            }
            if let Ok(v) = r.try_get::<Option<i32>, _>(i) {
                return v.map_or(Cell::Null, |v| Cell::Int(v.into()));
            }
            if let Ok(v) = r.try_get::<Option<String>, _>(i) {
                return v.map_or(Cell::Null, Cell::Text);
            }
            if let Ok(v) = r.try_get::<Option<f64>, _>(i) {
                return v.map_or(Cell::Null, |v| Cell::Text(v.to_string()));
            }
            Cell::Unsupported
        }
    };
}

cell_reader!(pg_cell, PgRow);
cell_reader!(lite_cell, SqliteRow);
cell_reader!(my_signed_cell, MySqlRow);

/// MySQL adds `UNSIGNED` integers and `DECIMAL` (what `SUM()` returns),
/// which the binary protocol sends as text.
fn my_cell(r: &MySqlRow, i: usize) -> Cell {
    if let Ok(v) = r.try_get::<Option<u64>, _>(i) {
        return v.map_or(Cell::Null, |v| {
            i64::try_from(v).map_or(Cell::Unsupported, Cell::Int)
        });
    }
    let is_decimal = r
        .columns()
        .get(i)
        .is_some_and(|c| c.type_info().name() == "DECIMAL");
    if is_decimal && let Ok(v) = r.try_get_unchecked::<Option<String>, _>(i) {
        return v.map_or(Cell::Null, Cell::Text);
    }
    my_signed_cell(r, i)
}

pub(super) fn classify(e: sqlx::Error) -> SourceError {
    match e {
        sqlx::Error::PoolTimedOut => {
            SourceError::Connect("no connection within the connect timeout".into())
        }
        sqlx::Error::Io(io) => SourceError::Connect(io.to_string()),
        sqlx::Error::Tls(t) => SourceError::Connect(format!("TLS: {t}")),
        sqlx::Error::Database(db) => SourceError::Query(truncate(db.message())),
        other => SourceError::Query(truncate(&other.to_string())),
    }
}

fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(300).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Removes the URL (which may hold a password) from an error message.
fn redact(message: &str, url: &str) -> String {
    message.replace(url, "<url>")
}
