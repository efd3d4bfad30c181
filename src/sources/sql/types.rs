//! The columns a query would return with their database type names, read
//! from the prepared statement without running it: a pushed handoff
//! compares keys in their own type when both sides share one.

use sqlx::{Column, TypeInfo};

use super::super::SourceError;
use super::{Pool, SqlSource, classify};

impl SqlSource {
    /// `(name lowercased, type name uppercased)` per column. SQLite gives
    /// the declared type of a table column and `NULL` for an expression.
    pub async fn column_types_of(&self, sql: &str) -> Result<Vec<(String, String)>, SourceError> {
        use sqlx::{Executor, SqlSafeStr, Statement};
        fn typed<C: Column>(columns: &[C]) -> Vec<(String, String)> {
            columns
                .iter()
                .map(|c| {
                    let ty = c.type_info().name().to_ascii_uppercase();
                    (c.name().to_ascii_lowercase(), ty)
                })
                .collect()
        }
        let sql = sqlx::AssertSqlSafe(sql.to_string()).into_sql_str();
        let fut = async {
            Ok(match &self.pool {
                Pool::Postgres(p) => typed(p.prepare(sql).await.map_err(classify)?.columns()),
                Pool::MySql(p) => typed(p.prepare(sql).await.map_err(classify)?.columns()),
                Pool::Sqlite(p) => typed(p.prepare(sql).await.map_err(classify)?.columns()),
            })
        };
        tokio::time::timeout(
            self.statement_timeout() + std::time::Duration::from_secs(1),
            fut,
        )
        .await
        .map_err(|_| SourceError::Timeout(self.statement_timeout()))?
    }
}
