//! The figures a clinic's card shows and its criteria judge: new drift in
//! a day, documents accessible, workflow p95 against the baseline, open
//! feedback. Each reads typed results (methods on `results` types).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::facts::{DAY_MS, Facts, day_start_ms, finished};
use super::types::{Figures, WorkflowFigure};
use crate::config::checks::CheckKind;
use crate::config::stabilization::Wave;
use crate::derive::quantile;
use crate::results::{Outcome, RuleKind, RunStatus, StepOutcome};
use crate::store::StoredRun;

/// New discrepancies in one day's keyed runs; `None` when no run carried drift.
pub(super) fn drift_on(
    facts: &Facts,
    wave: &Wave,
    clinic: &str,
    from_ms: i64,
    to_ms: i64,
) -> Option<u64> {
    let drifts: Vec<u64> = facts
        .runs_in(wave, CheckKind::Reconcile, from_ms, to_ms)
        .filter_map(|r| {
            r.details
                .for_clinic(clinic)
                .reconcile()?
                .keyed
                .as_ref()?
                .drift
        })
        .map(|d| d.new)
        .collect();
    (!drifts.is_empty()).then(|| drifts.into_iter().fold(0, u64::saturating_add))
}

/// Clusters of one check: last before the window, first and last in it.
type Span = (Option<i64>, Option<i64>, Option<i64>);

/// Probable duplicate clusters added in `[from, to)`: per watched integrity
/// check, the clusters of its last run in the window over those of its last
/// run before it (or its first in the window), summed; `None` when no run
/// in the window counted them.
pub(super) fn new_duplicates_on(
    facts: &Facts,
    wave: &Wave,
    from_ms: i64,
    to_ms: i64,
) -> Option<u64> {
    let clusters = |r: &StoredRun| -> Option<i64> {
        let rules = &r.details.integrity()?.rules;
        let counted: Vec<i64> = rules
            .iter()
            .filter(|x| x.kind == RuleKind::ProbableDuplicates && x.status != Outcome::Error)
            .filter_map(|x| x.problems)
            .collect();
        (!counted.is_empty()).then(|| counted.iter().sum())
    };
    let mut per_check: BTreeMap<&str, Span> = BTreeMap::new();
    let mut runs: Vec<&StoredRun> = facts
        .runs_in(wave, CheckKind::Integrity, i64::MIN, to_ms)
        .collect();
    runs.sort_by_key(|r| finished(r));
    for r in runs {
        let Some(n) = clusters(r) else { continue };
        let e = per_check.entry(&r.check_name).or_default();
        if finished(r) < from_ms {
            e.0 = Some(n);
        } else {
            e.1 = e.1.or(Some(n));
            e.2 = Some(n);
        }
    }
    let added: Vec<u64> = per_check
        .values()
        .filter_map(|(before, first, last)| {
            let base = before.or(*first)?;
            Some(u64::try_from((*last)?.saturating_sub(base)).unwrap_or(0))
        })
        .collect();
    (!added.is_empty()).then(|| added.into_iter().fold(0, u64::saturating_add))
}

/// A clinic's documents checked and failed over some documents runs
/// (errored ones left out).
pub(super) fn documents_of<'a>(
    runs: impl IntoIterator<Item = &'a StoredRun>,
    clinic: &str,
) -> (u64, u64) {
    runs.into_iter()
        .filter(|r| r.status != RunStatus::Error)
        .fold((0, 0), |(c, f), r| {
            match r.details.for_clinic(clinic).documents() {
                Some(d) => (c.saturating_add(d.checked), f.saturating_add(d.failed)),
                None => (c, f),
            }
        })
}

/// The accessible share of `checked` documents of which `failed` failed.
pub(super) fn accessible(checked: u64, failed: u64) -> f64 {
    checked.saturating_sub(failed) as f64 / checked as f64
}

/// Accessible share of the documents checked in a window: (share, checked, failed).
pub(super) fn documents_in(
    facts: &Facts,
    wave: &Wave,
    clinic: &str,
    from_ms: i64,
    to_ms: i64,
) -> Option<(f64, u64, u64)> {
    let runs = facts.runs_in(wave, CheckKind::Documents, from_ms, to_ms);
    let (checked, failed) = documents_of(runs, clinic);
    (checked > 0).then(|| (accessible(checked, failed), checked, failed))
}

/// Per watched workflow of the clinic (its own and the wave's shared
/// ones): p95 today, the baseline p95 (live baseline runs
/// today, else the wave's days before go-live), runs and failures.
pub(super) fn workflows_in(
    facts: &Facts,
    wave: &Wave,
    clinic: &str,
    from_ms: i64,
    to_ms: i64,
) -> Vec<WorkflowFigure> {
    let base_from = day_start_ms(wave.go_live) - i64::from(wave.baseline_days) * DAY_MS;
    let base_to = day_start_ms(wave.go_live);
    facts
        .checks_of(wave, CheckKind::Workflow)
        .filter(|name| facts.serves(name, clinic))
        .map(|name| {
            let mut target = Vec::new();
            let mut live_base = Vec::new();
            let (mut runs, mut failed) = (0u64, 0u64);
            for r in facts
                .runs_in(wave, CheckKind::Workflow, from_ms, to_ms)
                .filter(|r| r.check_name == name)
            {
                runs += 1;
                let w = r.details.workflow();
                if r.status != RunStatus::Pass {
                    failed += 1;
                    continue;
                }
                target.extend(w.map(|w| w.total_ms));
                let live = w.and_then(|w| w.baseline.as_ref());
                if let Some(b) = live.filter(|b| b.outcome == Some(StepOutcome::Ok)) {
                    live_base.push(b.total_ms);
                }
            }
            let before: Vec<f64> = facts
                .baseline_runs
                .iter()
                .filter(|r| {
                    r.check_name == name && finished(r) >= base_from && finished(r) < base_to
                })
                .filter_map(|r| r.details.workflow().map(|w| w.total_ms))
                .collect();
            let p = quantile(&target, 0.95);
            let base = quantile(&live_base, 0.95).or_else(|| quantile(&before, 0.95));
            WorkflowFigure {
                name: name.to_string(),
                p95_ms: p,
                ratio: match (p, base) {
                    (Some(p), Some(b)) if b > 0.0 => Some(p / b),
                    _ => None,
                },
                runs,
                failed,
            }
        })
        .collect()
}

/// The figures on a clinic's card for `day`.
pub(super) fn figures(facts: &Facts, wave: &Wave, clinic: &str, day: NaiveDate) -> Figures {
    let from = day_start_ms(day);
    let to = (from + DAY_MS).min(facts.now_ms + 1);
    let latest = facts.latest(wave, CheckKind::Reconcile);
    let discrepancies = (!latest.is_empty()).then(|| {
        latest
            .iter()
            .filter_map(|r| r.details.for_clinic(clinic).discrepancies())
            .fold(0, u64::saturating_add)
    });
    let docs = documents_in(facts, wave, clinic, from, to);
    Figures {
        discrepancies,
        new_today: drift_on(facts, wave, clinic, from, to),
        documents_accessible: docs.map(|d| d.0),
        documents_checked: docs.map_or(0, |d| d.1),
        documents_failed: docs.map_or(0, |d| d.2),
        workflows: workflows_in(facts, wave, clinic, from, to),
        open_reports: facts
            .open
            .iter()
            .filter(|r| r.clinic.as_deref() == Some(clinic))
            .count() as u64,
        open_blockers: facts.blockers(clinic).count() as u64,
        handoffs: super::handoffs::figures(facts, wave, clinic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Details, IntegrityDetails, RuleResult};

    fn run(check: &str, ms: i64, clusters: i64, status: Outcome) -> StoredRun {
        let mut rule = RuleResult::new("dups", RuleKind::ProbableDuplicates, "0".into());
        rule.problems = Some(clusters);
        rule.status = status;
        StoredRun {
            id: 0,
            check_name: check.into(),
            kind: CheckKind::Integrity,
            slot_ms: ms,
            status: RunStatus::Fail,
            owner: "test".into(),
            attempt: 1,
            started_ms: ms,
            finished_ms: Some(ms),
            lease_expires_ms: None,
            duration_ms: Some(0),
            summary: String::new(),
            details: Details::Integrity(IntegrityDetails {
                rules: vec![rule],
                by_clinic: Default::default(),
            }),
        }
    }

    #[test]
    fn new_duplicates_are_clusters_added_over_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let from = day_start_ms(day);
        let hour = 3_600_000;
        let facts = Facts {
            now_ms: from + DAY_MS,
            runs: vec![
                run("desk", from - hour, 14, Outcome::Fail),
                run("desk", from + hour, 14, Outcome::Fail),
                // An errored rule counts nothing.
                run("desk", from + 2 * hour, 0, Outcome::Error),
                run("desk", from + 3 * hour, 16, Outcome::Fail),
                run("other", from + hour, 3, Outcome::Fail),
            ],
            baseline_runs: vec![],
            checks: vec![],
            open: vec![],
            page_alerts: vec![],
            owners: BTreeMap::new(),
            ..Facts::default()
        };
        let wave = Wave {
            name: crate::config::Name::parse("w").unwrap(),
            go_live: day,
            clinics: vec![],
            checks: vec![],
            baseline_days: 7,
        };
        assert_eq!(
            new_duplicates_on(&facts, &wave, from, from + DAY_MS),
            Some(2)
        );
        let next = from + DAY_MS;
        assert_eq!(new_duplicates_on(&facts, &wave, next, next + DAY_MS), None);
    }
}
