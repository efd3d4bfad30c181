//! Validity: values (not NULL, not blank) that fail a test. Patterns, code
//! sets, code shapes, date ranges and mapping tables are tested in the
//! database; NPI and LOINC check digits are computed here on the streamed
//! column.

use crate::config::Engine;
use crate::config::integrity::{Builtin, DateBound, IntegrityRule, RuleSpec, ValidityTest};
use crate::results::RuleResult;
use crate::sources::{Cell, SourceError};

use super::codes;
use super::orphans::trimmed_text;
use super::samples::Smallest;
use super::sql::{self, Sql};
use super::{Ctx, judge};

pub async fn run(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
    out: &mut RuleResult,
) -> Result<(), SourceError> {
    let RuleSpec::Validity {
        key,
        column,
        test,
        tolerance,
    } = &rule.spec
    else {
        return Err(SourceError::Shape("not a validity rule".into()));
    };
    let e = ctx.engine;
    let col = format!("t.{}", sql::ident(e, column));
    let from = format!("{} t", sql::table(e, &rule.table));
    let k = format!("t.{}", sql::ident(e, key));
    let scope = format!(
        "{} AND {col} IS NOT NULL AND {} <> ''",
        sql::filter(&rule.filter),
        trimmed_text(e, &col)
    );
    let (checked, problems, keys) = match test {
        ValidityTest::Builtin(Builtin::Npi) => {
            stream(ctx, &from, &k, &col, &scope, codes::npi_valid).await?
        }
        ValidityTest::Builtin(Builtin::Loinc) => {
            stream(ctx, &from, &k, &col, &scope, codes::loinc_valid).await?
        }
        sql_test => {
            let mut q = Sql::new(e);
            let bad = bad_value(&mut q, sql_test, &col, ctx)?;
            sql::checked_and_bad(&mut q, &from, &k, &scope, &bad, ctx.limit());
            sql::read_checked_and_bad(q.rows(ctx.source).await?, ctx.samples)?
        }
    };
    out.rows_checked = Some(checked);
    out.problems = Some(problems);
    out.sample_keys = keys;
    out.status = judge(*tolerance, checked, problems);
    Ok(())
}

/// The condition under which a value fails a test the database can run.
fn bad_value(
    q: &mut Sql,
    test: &ValidityTest,
    col: &str,
    ctx: &Ctx<'_>,
) -> Result<String, SourceError> {
    let e = q.engine;
    let v = sql::text(e, col);
    Ok(match test {
        ValidityTest::Pattern(p) => format!("NOT ({})", sql::matches(q, &v, p)),
        ValidityTest::Values(values) => {
            let list: Vec<String> = values.iter().map(|x| q.bind(x.clone())).collect();
            // As bytes on MySQL: case-sensitive whatever the column's collation.
            let lhs = match e {
                Engine::MySql => format!("CAST({col} AS BINARY)"),
                Engine::Postgres | Engine::Sqlite => v,
            };
            format!("{lhs} NOT IN ({})", list.join(", "))
        }
        ValidityTest::Builtin(b) => {
            let shape = match b {
                Builtin::Icd10Cm => codes::ICD10CM,
                Builtin::Zip => codes::ZIP,
                Builtin::Phone => codes::PHONE,
                Builtin::Npi | Builtin::Loinc => {
                    return Err(SourceError::Shape(
                        "check digits are computed, not queried".into(),
                    ));
                }
            };
            format!("NOT ({})", sql::matches(q, &v, shape))
        }
        ValidityTest::DateRange {
            min,
            max,
            placeholders,
        } => {
            let day = format!("SUBSTR({v}, 1, 10)");
            let shape = sql::matches(q, &v, codes::ISO_DATE);
            let lo = q.bind(min.format("%Y-%m-%d").to_string());
            let hi_date = match max {
                DateBound::Today => ctx.now.date_naive(),
                DateBound::Date(d) => *d,
            };
            let hi = q.bind(hi_date.format("%Y-%m-%d").to_string());
            let mut bad = format!("NOT ({shape}) OR {day} < {lo} OR {day} > {hi}");
            if !placeholders.is_empty() {
                let list: Vec<String> = placeholders
                    .iter()
                    .map(|d| q.bind(d.format("%Y-%m-%d").to_string()))
                    .collect();
                bad.push_str(&format!(" OR {day} IN ({})", list.join(", ")));
            }
            bad
        }
        ValidityTest::Mapping {
            table,
            column,
            filter,
        } => {
            let extra = filter
                .as_ref()
                .map(|f| format!(" AND ({})", f.as_str()))
                .unwrap_or_default();
            format!(
                "NOT EXISTS (SELECT 1 FROM {} m WHERE m.{} = {col}{extra})",
                sql::table(e, table),
                sql::ident(e, column)
            )
        }
    })
}

/// Streams `(key, value)` for the rows in scope and tests each value here,
/// keeping counts and the smallest failing keys: memory bounded by the
/// sample size, whatever the table's.
async fn stream(
    ctx: &Ctx<'_>,
    from: &str,
    key: &str,
    col: &str,
    scope: &str,
    valid: fn(&str) -> bool,
    // (checked, problems, sample keys)
) -> Result<(i64, i64, Vec<String>), SourceError> {
    let e = ctx.engine;
    let mut q = Sql::new(e);
    q.push(&format!(
        "SELECT {}, {} FROM {from} WHERE {scope}",
        sql::text(e, key),
        sql::text(e, col)
    ));
    let (mut checked, mut problems) = (0i64, 0i64);
    let mut keys = Smallest::new(ctx.samples);
    let mut on_row = |row: &[Cell]| {
        checked += 1;
        let ok = matches!(row.get(1), Some(Cell::Text(v)) if valid(v));
        if !ok {
            problems += 1;
            if let Some(k) = row.first().cloned().and_then(sql::key) {
                keys.offer(k);
            }
        }
    };
    tracing::debug!(sql = %q.text, "integrity stream");
    ctx.source.stream(&q.text, &q.binds, &mut on_row).await?;
    Ok((checked, problems, keys.into_sorted()))
}
