//! Rows read by column name, whatever type each column has (integers and
//! floats come back as text): what document inventories return, so an
//! operator writes `SELECT id, kind, location, size …` without casts; and
//! small results whose columns workflow steps read by name.

use futures_util::stream::{BoxStream, StreamExt};
use sqlx::{Column, Row};

use super::super::SourceError;
use super::{Cell, Pool, SqlSource, classify, lite_cell, my_cell, pg_cell};

/// One row: the query's column names (lowercased, shared) and its values.
pub type NamedRow = (std::sync::Arc<[String]>, Vec<Option<String>>);
/// A stream of rows by column name.
pub type NamedRows<'a> = BoxStream<'a, Result<NamedRow, SourceError>>;
/// Column names and every row of a small result.
pub type NamedTable = (Vec<String>, Vec<Vec<Cell>>);

fn collect<R: Row>(rows: Vec<R>, cell: fn(&R, usize) -> Cell) -> NamedTable {
    let names = rows
        .first()
        .map(|r| r.columns().iter().map(|c| c.name().to_string()).collect())
        .unwrap_or_default();
    let cells = rows
        .iter()
        .map(|r| (0..r.len()).map(|i| cell(r, i)).collect())
        .collect();
    (names, cells)
}

fn named<R: Row>(
    r: &R,
    cell: fn(&R, usize) -> Cell,
    names: &mut Option<std::sync::Arc<[String]>>,
) -> Result<NamedRow, SourceError> {
    let names = names
        .get_or_insert_with(|| {
            r.columns()
                .iter()
                .map(|c| c.name().to_ascii_lowercase())
                .collect()
        })
        .clone();
    let values = (0..r.len())
        .map(|i| match cell(r, i) {
            Cell::Int(n) => Ok(Some(n.to_string())),
            Cell::Text(s) => Ok(Some(s)),
            Cell::Null => Ok(None),
            Cell::Unsupported => Err(SourceError::Shape(format!(
                "column `{}` has a type that cannot be read as text; cast it",
                names.get(i).map_or("?", |n| n.as_str())
            ))),
        })
        .collect::<Result<_, _>>()?;
    Ok((names, values))
}

impl SqlSource {
    /// Streams a query's rows by column name. Each row is bounded by the
    /// statement timeout on the server; the consumer bounds the whole.
    pub fn stream_named(&self, sql: String) -> NamedRows<'_> {
        let sql = sqlx::AssertSqlSafe(sql);
        match &self.pool {
            Pool::Postgres(p) => {
                let mut names = None;
                sqlx::query(sql)
                    .fetch(p)
                    .map(move |r| {
                        r.map_err(classify)
                            .and_then(|r| named(&r, pg_cell, &mut names))
                    })
                    .boxed()
            }
            Pool::MySql(p) => {
                let mut names = None;
                sqlx::query(sql)
                    .fetch(p)
                    .map(move |r| {
                        r.map_err(classify)
                            .and_then(|r| named(&r, my_cell, &mut names))
                    })
                    .boxed()
            }
            Pool::Sqlite(p) => {
                let mut names = None;
                sqlx::query(sql)
                    .fetch(p)
                    .map(move |r| {
                        r.map_err(classify)
                            .and_then(|r| named(&r, lite_cell, &mut names))
                    })
                    .boxed()
            }
        }
    }

    /// Runs a small query with text binds within the statement timeout and
    /// returns its column names (empty when no row came) and rows.
    pub async fn rows_named(&self, sql: &str, binds: &[String]) -> Result<NamedTable, SourceError> {
        macro_rules! run {
            ($p:expr, $cell:expr) => {{
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
                for b in binds {
                    q = q.bind(b.clone());
                }
                collect(q.fetch_all($p).await.map_err(classify)?, $cell)
            }};
        }
        let fut = async {
            Ok(match &self.pool {
                Pool::Postgres(p) => run!(p, pg_cell),
                Pool::MySql(p) => run!(p, my_cell),
                Pool::Sqlite(p) => run!(p, lite_cell),
            })
        };
        tokio::time::timeout(
            self.statement_timeout + std::time::Duration::from_secs(1),
            fut,
        )
        .await
        .map_err(|_| SourceError::Timeout(self.statement_timeout))?
    }

    /// The statement timeout, for callers bounding a whole stream.
    pub fn statement_timeout(&self) -> std::time::Duration {
        self.statement_timeout
    }
}

impl SqlSource {
    /// The column names a query would return (lowercased), read from the
    /// prepared statement, without running it.
    pub async fn column_names(&self, sql: &str) -> Result<Vec<String>, SourceError> {
        use sqlx::{Executor, SqlSafeStr, Statement};
        fn lower<C: Column>(columns: &[C]) -> Vec<String> {
            columns
                .iter()
                .map(|c| c.name().to_ascii_lowercase())
                .collect()
        }
        let sql = sqlx::AssertSqlSafe(sql.to_string()).into_sql_str();
        let fut = async {
            Ok(match &self.pool {
                Pool::Postgres(p) => lower(p.prepare(sql).await.map_err(classify)?.columns()),
                Pool::MySql(p) => lower(p.prepare(sql).await.map_err(classify)?.columns()),
                Pool::Sqlite(p) => lower(p.prepare(sql).await.map_err(classify)?.columns()),
            })
        };
        tokio::time::timeout(
            self.statement_timeout + std::time::Duration::from_secs(1),
            fut,
        )
        .await
        .map_err(|_| SourceError::Timeout(self.statement_timeout))?
    }
}
