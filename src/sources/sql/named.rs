//! Small queries whose columns are read by name (workflow steps extract
//! variables from the first row by column name).

use sqlx::{Column, Row};

use super::{Cell, Pool, SqlSource, classify, lite_cell, my_cell, pg_cell};
use crate::sources::SourceError;

/// Column names and every row of a small result.
pub type NamedRows = (Vec<String>, Vec<Vec<Cell>>);

fn collect<R: Row>(rows: Vec<R>, cell: fn(&R, usize) -> Cell) -> NamedRows {
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

impl SqlSource {
    /// Runs a query with text binds within the statement timeout and returns
    /// its column names (empty when no row came) and rows.
    pub async fn rows_named(&self, sql: &str, binds: &[String]) -> Result<NamedRows, SourceError> {
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
}
