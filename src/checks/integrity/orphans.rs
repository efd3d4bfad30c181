//! Orphans: rows whose reference (not NULL, not blank) has no row in the
//! referenced table, such as appointments of a patient the target never got.
//! A reference stored with another type is cast: text holding digits to an
//! integer, or both sides to text.

use crate::config::Engine;
use crate::config::integrity::{IntegrityRule, RefCast, RuleSpec};
use crate::results::RuleResult;
use crate::sources::SourceError;

use super::clinics::{self, Slices};
use super::sql::{self, Sql};
use super::{Ctx, judge};

pub async fn run(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
    out: &mut RuleResult,
) -> Result<Option<Slices>, SourceError> {
    let RuleSpec::Orphans {
        key,
        column,
        ref_table,
        ref_column,
        cast,
        ref_filter,
        tolerance,
    } = &rule.spec
    else {
        return Err(SourceError::Shape("not an orphans rule".into()));
    };
    let e = ctx.engine;
    let col = format!("t.{}", sql::ident(e, column));
    let parent = format!("p.{}", sql::ident(e, ref_column));
    let (parent, reference) = match cast {
        None => (parent, col.clone()),
        Some(RefCast::Integer) => (parent, sql::integer_from_text(e, &col)),
        Some(RefCast::Text) => (sql::text(e, &parent), sql::text(e, &col)),
    };
    let mut scope = format!("{} AND {col} IS NOT NULL", sql::filter(&rule.filter));
    if cast.is_some() {
        scope.push_str(&format!(" AND {} <> ''", trimmed_text(e, &col)));
    }
    let parent_filter = match ref_filter {
        Some(f) => format!(" AND ({})", f.as_str()),
        None => String::new(),
    };
    let bad = format!(
        "NOT EXISTS (SELECT 1 FROM {} p WHERE {parent} = {reference}{parent_filter})",
        sql::table(e, ref_table)
    );
    let mut q = Sql::new(e);
    let from = format!("{} t", sql::table(e, &rule.table));
    let k = format!("t.{}", sql::ident(e, key));
    sql::checked_and_bad(&mut q, &from, &k, &scope, &bad, ctx.limit());
    let (checked, problems, keys) =
        sql::read_checked_and_bad(q.rows(ctx.source).await?, ctx.samples)?;
    out.rows_checked = Some(checked);
    out.problems = Some(problems);
    out.sample_keys = keys;
    let slices = match clinics::column(ctx, &rule.clinic) {
        Some(c) => {
            let mut bad = |_: &mut Sql| bad.clone();
            let tally = clinics::bad_rows(ctx, &c, &from, &scope, &mut bad).await?;
            Some(tally.into_slices(out))
        }
        None => None,
    };
    out.status = judge(
        *tolerance,
        out.rows_checked.unwrap_or(0),
        out.problems.unwrap_or(0),
    );
    Ok(slices)
}

/// `TRIM` of an expression as text (PostgreSQL's `TRIM` needs text).
pub fn trimmed_text(e: Engine, expr: &str) -> String {
    match e {
        Engine::Postgres => format!("TRIM({})", sql::text(e, expr)),
        Engine::MySql | Engine::Sqlite => format!("TRIM({expr})"),
    }
}
