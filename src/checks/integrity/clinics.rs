//! A rule's problems per clinic, for rules with `clinic = "column"`.
//!
//! The database groups by the clinic column's value and hypercare maps
//! each value to a clinic by the configured codes (anything else is
//! `_unassigned`), so the statement returns one row per distinct value,
//! not per record. The grouped statement also counts the rows checked and
//! the problems, and those sums become the rule's totals: the per-clinic
//! figures add up to them by construction, even while the source changes
//! between the rule's statements.

use std::collections::{BTreeMap, HashMap};

use crate::config::ClinicCodes;
use crate::config::integrity::{Ident, IntegrityRule};
use crate::results::RuleResult;
use crate::sources::{Cell, SourceError};

use super::Ctx;
use super::sql::{self, Sql};

/// Problems per clinic id (and `_unassigned`) of one rule.
pub type Slices = BTreeMap<String, i64>;

/// Rows checked and problems per clinic, summed as they are mapped.
#[derive(Default)]
pub struct Tally {
    checked: i64,
    problems: Slices,
}

impl Tally {
    /// Adds the counts of one clinic value.
    pub fn add(&mut self, codes: &ClinicCodes, value: Option<&str>, checked: i64, problems: i64) {
        self.checked = self.checked.saturating_add(checked);
        let id = codes.clinic_of(value);
        // Streamed rules add one row at a time: no allocation once seen.
        let n = match self.problems.get_mut(id) {
            Some(n) => n,
            None => self.problems.entry(id.to_string()).or_default(),
        };
        *n = n.saturating_add(problems);
    }

    /// Sets the rule's totals to the sums (see the module note) and hands
    /// back the slices.
    pub fn into_slices(self, out: &mut RuleResult) -> Slices {
        out.rows_checked = Some(self.checked);
        out.problems = Some(
            self.problems
                .values()
                .fold(0i64, |a, n| a.saturating_add(*n)),
        );
        self.problems
    }
}

/// `t.clinic` of a rule, quoted, when the rule has one.
pub fn column(ctx: &Ctx<'_>, clinic: &Option<Ident>) -> Option<String> {
    clinic
        .as_ref()
        .map(|c| format!("t.{}", sql::ident(ctx.engine, c)))
}

/// Per clinic value: rows in `scope` of `from` (aliased `t`) and those
/// where `bad` holds; `bad` writes the predicate and binds its values.
pub async fn bad_rows(
    ctx: &Ctx<'_>,
    clinic: &str,
    from: &str,
    scope: &str,
    bad: &mut (dyn FnMut(&mut Sql) -> String + Send),
) -> Result<Tally, SourceError> {
    let e = ctx.engine;
    let mut q = Sql::new(e);
    let predicate = bad(&mut q);
    let value = sql::text(e, clinic);
    let problems = sql::bigint(e, &format!("SUM(CASE WHEN {predicate} THEN 1 ELSE 0 END)"));
    q.push(&format!(
        "SELECT {value}, COUNT(*), {problems} FROM {from} WHERE {scope} GROUP BY {value}"
    ));
    read(ctx.codes, q.rows(ctx.source).await?)
}

/// Reads `(clinic value, checked, problems)` rows.
pub fn read(codes: &ClinicCodes, rows: Vec<Vec<Cell>>) -> Result<Tally, SourceError> {
    let mut tally = Tally::default();
    for row in rows {
        let [v, c, p] = <[Cell; 3]>::try_from(row)
            .map_err(|r| SourceError::Shape(format!("expected 3 columns, got {}", r.len())))?;
        tally.add(codes, sql::key(v).as_deref(), sql::int(c)?, sql::int(p)?);
    }
    Ok(tally)
}

/// Per clinic, the clusters of a rule that found them in Rust (probable
/// duplicates), when it has `clinic`.
pub async fn of_rule_clusters(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
    key: &Ident,
    clusters: &[Vec<String>],
) -> Result<Option<Slices>, SourceError> {
    let Some(clinic) = &rule.clinic else {
        return Ok(None);
    };
    let e = ctx.engine;
    let from = sql::table(e, &rule.table);
    let (key, clinic) = (sql::ident(e, key), sql::ident(e, clinic));
    let scope = sql::filter(&rule.filter);
    of_clusters(ctx, &from, &key, &clinic, &scope, clusters)
        .await
        .map(Some)
}

/// Each cluster counted once, for the smallest clinic value among its
/// records (as `MIN` does in SQL for `duplicates`; blanks and NULL ignored).
/// Streams `(key, clinic)` of the rows in scope once, keeping the values of
/// the clusters' keys only: memory bounded by the clusters, whatever the
/// table's size. A cluster none of whose rows names a clinic (or whose
/// keys are no longer in the table) counts under `_unassigned`.
async fn of_clusters(
    ctx: &Ctx<'_>,
    from: &str,
    key: &str,
    clinic: &str,
    scope: &str,
    clusters: &[Vec<String>],
) -> Result<Slices, SourceError> {
    let mut value: HashMap<&str, Option<String>> = clusters
        .iter()
        .flatten()
        .map(|k| (k.as_str(), None))
        .collect();
    if !value.is_empty() {
        let e = ctx.engine;
        let mut q = Sql::new(e);
        q.push(&format!(
            "SELECT {}, {} FROM {from} WHERE {scope}",
            sql::text(e, key),
            sql::text(e, clinic)
        ));
        let mut on_row = |row: &[Cell]| {
            let k = row.first().cloned().and_then(sql::key);
            if let Some(slot) = k.as_deref().and_then(|k| value.get_mut(k)) {
                *slot = row.get(1).cloned().and_then(sql::key);
            }
        };
        ctx.source.stream(&q.text, &q.binds, &mut on_row).await?;
    }
    let mut out = Slices::new();
    for c in clusters {
        let smallest = c
            .iter()
            .filter_map(|k| value.get(k.as_str())?.as_deref())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .min();
        let n = out
            .entry(ctx.codes.clinic_of(smallest).to_string())
            .or_default();
        *n = n.saturating_add(1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Clinic, Name};

    #[test]
    fn values_map_to_clinics_and_the_sums_become_the_totals() {
        let codes = ClinicCodes::new(&[Clinic {
            id: Name::parse("east").unwrap(),
            name: "East".into(),
            codes: vec!["3".into(), "E03".into()],
        }]);
        let rows = vec![
            vec![Cell::Text("3".into()), Cell::Int(10), Cell::Int(2)],
            vec![Cell::Text("E03".into()), Cell::Int(5), Cell::Int(1)],
            vec![Cell::Text("9".into()), Cell::Int(4), Cell::Int(4)],
            vec![Cell::Null, Cell::Int(1), Cell::Null],
        ];
        let mut out = RuleResult::new("r", crate::results::RuleKind::Validity, "0".into());
        let slices = read(&codes, rows).unwrap().into_slices(&mut out);
        assert_eq!(slices["east"], 3);
        assert_eq!(slices[crate::results::UNASSIGNED], 4);
        assert_eq!((out.rows_checked, out.problems), (Some(20), Some(7)));
    }
}
