//! Completeness: per required field, the share of rows where it is present
//! (not NULL; not blank for text; not a zero date on MySQL). One statement
//! counts every field's missing values and returns the first keys of rows
//! missing any. The column types come from the catalog first, so blank tests
//! are applied to text columns only.

use crate::config::Engine;
use crate::config::integrity::{Ident, IntegrityRule, TableName};
use crate::results::{FieldCompleteness, Outcome, RuleResult};
use crate::sources::{Cell, SourceError};

use super::clinics::{self, Slices};
use super::sql::{self, Sql};
use super::{Ctx, catalog};

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
) -> Result<Option<Slices>, SourceError> {
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
    let any = missing.join(" OR ");
    let incomplete = sql::bigint(e, &format!("SUM(CASE WHEN {any} THEN 1 ELSE 0 END)"));
    // Samples in key order without a window: the scan can stop at the last one.
    let mut q = Sql::new(e);
    q.push(&format!(
        "SELECT c.checked{}, b.k, c.problems \
         FROM (SELECT COUNT(*) AS checked{}, {incomplete} AS problems FROM {from} WHERE {scope}) c \
         LEFT JOIN (SELECT {} AS k, {k} AS o \
         FROM {from} WHERE {scope} AND ({any}) ORDER BY {k} LIMIT {}) b ON 1 = 1 ORDER BY b.o",
        cols.concat(),
        sums.concat(),
        sql::text(e, &k),
        ctx.limit()
    ));
    let rows = q.rows(ctx.source).await?;
    read(rows, fields, min_ratio, ctx.samples, out)?;
    // Per clinic: incomplete rows (the verdict stays on the field shares).
    match clinics::column(ctx, &rule.clinic) {
        Some(c) => {
            let mut bad = |_: &mut Sql| any.clone();
            let tally = clinics::bad_rows(ctx, &c, &from, &scope, &mut bad).await?;
            Ok(Some(tally.into_slices(out)))
        }
        None => Ok(None),
    }
}

fn missing(col: &str, p: Presence) -> String {
    match p {
        Presence::Text => format!("({col} IS NULL OR TRIM({col}) = '')"),
        Presence::ZeroDate => format!("({col} IS NULL OR {col} < '0001-01-01')"),
        Presence::Other => format!("{col} IS NULL"),
    }
}

/// Rows: `(checked, missing per field…, sample key, incomplete rows)`.
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
        problems = sql::int(p)?;
        if out.sample_keys.len() < keep {
            out.sample_keys.extend(sql::key(k));
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

/// Each field's presence test, from the catalog's column types.
async fn presence(
    ctx: &Ctx<'_>,
    table: &TableName,
    fields: &[Ident],
) -> Result<Vec<Presence>, SourceError> {
    let columns: Vec<&Ident> = fields.iter().collect();
    Ok(match catalog::types(ctx, table, &columns).await? {
        // SQLite's TRIM reads any value as text.
        None => vec![Presence::Text; fields.len()],
        Some(types) => types.iter().map(|t| classify(ctx.engine, t)).collect(),
    })
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
    let base = catalog::base(ty);
    if text.contains(&base) || base.ends_with("text") {
        Presence::Text
    } else if e == Engine::MySql && catalog::is_date(ty) {
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
