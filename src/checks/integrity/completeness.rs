//! Completeness: per required field, the share of rows where it is present
//! (not NULL; not blank for text; not a zero date on MySQL). One statement
//! counts every field's missing values and returns the first keys of rows
//! missing any. The column types come from the catalog first, so blank tests
//! are applied to text columns only.

use crate::config::Engine;
use crate::config::integrity::{Ident, IntegrityRule, TableName};
use crate::results::{FieldCompleteness, Outcome, RuleResult};
use crate::sources::{Cell, SourceError};

use super::Ctx;
use super::sql::{self, Sql};

/// How "missing" is tested for a column of a given type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    /// NULL, or blank after trimming.
    Text,
    /// NULL, or MySQL's zero date.
    ZeroDate,
    /// NULL only.
    Other,
}

pub async fn run(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
    key: &Ident,
    fields: &[Ident],
    min_ratio: f64,
    out: &mut RuleResult,
) -> Result<(), SourceError> {
    let e = ctx.engine;
    let kinds = presence(ctx, &rule.table, fields).await?;
    let missing: Vec<String> = fields
        .iter()
        .zip(&kinds)
        .map(|(f, p)| missing(&format!("t.{}", sql::ident(e, f)), *p))
        .collect();
    let sums: Vec<String> = missing
        .iter()
        .enumerate()
        .map(|(i, m)| {
            format!(
                ", {} AS m{i}",
                sql::bigint(e, &format!("SUM(CASE WHEN {m} THEN 1 ELSE 0 END)"))
            )
        })
        .collect();
    let from = format!("{} t", sql::table(e, &rule.table));
    let scope = sql::filter(&rule.filter);
    let k = format!("t.{}", sql::ident(e, key));
    let cols: Vec<String> = (0..fields.len()).map(|i| format!(", c.m{i}")).collect();
    let mut q = Sql::new(e);
    q.push(&format!(
        "SELECT c.checked{}, b.k, b.problems \
         FROM (SELECT COUNT(*) AS checked{} FROM {from} WHERE {scope}) c \
         LEFT JOIN (SELECT {} AS k, {k} AS o, COUNT(*) OVER () AS problems \
         FROM {from} WHERE {scope} AND ({}) ORDER BY {k} LIMIT {}) b ON 1 = 1 ORDER BY b.o",
        cols.concat(),
        sums.concat(),
        sql::text(e, &k),
        missing.join(" OR "),
        ctx.limit()
    ));
    let rows = q.rows(ctx.source).await?;
    read(rows, fields, min_ratio, ctx.samples, out)
}

fn missing(col: &str, p: Presence) -> String {
    match p {
        Presence::Text => format!("({col} IS NULL OR TRIM({col}) = '')"),
        Presence::ZeroDate => format!("({col} IS NULL OR {col} < '0001-01-01')"),
        Presence::Other => format!("{col} IS NULL"),
    }
}

/// Rows: `(checked, missing per field…, key, problems)`.
fn read(
    rows: Vec<Vec<Cell>>,
    fields: &[Ident],
    min_ratio: f64,
    keep: usize,
    out: &mut RuleResult,
) -> Result<(), SourceError> {
    let width = fields.len() + 3;
    let mut checked = 0;
    let mut misses = vec![0i64; fields.len()];
    let mut problems = 0;
    for row in rows {
        if row.len() != width {
            return Err(SourceError::Shape(format!(
                "expected {width} columns, got {}",
                row.len()
            )));
        }
        let mut cells = row.into_iter();
        let mut next = || cells.next().unwrap_or(Cell::Null);
        checked = sql::int(next())?;
        for m in misses.iter_mut() {
            *m = sql::int(next())?;
        }
        let (k, p) = (next(), next());
        if !matches!(p, Cell::Null) {
            problems = sql::int(p)?;
            if out.sample_keys.len() < keep {
                out.sample_keys.extend(sql::key(k));
            }
        }
    }
    out.fields = fields
        .iter()
        .zip(misses)
        .map(|(f, missing)| {
            let ratio = if checked == 0 {
                1.0
            } else {
                (checked - missing) as f64 / checked as f64
            };
            FieldCompleteness {
                field: f.to_string(),
                missing,
                ratio,
                below_threshold: ratio < min_ratio,
            }
        })
        .collect();
    out.rows_checked = Some(checked);
    out.problems = Some(problems);
    out.status = if out.fields.iter().any(|f| f.below_threshold) {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    Ok(())
}

/// Each field's presence test, from the catalog's column types. Every
/// field must exist: a misspelt one is an error naming it.
async fn presence(
    ctx: &Ctx<'_>,
    table: &TableName,
    fields: &[Ident],
) -> Result<Vec<Presence>, SourceError> {
    let e = ctx.engine;
    let mut q = Sql::new(e);
    match e {
        // SQLite's TRIM reads any value as text.
        Engine::Sqlite => return Ok(vec![Presence::Text; fields.len()]),
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
    let columns: Vec<(String, String)> = q
        .rows(ctx.source)
        .await?
        .into_iter()
        .filter_map(|r| {
            let mut r = r.into_iter();
            Some((sql::key(r.next()?)?, sql::key(r.next()?)?.to_lowercase()))
        })
        .collect();
    fields
        .iter()
        .map(|f| {
            let found = columns.iter().find(|(name, _)| match e {
                Engine::MySql => name.eq_ignore_ascii_case(f.as_str()),
                _ => name == f.as_str(),
            });
            match found {
                Some((_, ty)) => Ok(classify(e, ty)),
                None if columns.is_empty() => {
                    Err(SourceError::Shape(format!("table `{table}` not found")))
                }
                None => Err(SourceError::Shape(format!(
                    "column `{f}` not found in `{table}`"
                ))),
            }
        })
        .collect()
}

/// A catalog type name (PostgreSQL's `format_type`, MySQL's `DATA_TYPE`).
fn classify(e: Engine, ty: &str) -> Presence {
    let text = [
        "char",
        "varchar",
        "character",
        "text",
        "citext",
        "name",
        "enum",
        "set",
        "bpchar",
    ];
    let base = ty.split(['(', ' ']).next().unwrap_or(ty);
    if text.contains(&base) || base.ends_with("text") {
        Presence::Text
    } else if e == Engine::MySql && ["date", "datetime", "timestamp"].contains(&base) {
        Presence::ZeroDate
    } else {
        Presence::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_types_decide_the_presence_test() {
        let pg = Engine::Postgres;
        for t in ["text", "character varying(64)", "character(3)", "citext"] {
            assert_eq!(classify(pg, t), Presence::Text, "{t}");
        }
        for t in [
            "integer",
            "date",
            "timestamp without time zone",
            "uuid",
            "numeric(10,2)",
        ] {
            assert_eq!(classify(pg, t), Presence::Other, "{t}");
        }
        let my = Engine::MySql;
        for t in ["varchar", "char", "longtext", "enum"] {
            assert_eq!(classify(my, t), Presence::Text, "{t}");
        }
        for t in ["date", "datetime", "timestamp"] {
            assert_eq!(classify(my, t), Presence::ZeroDate, "{t}");
        }
        assert_eq!(classify(my, "int"), Presence::Other);
    }
}
