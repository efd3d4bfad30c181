//! Column types from the source's catalog, for rules whose SQL depends on
//! them (blank tests on text only, native date comparisons). Every column
//! asked for must exist: a misspelt one is an error naming it.

use crate::config::Engine;
use crate::config::integrity::{Ident, TableName};
use crate::sources::SourceError;

use super::Ctx;
use super::sql::{self, Sql};

/// The catalog type of each column (lowercase: PostgreSQL's `format_type`,
/// MySQL's `DATA_TYPE`), or `None` on SQLite, whose columns take any type.
pub async fn types(
    ctx: &Ctx<'_>,
    table: &TableName,
    columns: &[&Ident],
) -> Result<Option<Vec<String>>, SourceError> {
    let e = ctx.engine;
    let mut q = Sql::new(e);
    match e {
        Engine::Sqlite => return Ok(None),
        Engine::Postgres => {
            let t = q.bind(sql::table(e, table));
            q.push(&format!(
                "SELECT CAST(a.attname AS TEXT), format_type(a.atttypid, a.atttypmod) \
                 FROM pg_attribute a WHERE a.attrelid = CAST({t} AS regclass) \
                 AND a.attnum > 0 AND NOT a.attisdropped"
            ));
        }
        Engine::MySql => {
            let schema = match &table.schema {
                Some(s) => q.bind(s.as_str()),
                None => "DATABASE()".to_string(),
            };
            let t = q.bind(table.table.as_str());
            q.push(&format!(
                "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = {schema} AND TABLE_NAME = {t}"
            ));
        }
    }
    let found: Vec<(String, String)> = q
        .rows(ctx.source)
        .await?
        .into_iter()
        .filter_map(|r| {
            let mut r = r.into_iter();
            Some((sql::key(r.next()?)?, sql::key(r.next()?)?.to_lowercase()))
        })
        .collect();
    if found.is_empty() {
        return Err(SourceError::Shape(format!("table `{table}` not found")));
    }
    columns
        .iter()
        .map(|c| {
            found
                .iter()
                .find(|(name, _)| match e {
                    // MySQL column names are case-insensitive.
                    Engine::MySql => name.eq_ignore_ascii_case(c.as_str()),
                    _ => name == c.as_str(),
                })
                .map(|(_, ty)| ty.clone())
                .ok_or_else(|| SourceError::Shape(format!("column `{c}` not found in `{table}`")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The first word of a catalog type: `character varying(64)` → `character`.
pub fn base(ty: &str) -> &str {
    ty.split(['(', ' ']).next().unwrap_or(ty)
}

/// Whether a catalog type holds dates or timestamps.
pub fn is_date(ty: &str) -> bool {
    matches!(base(ty), "date" | "datetime" | "timestamp")
}
