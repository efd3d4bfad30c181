//! Judging exit criteria and rollback triggers from facts read out of the
//! store. Pure: the same facts give the same scorecard on every replica,
//! and tests build the facts by hand.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::scorecard::{
    ClinicCard, CriterionState, Figures, Scorecard, State, TriggerState, WorkflowFigure,
};
use crate::config::Clinic;
use crate::config::stabilization::{
    CriterionKind, RollbackTrigger, StabilizationConfig, TriggerKind, Wave,
};
use crate::store::{OpenReport, RunRow};

/// Everything a round reads.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub now_ms: i64,
    /// Finished runs of every check since [`Facts::since`] for the longest look-back.
    pub runs: Vec<RunRow>,
    /// Passing workflow runs in the baseline windows before go-live.
    pub baseline_runs: Vec<RunRow>,
    /// Configured checks: (name, kind).
    pub checks: Vec<(String, String)>,
    /// Open feedback (redacted text).
    pub open: Vec<OpenReport>,
    /// Labels of firing critical (page-level) alerts.
    pub page_alerts: Vec<BTreeMap<String, String>>,
}

/// A run with its details parsed once.
struct Run<'a> {
    row: &'a RunRow,
    details: Value,
}

const DAY_MS: i64 = 86_400_000;

pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis())
}

pub fn today(now_ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .date_naive()
}

/// Nearest-rank p95; `None` for no values.
pub fn p95(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((values.len() as f64) * 0.95).ceil() as usize;
    values.get(rank.clamp(1, values.len()) - 1).copied()
}

fn pct(share: f64) -> String {
    let p = share * 100.0;
    if (99.0..100.0).contains(&p) {
        format!("{p:.2} %")
    } else {
        format!("{p:.1} %")
    }
}

fn num(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

struct Ctx<'a> {
    facts: &'a Facts,
    runs: Vec<Run<'a>>,
    baseline: Vec<Run<'a>>,
}

impl<'a> Ctx<'a> {
    fn new(facts: &'a Facts) -> Ctx<'a> {
        let parse = |row: &'a RunRow| Run {
            row,
            details: serde_json::from_str(&row.details).unwrap_or(Value::Null),
        };
        Ctx {
            facts,
            runs: facts.runs.iter().map(parse).collect(),
            baseline: facts.baseline_runs.iter().map(parse).collect(),
        }
    }

    fn checks_of<'w>(
        &'w self,
        wave: &'w Wave,
        kind: &'w str,
    ) -> impl Iterator<Item = &'w str> + 'w {
        self.facts
            .checks
            .iter()
            .filter(move |(n, k)| k == kind && wave.watches(n))
            .map(|(n, _)| n.as_str())
    }

    fn runs_in<'s>(
        &'s self,
        wave: &'s Wave,
        kind: &'s str,
        from_ms: i64,
        to_ms: i64,
    ) -> impl Iterator<Item = &'s Run<'a>> + 's {
        self.runs.iter().filter(move |r| {
            r.row.kind == kind
                && wave.watches(&r.row.check_name)
                && r.row.finished_ms >= from_ms
                && r.row.finished_ms < to_ms
        })
    }

    /// The newest run of each watched check of a kind (not errored).
    fn latest<'s>(&'s self, wave: &'s Wave, kind: &'s str) -> Vec<&'s Run<'a>> {
        let mut by: BTreeMap<&str, &Run<'a>> = BTreeMap::new();
        for r in self.runs_in(wave, kind, i64::MIN, i64::MAX) {
            if r.row.status != "error" {
                by.insert(&r.row.check_name, r);
            }
        }
        by.into_values().collect()
    }
}

/// New discrepancies in one day's keyed runs; `None` when no run carried drift.
fn drift_on(ctx: &Ctx, wave: &Wave, from_ms: i64, to_ms: i64) -> Option<u64> {
    let mut seen = false;
    let mut new = 0u64;
    for r in ctx.runs_in(wave, "reconcile", from_ms, to_ms) {
        if let Some(d) = r.details.get("drift") {
            seen = true;
            new += d.get("new").and_then(Value::as_u64).unwrap_or(0);
        }
    }
    seen.then_some(new)
}

/// Accessible share of the documents checked in a window: (share, checked, failed).
fn documents_in(ctx: &Ctx, wave: &Wave, from_ms: i64, to_ms: i64) -> Option<(f64, u64, u64)> {
    let (mut checked, mut failed) = (0u64, 0u64);
    for r in ctx.runs_in(wave, "documents", from_ms, to_ms) {
        if r.row.status == "error" {
            continue;
        }
        checked += r
            .details
            .get("checked")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        failed += r.details.get("failed").and_then(Value::as_u64).unwrap_or(0);
    }
    (checked > 0).then(|| {
        (
            checked.saturating_sub(failed) as f64 / checked as f64,
            checked,
            failed,
        )
    })
}

/// Per watched workflow: p95 today, the baseline p95 (live baseline runs
/// today, else the wave's days before go-live), runs and failures.
fn workflows_in(ctx: &Ctx, wave: &Wave, from_ms: i64, to_ms: i64) -> Vec<WorkflowFigure> {
    let base_from = day_start_ms(wave.go_live) - i64::from(wave.baseline_days) * DAY_MS;
    let base_to = day_start_ms(wave.go_live);
    ctx.checks_of(wave, "workflow")
        .map(|name| {
            let mut target = Vec::new();
            let mut live_base = Vec::new();
            let (mut runs, mut failed) = (0u64, 0u64);
            for r in ctx
                .runs_in(wave, "workflow", from_ms, to_ms)
                .filter(|r| r.row.check_name == name)
            {
                runs += 1;
                if r.row.status != "pass" {
                    failed += 1;
                    continue;
                }
                target.extend(num(&r.details, "total_ms"));
                if let Some(b) = r.details.get("baseline")
                    && b.get("outcome").and_then(Value::as_str) == Some("ok")
                {
                    live_base.extend(num(b, "total_ms"));
                }
            }
            let mut before: Vec<f64> = ctx
                .baseline
                .iter()
                .filter(|r| {
                    r.row.check_name == name
                        && r.row.finished_ms >= base_from
                        && r.row.finished_ms < base_to
                })
                .filter_map(|r| num(&r.details, "total_ms"))
                .collect();
            let p = p95(&mut target);
            let base = p95(&mut live_base).or_else(|| p95(&mut before));
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

fn blockers<'f>(facts: &'f Facts, clinic: &'f str) -> impl Iterator<Item = &'f OpenReport> + 'f {
    facts
        .open
        .iter()
        .filter(move |r| r.severity == "blocks_work" && r.clinic.as_deref() == Some(clinic))
}

/// Firing page-level alerts about this clinic or its wave's checks (or about no check at all).
fn page_alerts(facts: &Facts, wave: &Wave, clinic: &str) -> usize {
    facts
        .page_alerts
        .iter()
        .filter(|l| match (l.get("clinic"), l.get("check")) {
            (Some(c), _) => c == clinic,
            (None, Some(check)) => wave.watches(check),
            (None, None) => true,
        })
        .count()
}

fn criterion(
    ctx: &Ctx,
    wave: &Wave,
    clinic: &str,
    kind: CriterionKind,
    day: NaiveDate,
) -> (State, Option<f64>, String) {
    let from = day_start_ms(day);
    let to = (from + DAY_MS).min(ctx.facts.now_ms + 1);
    match kind {
        CriterionKind::NoDrift { days } => {
            let mut clean = 0u32;
            let mut unknown = 0u32;
            for back in 0..days {
                let d = day - Duration::days(i64::from(back));
                if d < wave.go_live {
                    unknown += 1;
                    continue;
                }
                let f = day_start_ms(d);
                match drift_on(ctx, wave, f, (f + DAY_MS).min(to)) {
                    Some(0) => clean += 1,
                    Some(n) => {
                        return (
                            State::NotMet,
                            Some(f64::from(clean)),
                            format!(
                                "{n} new record discrepancies on {d}; {clean} clean day(s) since, {days} needed"
                            ),
                        );
                    }
                    None => unknown += 1,
                }
            }
            if unknown > 0 {
                (
                    State::Unknown,
                    Some(f64::from(clean)),
                    format!(
                        "{clean} of {days} days without drift; {unknown} day(s) without keyed reconciliation data"
                    ),
                )
            } else {
                (
                    State::Met,
                    Some(f64::from(clean)),
                    format!("{days} days in a row without new record discrepancies"),
                )
            }
        }
        CriterionKind::DocumentAccessibility { at_least } => {
            match documents_in(ctx, wave, from, to) {
                None => (
                    State::Unknown,
                    None,
                    "no documents checked today".to_string(),
                ),
                Some((share, checked, failed)) => (
                    if share >= at_least {
                        State::Met
                    } else {
                        State::NotMet
                    },
                    Some(share),
                    format!(
                        "{} accessible ({failed} of {checked} checked failed; needed {})",
                        pct(share),
                        pct(at_least)
                    ),
                ),
            }
        }
        CriterionKind::WorkflowP95 { max_ratio } => {
            let w = workflows_in(ctx, wave, from, to);
            if w.is_empty() {
                return (
                    State::Unknown,
                    None,
                    "no workflow probes watch this clinic".into(),
                );
            }
            let worst = w
                .iter()
                .filter_map(|f| f.ratio)
                .fold(None, |a: Option<f64>, r| Some(a.map_or(r, |a| a.max(r))));
            let slow: Vec<&str> = w
                .iter()
                .filter(|f| f.ratio.is_some_and(|r| r > max_ratio))
                .map(|f| f.name.as_str())
                .collect();
            let missing: Vec<&str> = w
                .iter()
                .filter(|f| f.ratio.is_none())
                .map(|f| f.name.as_str())
                .collect();
            if !slow.is_empty() {
                (
                    State::NotMet,
                    worst,
                    format!(
                        "slower than {max_ratio}× baseline at p95: {}",
                        slow.join(", ")
                    ),
                )
            } else if !missing.is_empty() {
                (
                    State::Unknown,
                    worst,
                    format!("no p95 or no baseline yet for: {}", missing.join(", ")),
                )
            } else {
                (
                    State::Met,
                    worst,
                    format!(
                        "every workflow within {max_ratio}× its baseline at p95 (worst {:.2}×)",
                        worst.unwrap_or(0.0)
                    ),
                )
            }
        }
        CriterionKind::NoOpenBlockers => {
            let n = blockers(ctx.facts, clinic).count();
            (
                if n == 0 { State::Met } else { State::NotMet },
                Some(n as f64),
                format!("{n} open report(s) of work blocked"),
            )
        }
        CriterionKind::NoPageAlerts => {
            let n = page_alerts(ctx.facts, wave, clinic);
            (
                if n == 0 { State::Met } else { State::NotMet },
                Some(n as f64),
                format!("{n} page-level alert(s) firing"),
            )
        }
    }
}

fn trigger(ctx: &Ctx, wave: &Wave, t: &RollbackTrigger, day_n: i64) -> TriggerState {
    let within_days = t.within.as_secs_f64() / 86_400.0;
    let armed = day_n >= 0 && (day_n as f64) < within_days;
    let now = ctx.facts.now_ms;
    let (breached, value, evidence) = match t.kind {
        TriggerKind::MissingRecords { above } => {
            let mut worst: Option<(f64, String)> = None;
            for r in ctx.latest(wave, "reconcile") {
                let d = &r.details;
                let (missing, total) = match (num(d, "missing"), num(d, "source_rows")) {
                    (Some(m), Some(t)) => (m, t),
                    _ => match (num(d, "source_count"), num(d, "target_count")) {
                        (Some(s), Some(t)) => ((s - t).max(0.0), s),
                        _ => continue,
                    },
                };
                if total <= 0.0 {
                    continue;
                }
                let share = missing / total;
                if worst.as_ref().is_none_or(|(w, _)| share > *w) {
                    worst = Some((
                        share,
                        format!(
                            "check {}: {missing} of {total} source records missing in the target ({})",
                            r.row.check_name,
                            pct(share)
                        ),
                    ));
                }
            }
            match worst {
                Some((share, ev)) => (
                    share > above,
                    Some(share),
                    format!("{ev}; trigger above {}", pct(above)),
                ),
                None => (false, None, "no reconciliation data".to_string()),
            }
        }
        TriggerKind::DocumentAccessibility { below } => {
            let latest = ctx.latest(wave, "documents");
            let (mut checked, mut failed) = (0u64, 0u64);
            for r in &latest {
                checked += r
                    .details
                    .get("checked")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                failed += r.details.get("failed").and_then(Value::as_u64).unwrap_or(0);
            }
            if checked == 0 {
                (false, None, "no documents checked".to_string())
            } else {
                let share = checked.saturating_sub(failed) as f64 / checked as f64;
                (
                    share < below,
                    Some(share),
                    format!(
                        "{} of documents accessible in the latest runs ({failed} of {checked} failed); trigger below {}",
                        pct(share),
                        pct(below)
                    ),
                )
            }
        }
        TriggerKind::WorkflowFailing { for_ } => {
            let for_ms = i64::try_from(for_.as_millis()).unwrap_or(i64::MAX);
            let mut failing: Vec<(String, i64)> = Vec::new();
            for name in ctx.checks_of(wave, "workflow") {
                let runs: Vec<&Run> = ctx
                    .runs_in(wave, "workflow", i64::MIN, i64::MAX)
                    .filter(|r| r.row.check_name == name)
                    .collect();
                let last_pass = runs.iter().rev().find(|r| r.row.status == "pass");
                let since = last_pass.map_or(i64::MIN, |r| r.row.finished_ms);
                let first_fail = runs
                    .iter()
                    .find(|r| r.row.status != "pass" && r.row.finished_ms > since);
                if let Some(f) = first_fail
                    && now - f.row.finished_ms >= for_ms
                {
                    failing.push((name.to_string(), (now - f.row.finished_ms) / 60_000));
                }
            }
            let longest = failing.iter().map(|(_, m)| *m).max();
            (
                !failing.is_empty(),
                longest.map(|m| m as f64 * 60.0),
                if failing.is_empty() {
                    format!(
                        "no workflow failing for {}",
                        humantime::format_duration(for_)
                    )
                } else {
                    failing
                        .iter()
                        .map(|(n, m)| {
                            format!("workflow {n} failing for {m} min without a passing run")
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            )
        }
    };
    TriggerState {
        name: t.name.to_string(),
        armed,
        breached: armed && breached,
        value,
        evidence,
    }
}

fn figures(ctx: &Ctx, wave: &Wave, clinic: &str, day: NaiveDate) -> Figures {
    let from = day_start_ms(day);
    let to = (from + DAY_MS).min(ctx.facts.now_ms + 1);
    let latest = ctx.latest(wave, "reconcile");
    let discrepancies = (!latest.is_empty()).then(|| {
        latest
            .iter()
            .filter_map(|r| crate::alerts::discrepancies(&r.details))
            .sum::<f64>() as u64
    });
    let docs = documents_in(ctx, wave, from, to);
    Figures {
        discrepancies,
        new_today: drift_on(ctx, wave, from, to),
        documents_accessible: docs.map(|d| d.0),
        documents_checked: docs.map_or(0, |d| d.1),
        documents_failed: docs.map_or(0, |d| d.2),
        workflows: workflows_in(ctx, wave, from, to),
        open_reports: ctx
            .facts
            .open
            .iter()
            .filter(|r| r.clinic.as_deref() == Some(clinic))
            .count() as u64,
        open_blockers: blockers(ctx.facts, clinic).count() as u64,
    }
}

/// The scorecard of every clinic in a wave, and overall, at `facts.now_ms`.
pub fn scorecard(cfg: &StabilizationConfig, clinics: &[Clinic], facts: &Facts) -> Scorecard {
    let ctx = Ctx::new(facts);
    let day = today(facts.now_ms);
    let mut cards = Vec::new();
    for wave in &cfg.waves {
        for id in &wave.clinics {
            let day_n = (day - wave.go_live).num_days();
            let criteria: Vec<CriterionState> = cfg
                .criteria
                .iter()
                .map(|c| {
                    let (state, value, detail) = if day_n < 0 {
                        (
                            State::Unknown,
                            None,
                            format!("goes live on {}", wave.go_live),
                        )
                    } else {
                        criterion(&ctx, wave, id.as_str(), c.kind, day)
                    };
                    CriterionState {
                        name: c.name.to_string(),
                        state,
                        value,
                        detail,
                    }
                })
                .collect();
            let exit_ready = !criteria.is_empty() && criteria.iter().all(|c| c.state == State::Met);
            cards.push(ClinicCard {
                clinic: id.to_string(),
                clinic_name: clinics
                    .iter()
                    .find(|c| c.id == *id)
                    .map_or_else(|| id.to_string(), |c| c.name.clone()),
                wave: wave.name.to_string(),
                go_live: wave.go_live,
                day: day_n,
                triggers: cfg
                    .rollback
                    .iter()
                    .map(|t| trigger(&ctx, wave, t, day_n))
                    .collect(),
                figures: figures(&ctx, wave, id.as_str(), day),
                criteria,
                exit_ready,
            });
        }
    }
    let overall: Vec<CriterionState> = cfg
        .criteria
        .iter()
        .map(|c| {
            let states: Vec<State> = cards
                .iter()
                .filter_map(|card| card.criteria.iter().find(|s| s.name == c.name.as_str()))
                .map(|s| s.state)
                .collect();
            let met = states.iter().filter(|s| **s == State::Met).count();
            CriterionState {
                name: c.name.to_string(),
                state: State::combine(states.iter().copied()),
                value: Some(met as f64),
                detail: format!("met in {met} of {} clinics", states.len()),
            }
        })
        .collect();
    let first = cfg.waves.iter().map(|w| w.go_live).min();
    Scorecard {
        at_ms: facts.now_ms,
        exit_ready: !cards.is_empty() && cards.iter().all(|c| c.exit_ready),
        day: first.map_or(0, |f| (day - f).num_days()),
        clinics: cards,
        overall,
    }
}
