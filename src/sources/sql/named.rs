//! Rows read by column name, whatever type each column has (integers and
//! floats come back as text): what document inventories return, so an
//! operator writes `SELECT id, kind, location, size …` without casts.

use futures_util::stream::{BoxStream, StreamExt};
use sqlx::{Column, Row};

use super::super::SourceError;
use super::{Cell, Pool, SqlSource, classify, lite_cell, my_cell, pg_cell};

/// One row: the query's column names (lowercased, shared) and its values.
pub type NamedRow = (std::sync::Arc<[String]>, Vec<Option<String>>);
/// A stream of rows by column name.
pub type NamedRows<'a> = BoxStream<'a, Result<NamedRow, SourceError>>;

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

    /// The statement timeout, for callers bounding a whole stream.
    pub fn statement_timeout(&self) -> std::time::Duration {
        self.statement_timeout
    }
}
