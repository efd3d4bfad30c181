//! Count reconciliation: total or per-group record counts on both sides,
//! compared against a tolerance.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::checks::{Check, CheckMeta, RunInput, RunOutput};
use crate::config::{ClinicCodes, CountQuery, FhirCount, ReconcileConfig, SideQuery, Tolerance};
use crate::results::{
    CheckResult, Details, GroupCount, Outcome, ReconcileDetails, ReconcileSlice, Side,
};
use crate::sources::{CountRows, FhirSource, SourceError, Sources};
use futures_util::{StreamExt, TryStreamExt};

/// How many failing groups the summary names before "and N more".
const SUMMARY_GROUPS: usize = 5;

pub struct CountReconcile {
    meta: CheckMeta,
    cfg: ReconcileConfig,
    queries: [SideQuery; 2],
    /// The configured sources (handles on shared pools and clients).
    sources: Sources,
    /// Which clinic each group value stands for.
    codes: Arc<ClinicCodes>,
}

impl CountReconcile {
    pub fn new(
        meta: CheckMeta,
        cfg: &ReconcileConfig,
        source: &SideQuery,
        target: &SideQuery,
        sources: &Sources,
        codes: Arc<ClinicCodes>,
    ) -> Self {
        CountReconcile {
            codes,
            queries: [source.clone(), target.clone()],
            meta,
            sources: sources.clone(),
            cfg: cfg.clone(),
        }
    }

    async fn side(&self, side: Side) -> Result<CountRows, SourceError> {
        let query = if side == Side::Target {
            &self.queries[1]
        } else {
            &self.queries[0]
        };
        let missing = || SourceError::Connect(format!("source `{}` is not configured", query.from));
        match &query.query {
            CountQuery::Sql(sql) => {
                self.sources
                    .sql(&query.from)
                    .ok_or_else(missing)?
                    .counts(sql)
                    .await
            }
            CountQuery::Fhir(fc) => {
                let fhir = self.sources.fhir(&query.from).ok_or_else(missing)?;
                fhir_counts(&fhir, fc).await
            }
        }
    }
}

/// Groups counted at once against a FHIR server.
const FHIR_PARALLEL: usize = 4;

/// One total, or one count per configured group.
async fn fhir_counts(fhir: &FhirSource, fc: &FhirCount) -> Result<CountRows, SourceError> {
    let Some(param) = &fc.group_param else {
        return Ok(vec![(None, fhir.count(&fc.resource, &fc.params).await?)]);
    };
    // Owned items: a stream over borrowed map entries trips the
    // higher-ranked lifetimes of the `Send` future async_trait needs.
    let jobs: Vec<(String, Vec<(String, String)>)> = fc
        .groups
        .iter()
        .map(|(group, value)| {
            let mut params = fc.params.clone();
            params.push((param.clone(), value.clone()));
            (group.clone(), params)
        })
        .collect();
    futures_util::stream::iter(jobs)
        .map(|(group, params)| async move {
            fhir.count(&fc.resource, &params)
                .await
                .map(|n| (Some(group), n))
        })
        .buffered(FHIR_PARALLEL)
        .try_collect()
        .await
}

#[async_trait]
impl Check for CountReconcile {
    fn meta(&self) -> &CheckMeta {
        &self.meta
    }

    #[tracing::instrument(skip_all, fields(check = %self.meta.name))]
    async fn run(&self, _input: RunInput) -> RunOutput {
        self.once().await.into()
    }
}

impl CountReconcile {
    /// One run: this kind builds on no earlier run.
    async fn once(&self) -> CheckResult {
        let (source, target) = tokio::join!(self.side(Side::Source), self.side(Side::Target));
        let named = |side: Side, e: &SourceError| {
            let from = if side == Side::Source {
                &self.queries[0].from
            } else {
                &self.queries[1].from
            };
            format!("{} `{from}`: {}", side.as_str(), e.class())
        };
        let details = |error_side, error: String| {
            Details::Reconcile(ReconcileDetails {
                tolerance: Some(self.cfg.tolerance.to_string()),
                error_side: Some(error_side),
                error: Some(error),
                ..Default::default()
            })
        };
        match (source, target) {
            (Ok(s), Ok(t)) => compare(&s, &t, self.cfg.tolerance, &self.codes),
            (Err(e), Ok(_)) => CheckResult::error(
                named(Side::Source, &e),
                details(Side::Source, e.to_string()),
            ),
            (Ok(_), Err(e)) => CheckResult::error(
                named(Side::Target, &e),
                details(Side::Target, e.to_string()),
            ),
            (Err(se), Err(te)) => CheckResult::error(
                format!("{}; {}", named(Side::Source, &se), named(Side::Target, &te)),
                details(Side::Both, format!("source: {se}; target: {te}")),
            ),
        }
    }
}

/// Compares the two sides' counts. Pure, so it is tested on its own.
pub fn compare(
    source: &CountRows,
    target: &CountRows,
    tolerance: Tolerance,
    codes: &ClinicCodes,
) -> CheckResult {
    // A single count is one row without a group; anything else (including
    // no rows, an empty grouped result) is per-group.
    let grouped = |rows: &CountRows| !rows.iter().any(|(g, _)| g.is_none());
    let mut details = ReconcileDetails {
        tolerance: Some(tolerance.to_string()),
        ..Default::default()
    };
    if grouped(source) != grouped(target) {
        let (g, s) = if grouped(source) {
            ("source", "target")
        } else {
            ("target", "source")
        };
        return CheckResult::error(
            format!("the {g} query returns per-group counts but the {s} query a single count"),
            Details::Reconcile(details),
        );
    }
    let total = |rows: &CountRows| rows.iter().map(|(_, n)| n).sum::<i64>();
    let (s_total, t_total) = (total(source), total(target));
    details.source_count = Some(s_total);
    details.target_count = Some(t_total);
    let total_beyond = tolerance.exceeded(s_total, t_total - s_total);

    let groups = per_group(source, target, tolerance);
    let failing: Vec<(&String, &GroupCount)> =
        groups.iter().filter(|(_, g)| g.beyond_tolerance).collect();
    let outcome = if total_beyond || !failing.is_empty() {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    let summary = summary(outcome, &groups, &failing, tolerance, (s_total, t_total));
    details.by_clinic = by_clinic(&groups, codes);
    details.groups = groups;
    CheckResult {
        outcome,
        summary,
        details: Details::Reconcile(details),
    }
}

/// Both sides' counts per group, each judged against the tolerance.
fn per_group(
    source: &CountRows,
    target: &CountRows,
    tolerance: Tolerance,
) -> BTreeMap<String, GroupCount> {
    let mut groups: BTreeMap<String, GroupCount> = BTreeMap::new();
    for (g, n) in source
        .iter()
        .filter_map(|(g, n)| g.as_ref().map(|g| (g, n)))
    {
        groups.entry(g.clone()).or_default().source += n;
    }
    for (g, n) in target
        .iter()
        .filter_map(|(g, n)| g.as_ref().map(|g| (g, n)))
    {
        groups.entry(g.clone()).or_default().target += n;
    }
    for gc in groups.values_mut() {
        gc.difference = gc.target - gc.source;
        gc.beyond_tolerance = tolerance.exceeded(gc.source, gc.difference);
    }
    groups
}

/// Each group's counts added to the clinic its value is a code of, when
/// any group is one (counts per year or per kind stay unattributed).
fn by_clinic(
    groups: &BTreeMap<String, GroupCount>,
    codes: &ClinicCodes,
) -> BTreeMap<String, ReconcileSlice> {
    if !groups.keys().any(|g| codes.knows(g)) {
        return BTreeMap::new();
    }
    let mut out: BTreeMap<String, ReconcileSlice> = BTreeMap::new();
    for (g, c) in groups {
        let slice = out.entry(codes.clinic_of(Some(g)).to_string()).or_default();
        slice.source = Some(slice.source.unwrap_or(0).saturating_add(c.source));
        slice.target = Some(slice.target.unwrap_or(0).saturating_add(c.target));
    }
    out
}

/// One line: the totals, or the groups beyond tolerance (the first few).
fn summary(
    outcome: Outcome,
    groups: &BTreeMap<String, GroupCount>,
    failing: &[(&String, &GroupCount)],
    tolerance: Tolerance,
    (s_total, t_total): (i64, i64),
) -> String {
    if groups.is_empty() {
        return match outcome {
            Outcome::Pass => format!(
                "counts match within tolerance {tolerance}: source {s_total}, target {t_total}"
            ),
            _ => format!(
                "target differs by {:+} from source ({s_total} vs {t_total}), beyond tolerance {tolerance}",
                t_total - s_total
            ),
        };
    }
    if failing.is_empty() {
        return format!(
            "all {} groups within tolerance {tolerance}: source {s_total}, target {t_total}",
            groups.len()
        );
    }
    let mut named: Vec<String> = failing
        .iter()
        .take(SUMMARY_GROUPS)
        .map(|(g, c)| format!("{g} {:+}", c.difference))
        .collect();
    if failing.len() > SUMMARY_GROUPS {
        named.push(format!("and {} more", failing.len() - SUMMARY_GROUPS));
    }
    format!(
        "{} of {} groups beyond tolerance {tolerance}: {} (source {s_total}, target {t_total})",
        failing.len(),
        groups.len(),
        named.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Clinic, Name};

    /// Without clinic codes: nothing is attributed.
    fn compare(s: &CountRows, t: &CountRows, tolerance: Tolerance) -> CheckResult {
        super::compare(s, t, tolerance, &ClinicCodes::default())
    }

    #[test]
    fn groups_that_are_clinic_codes_add_up_per_clinic_and_the_rest_is_unassigned() {
        let clinic = |id: &str, codes: &[&str]| Clinic {
            id: Name::parse(id).unwrap(),
            name: id.into(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
        };
        let codes = ClinicCodes::new(&[clinic("north", &["1", "N01"]), clinic("east", &["3"])]);
        let s = rows(&[("1", 100), ("3", 50), ("9", 7)]);
        let t = rows(&[("N01", 100), ("3", 47), ("9", 7)]);
        let r = super::compare(&s, &t, Tolerance::Absolute(0), &codes);
        let by = &r.details.reconcile().unwrap().by_clinic;
        assert_eq!(
            (by["north"].source, by["north"].target),
            (Some(100), Some(100))
        );
        assert_eq!((by["east"].source, by["east"].target), (Some(50), Some(47)));
        assert_eq!(by["_unassigned"].source, Some(7));
        let years = rows(&[("2019", 1)]);
        let r = super::compare(&years, &years, Tolerance::Absolute(0), &codes);
        assert!(r.details.reconcile().unwrap().by_clinic.is_empty());
    }

    fn rows(v: &[(&str, i64)]) -> CountRows {
        v.iter().map(|(g, n)| (Some(g.to_string()), *n)).collect()
    }

    #[test]
    fn single_counts_pass_and_fail() {
        let r = compare(
            &vec![(None, 100)],
            &vec![(None, 100)],
            Tolerance::Absolute(0),
        );
        assert_eq!(r.outcome, Outcome::Pass);
        let r = compare(
            &vec![(None, 100)],
            &vec![(None, 97)],
            Tolerance::Absolute(2),
        );
        assert_eq!(r.outcome, Outcome::Fail);
        assert!(r.summary.contains("-3"), "{}", r.summary);
    }

    #[test]
    fn groups_name_the_failing_ones_and_count_one_sided_groups() {
        let s = rows(&[("north", 100), ("south", 50), ("east", 10)]);
        let t = rows(&[("north", 100), ("south", 40), ("west", 2)]);
        let r = compare(&s, &t, Tolerance::Absolute(0));
        assert_eq!(r.outcome, Outcome::Fail);
        let d = r.details.reconcile().unwrap();
        assert_eq!(d.groups["east"].difference, -10);
        assert_eq!(d.groups["west"].difference, 2);
        assert!(!d.groups["north"].beyond_tolerance);
        assert_eq!((d.source_count, d.target_count), (Some(160), Some(142)));
        assert!(r.summary.starts_with("3 of 4 groups"), "{}", r.summary);
        assert!(r.summary.contains("south -10"), "{}", r.summary);
    }

    #[test]
    fn percent_tolerance_applies_per_group() {
        let s = rows(&[("a", 1000), ("b", 100)]);
        let t = rows(&[("a", 995), ("b", 99)]);
        assert_eq!(
            compare(&s, &t, Tolerance::Percent(1.0)).outcome,
            Outcome::Pass
        );
        assert_eq!(
            compare(&s, &t, Tolerance::Percent(0.4)).outcome,
            Outcome::Fail
        );
    }

    #[test]
    fn an_empty_grouped_result_is_zero_groups_not_an_error() {
        let r = compare(&rows(&[("a", 5)]), &vec![], Tolerance::Absolute(0));
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.summary);
        assert_eq!(r.details.reconcile().unwrap().groups["a"].target, 0);
        assert_eq!(
            compare(&vec![], &vec![], Tolerance::Absolute(0)).outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn mixed_shapes_are_an_error() {
        let r = compare(&rows(&[("a", 1)]), &vec![(None, 1)], Tolerance::Absolute(0));
        assert_eq!(r.outcome, Outcome::Error);
        assert!(r.summary.contains("source query returns per-group"));
    }
}
