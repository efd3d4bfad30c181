//! Queries with bound text parameters that return rows of cells: all at
//! once for small results, or streamed one row at a time, in bounded memory,
//! for checks that judge every value of a column themselves.

use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::Row;

use super::{Cell, Pool, SqlSource, classify, lite_cell, my_cell, pg_cell};
use crate::sources::SourceError;

/// Builds a query with every bind as text.
macro_rules! bound {
    ($sql:expr, $binds:expr) => {{
        let mut q = sqlx::query(sqlx::AssertSqlSafe($sql.to_string()));
        for b in $binds {
            q = q.bind(b.clone());
        }
        q
    }};
}

fn cells<R: Row>(row: &R, cell: fn(&R, usize) -> Cell) -> Vec<Cell> {
    (0..row.len()).map(|i| cell(row, i)).collect()
}

/// Streamed statements select text: read it first, so the common case does
/// not pay for the failed integer attempts of the general reader.
fn text_first<R: Row>(row: &R, cell: fn(&R, usize) -> Cell) -> Vec<Cell>
where
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    (0..row.len())
        .map(|i| match row.try_get::<Option<String>, _>(i) {
            Ok(v) => v.map_or(Cell::Null, Cell::Text),
            Err(_) => cell(row, i),
        })
        .collect()
}

impl SqlSource {
    /// The bound on one statement as hypercare enforces it: the server's
    /// own timeout fires first where the engine has one.
    fn bound(&self) -> Duration {
        self.statement_timeout + Duration::from_secs(1)
    }

    /// Runs a query whose result is small (aggregates, a few sample keys)
    /// and returns every row. Placeholders are `$1…` on PostgreSQL and
    /// SQLite, `?` on MySQL; every bind is text.
    pub async fn rows(&self, sql: &str, binds: &[String]) -> Result<Vec<Vec<Cell>>, SourceError> {
        let fut = async {
            Ok(match &self.pool {
                Pool::Postgres(p) => bound!(sql, binds)
                    .fetch_all(p)
                    .await
                    .map_err(classify)?
                    .iter()
                    .map(|r| cells(r, pg_cell))
                    .collect(),
                Pool::MySql(p) => bound!(sql, binds)
                    .fetch_all(p)
                    .await
                    .map_err(classify)?
                    .iter()
                    .map(|r| cells(r, my_cell))
                    .collect(),
                Pool::Sqlite(p) => bound!(sql, binds)
                    .fetch_all(p)
                    .await
                    .map_err(classify)?
                    .iter()
                    .map(|r| cells(r, lite_cell))
                    .collect(),
            })
        };
        tokio::time::timeout(self.bound(), fut)
            .await
            .map_err(|_| SourceError::Timeout(self.statement_timeout))?
    }

    /// Runs a query and hands each row to `on_row` as it arrives, holding
    /// one row at a time (select text columns: they are read first).
    /// Returns the number of rows.
    pub async fn stream(
        &self,
        sql: &str,
        binds: &[String],
        on_row: &mut (dyn FnMut(&[Cell]) + Send),
    ) -> Result<u64, SourceError> {
        let fut = async {
            let mut n = 0u64;
            match &self.pool {
                Pool::Postgres(p) => {
                    let mut rows = bound!(sql, binds).fetch(p);
                    while let Some(r) = rows.try_next().await.map_err(classify)? {
                        on_row(&text_first(&r, pg_cell));
                        n += 1;
                    }
                }
                Pool::MySql(p) => {
                    let mut rows = bound!(sql, binds).fetch(p);
                    while let Some(r) = rows.try_next().await.map_err(classify)? {
                        on_row(&text_first(&r, my_cell));
                        n += 1;
                    }
                }
                Pool::Sqlite(p) => {
                    let mut rows = bound!(sql, binds).fetch(p);
                    while let Some(r) = rows.try_next().await.map_err(classify)? {
                        on_row(&text_first(&r, lite_cell));
                        n += 1;
                    }
                }
            }
            Ok(n)
        };
        tokio::time::timeout(self.bound(), fut)
            .await
            .map_err(|_| SourceError::Timeout(self.statement_timeout))?
    }
}
