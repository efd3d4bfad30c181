//! Rows as text, streamed: what keyed diffs read. Every value a diff reads
//! is normalized to text in SQL first, so one decoder serves every engine.

use std::sync::LazyLock;

use futures_util::stream::{BoxStream, StreamExt};
use regex::Regex;
use sqlx::Row;

use super::SourceError;
use super::sql::{Pool, SqlSource, classify};
use crate::config::Engine;

/// One row, every column as text (NULL as `None`).
pub type TextRow = Vec<Option<String>>;
/// A stream of rows, in the order the query gave them.
pub type TextRows<'a> = BoxStream<'a, Result<TextRow, SourceError>>;

/// A column's declared type, as the engine's catalogue tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    /// Lowercased type name: `integer`, `numeric`, `tinyint(1)`, `timestamp`, `uuid`…
    pub data_type: String,
    pub scale: Option<u32>,
    /// Fractional-second digits of a timestamp column.
    pub time_precision: Option<u32>,
    /// MySQL/MariaDB: the character set of a text column (`utf8mb4`…), so a
    /// diff can hash its bytes as stored when they are already UTF-8.
    pub charset: Option<String>,
}

fn text_row<R: Row>(r: &R) -> Result<TextRow, SourceError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    (0..r.len())
        .map(|i| {
            r.try_get::<Option<String>, _>(i)
                .map_err(|e| SourceError::Shape(format!("column {}: {e}", i + 1)))
        })
        .collect()
}

/// A query with every literal (quoted text, numbers) replaced by `?` and
/// runs of them shortened, so a TRACE log shows what was asked, never of
/// which records.
pub fn sql_shape(sql: &str) -> String {
    static LITERAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"'(?:[^']|'')*'?|\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?").expect("valid")
    });
    static RUN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\?(?:\s*,\s*-?\?)+").expect("valid"));
    let shaped = LITERAL.replace_all(sql, "?");
    RUN.replace_all(&shaped, "?, …").into_owned()
}

impl SqlSource {
    /// Streams a query whose columns are all text. Memory stays bounded by
    /// what the consumer holds; each row is still bounded by the statement timeout.
    pub fn stream_text(&self, sql: String) -> TextRows<'_> {
        // The text may carry record keys (segment bounds, key lists): only
        // its shape, literals replaced, goes to the log.
        tracing::trace!(sql = %sql_shape(&sql), "query");
        let sql = sqlx::AssertSqlSafe(sql);
        match &self.pool {
            Pool::Postgres(p) => sqlx::query(sql)
                .fetch(p)
                .map(|r| r.map_err(classify).and_then(|r| text_row(&r)))
                .boxed(),
            Pool::MySql(p) => sqlx::query(sql)
                .fetch(p)
                .map(|r| r.map_err(classify).and_then(|r| text_row(&r)))
                .boxed(),
            Pool::Sqlite(p) => sqlx::query(sql)
                .fetch(p)
                .map(|r| r.map_err(classify).and_then(|r| text_row(&r)))
                .boxed(),
        }
    }

    /// Runs a text query to completion within the statement timeout.
    pub async fn fetch_text(&self, sql: String) -> Result<Vec<TextRow>, SourceError> {
        let bound = self.statement_timeout + std::time::Duration::from_secs(1);
        let all = self.stream_text(sql).collect::<Vec<_>>();
        let rows = tokio::time::timeout(bound, all)
            .await
            .map_err(|_| SourceError::Timeout(self.statement_timeout))?;
        rows.into_iter().collect()
    }

    /// The declared types of `columns` of `table` (a validated identifier,
    /// optionally `schema.table`), in the order asked. A missing table or
    /// column is a `Shape` error naming it.
    pub async fn column_types(
        &self,
        table: &str,
        columns: &[String],
    ) -> Result<Vec<ColumnInfo>, SourceError> {
        let (schema, name) = match table.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, table),
        };
        // Identifiers were validated as [A-Za-z0-9_]: safe to quote as literals.
        let sql = match self.engine() {
            Engine::Postgres => format!(
                "SELECT column_name::text, lower(data_type)::text, numeric_scale::text, datetime_precision::text, \
                 NULL FROM information_schema.columns WHERE table_schema = {} AND table_name = '{name}'",
                schema.map_or("current_schema()".to_string(), |s| format!("'{s}'"))
            ),
            Engine::MySql => format!(
                "SELECT CAST(COLUMN_NAME AS CHAR), CAST(LOWER(COLUMN_TYPE) AS CHAR), CAST(NUMERIC_SCALE AS CHAR), \
                 CAST(DATETIME_PRECISION AS CHAR), CAST(CHARACTER_SET_NAME AS CHAR) FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = {} AND TABLE_NAME = '{name}'",
                schema.map_or("DATABASE()".to_string(), |s| format!("'{s}'"))
            ),
            Engine::Sqlite => {
                format!(
                    "SELECT name, lower(type), NULL, NULL, NULL FROM pragma_table_info('{name}')"
                )
            }
        };
        let rows = self.fetch_text(sql).await?;
        if rows.is_empty() {
            return Err(SourceError::Shape(format!("table `{table}` not found")));
        }
        columns
            .iter()
            .map(|col| {
                let row = rows
                    .iter()
                    .find(|r| {
                        r.first()
                            .and_then(|n| n.as_deref())
                            .is_some_and(|n| n.eq_ignore_ascii_case(col))
                    })
                    .ok_or_else(|| {
                        SourceError::Shape(format!("column `{col}` not found in `{table}`"))
                    })?;
                let num = |i: usize| {
                    row.get(i)
                        .and_then(|v| v.as_deref())
                        .and_then(|v| v.parse().ok())
                };
                Ok(ColumnInfo {
                    name: col.clone(),
                    data_type: row.get(1).cloned().flatten().unwrap_or_default(),
                    scale: num(2),
                    time_precision: num(3),
                    charset: row.get(4).cloned().flatten(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::sql_shape;

    #[test]
    fn the_logged_shape_holds_no_key_or_value() {
        let sql = "SELECT id, name FROM patient_data WHERE pid >= 10452 AND pid < 20904 \
                   AND lname = 'O''Brien' AND x IN (40017, -40018, 40019) ORDER BY pid";
        let shape = sql_shape(sql);
        for leak in ["10452", "20904", "Brien", "40017", "40018", "40019"] {
            assert!(!shape.contains(leak), "{leak} in {shape}");
        }
        assert_eq!(
            shape,
            "SELECT id, name FROM patient_data WHERE pid >= ? AND pid < ? \
             AND lname = ? AND x IN (?, …) ORDER BY pid"
        );
    }

    #[test]
    fn identifiers_with_digits_are_kept() {
        assert_eq!(
            sql_shape("SELECT col1 FROM t2 LIMIT 5"),
            "SELECT col1 FROM t2 LIMIT ?"
        );
    }
}
