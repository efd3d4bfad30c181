//! Validity: values (not NULL, not blank) that fail a test. Patterns, code
//! sets, code shapes, date ranges and mapping tables are tested in the
//! database; NPI and LOINC check digits are computed here on the streamed
//! column.

use chrono::NaiveDate;

use crate::config::Engine;
use crate::config::integrity::{
    Builtin, DateBound, Ident, IntegrityRule, RuleSpec, SqlFilter, TableName, ValidityTest,
};
use crate::results::RuleResult;
use crate::sources::{Cell, SourceError};

use super::clinics::{self, Slices, Tally};
use super::orphans::trimmed_text;
use super::samples::Smallest;
use super::sql::{self, Sql};
use super::{Ctx, judge};
use super::{catalog, codes};

/// Counts of a validity rule: rows checked, problems, sample keys, and
/// per clinic when the rule has `clinic`.
type Counts = (i64, i64, Vec<String>, Option<Tally>);

/// The quoted names one validity rule's SQL is written with.
struct Target {
    /// `table t`
    from: String,
    /// `t.key`
    key: String,
    /// `t.column`
    col: String,
    /// The rule's filter and "the value is present".
    scope: String,
    /// `t.clinic`, when the rule counts per clinic.
    clinic: Option<String>,
}

pub async fn run(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
    out: &mut RuleResult,
) -> Result<Option<Slices>, SourceError> {
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
    let t = Target {
        from: format!("{} t", sql::table(e, &rule.table)),
        key: format!("t.{}", sql::ident(e, key)),
        scope: format!(
            "{} AND {col} IS NOT NULL AND {} <> ''",
            sql::filter(&rule.filter),
            trimmed_text(e, &col)
        ),
        col,
        clinic: clinics::column(ctx, &rule.clinic),
    };
    let (checked, problems, keys, tally) = match test {
        ValidityTest::Builtin(Builtin::Npi) => stream(ctx, &t, codes::npi_valid).await?,
        ValidityTest::Builtin(Builtin::Loinc) => stream(ctx, &t, codes::loinc_valid).await?,
        ValidityTest::Mapping {
            table,
            column,
            filter,
        } => mapping(ctx, &t, table, column, filter).await?,
        ValidityTest::DateRange {
            min,
            max,
            placeholders,
        } => {
            let max = match max {
                DateBound::Today => ctx.now.date_naive(),
                DateBound::Date(d) => *d,
            };
            let range = Range {
                min: *min,
                max,
                placeholders,
            };
            date_range(ctx, rule, column, t, &range).await?
        }
        ValidityTest::Pattern(_) | ValidityTest::Values(_) | ValidityTest::Builtin(_) => {
            let mut bad = |q: &mut Sql| bad_value(q, test, &t.col);
            tested(ctx, &t, &mut bad).await?
        }
    };
    out.rows_checked = Some(checked);
    out.problems = Some(problems);
    out.sample_keys = keys;
    let slices = tally.map(|t| t.into_slices(out));
    out.status = judge(
        *tolerance,
        out.rows_checked.unwrap_or(0),
        out.problems.unwrap_or(0),
    );
    Ok(slices)
}

/// Per clinic, when the rule has `clinic`: the values for which `bad` holds.
async fn per_clinic(
    ctx: &Ctx<'_>,
    t: &Target,
    bad: &mut (dyn FnMut(&mut Sql) -> String + Send),
) -> Result<Option<Tally>, SourceError> {
    match &t.clinic {
        Some(c) => Ok(Some(
            clinics::bad_rows(ctx, c, &t.from, &t.scope, bad).await?,
        )),
        None => Ok(None),
    }
}

/// Counts the values for which `bad` holds, in the database.
async fn tested(
    ctx: &Ctx<'_>,
    t: &Target,
    bad: &mut (dyn FnMut(&mut Sql) -> String + Send),
) -> Result<Counts, SourceError> {
    let mut q = Sql::new(ctx.engine);
    sql::counted_then_sampled(&mut q, &t.from, &t.key, &t.scope, bad, ctx.limit());
    let (checked, problems, keys) =
        sql::read_counted_then_sampled(q.rows(ctx.source).await?, ctx.samples)?;
    Ok((checked, problems, keys, per_clinic(ctx, t, bad).await?))
}

/// Values with no row in the mapping table: an anti-join.
async fn mapping(
    ctx: &Ctx<'_>,
    t: &Target,
    table: &TableName,
    column: &Ident,
    filter: &Option<SqlFilter>,
) -> Result<Counts, SourceError> {
    let e = ctx.engine;
    let extra = filter
        .as_ref()
        .map(|f| format!(" AND ({})", f.as_str()))
        .unwrap_or_default();
    let bad = format!(
        "NOT EXISTS (SELECT 1 FROM {} m WHERE m.{} = {}{extra})",
        sql::table(e, table),
        sql::ident(e, column),
        t.col
    );
    let mut q = Sql::new(e);
    sql::checked_and_bad(&mut q, &t.from, &t.key, &t.scope, &bad, ctx.limit());
    let (checked, problems, keys) =
        sql::read_checked_and_bad(q.rows(ctx.source).await?, ctx.samples)?;
    let tally = per_clinic(ctx, t, &mut |_: &mut Sql| bad.clone()).await?;
    Ok((checked, problems, keys, tally))
}

/// Dates out of range: natively on date and timestamp columns (the catalog
/// says which), as text otherwise.
async fn date_range(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
    column: &Ident,
    mut t: Target,
    range: &Range<'_>,
) -> Result<Counts, SourceError> {
    let typed = catalog::types(ctx, &rule.table, &[column])
        .await?
        .is_some_and(|types| types.first().is_some_and(|ty| catalog::is_date(ty)));
    if typed {
        t.scope = format!("{} AND {} IS NOT NULL", sql::filter(&rule.filter), t.col);
    }
    let col = t.col.clone();
    let mut bad = |q: &mut Sql| range.bad(q, &col, typed);
    tested(ctx, &t, &mut bad).await
}

/// The condition under which a value fails a pattern, code set or shape.
fn bad_value(q: &mut Sql, test: &ValidityTest, col: &str) -> String {
    let e = q.engine;
    let v = sql::text(e, col);
    let shape = match test {
        ValidityTest::Pattern(p) => p.as_str(),
        ValidityTest::Values(values) => {
            let list: Vec<String> = values.iter().map(|x| q.bind(x.clone())).collect();
            // As bytes on MySQL: case-sensitive whatever the column's collation.
            let lhs = match e {
                Engine::MySql => format!("CAST({col} AS BINARY)"),
                Engine::Postgres | Engine::Sqlite => v,
            };
            return format!("{lhs} NOT IN ({})", list.join(", "));
        }
        ValidityTest::Builtin(Builtin::Icd10Cm) => codes::ICD10CM,
        ValidityTest::Builtin(Builtin::Zip) => codes::ZIP,
        ValidityTest::Builtin(Builtin::Phone) => codes::PHONE,
        // Not reached: check digits are streamed, the others built elsewhere.
        _ => return "1 = 0".to_string(),
    };
    format!("NOT ({})", sql::matches(q, &v, shape))
}

/// A date range with its bounds resolved.
struct Range<'a> {
    min: NaiveDate,
    max: NaiveDate,
    placeholders: &'a [NaiveDate],
}

impl Range<'_> {
    /// Out of range, a placeholder, or (as text) not starting `YYYY-MM-DD`.
    /// A date or timestamp column is compared as what it is, with `DATE`
    /// literals (hypercare formats these dates itself: digits and dashes
    /// only), which the planner reads as constants; a bound text parameter
    /// cast to a date would be converted again on every row. Text is
    /// compared on its first ten characters, with bound values.
    fn bad(&self, q: &mut Sql, col: &str, typed: bool) -> String {
        let e = q.engine;
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let (value, mut bad) = if typed {
            let next = self.max.succ_opt().unwrap_or(self.max);
            let value = match e {
                Engine::Postgres => format!("CAST({col} AS DATE)"),
                Engine::MySql | Engine::Sqlite => format!("DATE({col})"),
            };
            let bad = format!(
                "{col} < DATE '{}' OR {col} >= DATE '{}'",
                day(self.min),
                day(next)
            );
            (value, bad)
        } else {
            let v = sql::text(e, col);
            let value = format!("SUBSTR({v}, 1, 10)");
            let shape = sql::matches(q, &v, codes::ISO_DATE);
            let lo = q.bind(day(self.min));
            let hi = q.bind(day(self.max));
            let bad = format!("NOT ({shape}) OR {value} < {lo} OR {value} > {hi}");
            (value, bad)
        };
        if !self.placeholders.is_empty() {
            let list: Vec<String> = self
                .placeholders
                .iter()
                .map(|d| {
                    if typed {
                        format!("DATE '{}'", day(*d))
                    } else {
                        q.bind(day(*d))
                    }
                })
                .collect();
            bad.push_str(&format!(" OR {value} IN ({})", list.join(", ")));
        }
        bad
    }
}

/// Streams `(key, value[, clinic])` for the rows in scope and tests each
/// value here, keeping counts (per clinic too) and the smallest failing
/// keys: memory bounded by the sample size, whatever the table's.
async fn stream(ctx: &Ctx<'_>, t: &Target, valid: fn(&str) -> bool) -> Result<Counts, SourceError> {
    let e = ctx.engine;
    let mut q = Sql::new(e);
    let clinic = t
        .clinic
        .as_ref()
        .map(|c| format!(", {}", sql::text(e, c)))
        .unwrap_or_default();
    q.push(&format!(
        "SELECT {}, {}{clinic} FROM {} WHERE {}",
        sql::text(e, &t.key),
        sql::text(e, &t.col),
        t.from,
        t.scope
    ));
    let (mut checked, mut problems) = (0i64, 0i64);
    let mut keys = Smallest::new(ctx.samples);
    let mut tally = t.clinic.as_ref().map(|_| Tally::default());
    let mut on_row = |row: &[Cell]| {
        checked += 1;
        let ok = matches!(row.get(1), Some(Cell::Text(v)) if valid(v));
        if let Some(tally) = tally.as_mut() {
            let value = match row.get(2) {
                Some(Cell::Text(v)) => Some(v.as_str()),
                _ => None,
            };
            tally.add(ctx.codes, value, 1, i64::from(!ok));
        }
        if !ok {
            problems += 1;
            if let Some(k) = row.first().cloned().and_then(sql::key) {
                keys.offer(k);
            }
        }
    };
    tracing::debug!(sql = %q.text, "integrity stream");
    ctx.source.stream(&q.text, &q.binds, &mut on_row).await?;
    Ok((checked, problems, keys.into_sorted(), tally))
}
