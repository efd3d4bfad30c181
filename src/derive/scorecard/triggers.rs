//! Rollback triggers, one function per kind: armed within their window
//! after go-live, breached when the latest figures cross the line, with
//! the evidence in plain words (check names and counts).

use super::facts::{Facts, finished};
use super::figures::{accessible, documents_of};
use super::types::TriggerState;
use crate::config::checks::CheckKind;
use crate::config::stabilization::{RollbackTrigger, TriggerKind, Wave};
use crate::derive::percent;
use crate::results::RunStatus;

/// (breached, the figure, the evidence).
type Found = (bool, Option<f64>, String);

/// Judges one trigger for a clinic of a wave on day `day_n` since its
/// go-live, on the clinic's own slice of each sliced check.
pub(super) fn trigger(
    facts: &Facts,
    (wave, clinic): (&Wave, &str),
    t: &RollbackTrigger,
    day_n: i64,
) -> TriggerState {
    let within_days = t.within.as_secs_f64() / 86_400.0;
    let armed = day_n >= 0 && (day_n as f64) < within_days;
    let (breached, value, evidence) = match t.kind {
        TriggerKind::MissingRecords { above } => missing_records(facts, wave, clinic, above),
        TriggerKind::DocumentAccessibility { below } => documents_down(facts, wave, clinic, below),
        TriggerKind::WorkflowFailing { for_ } => workflow_failing(facts, wave, clinic, for_),
        TriggerKind::HandoffStuck { above } => super::handoffs::trigger(facts, wave, clinic, above),
    };
    TriggerState {
        name: t.name.to_string(),
        armed,
        breached: armed && breached,
        value,
        evidence,
    }
}

/// The worst share of source records missing in the target, over the
/// latest reconcile run of each watched check.
fn missing_records(facts: &Facts, wave: &Wave, clinic: &str, above: f64) -> Found {
    let mut worst: Option<(f64, String)> = None;
    for r in facts.latest(wave, CheckKind::Reconcile) {
        let mine = r.details.for_clinic(clinic);
        let Some((missing, total)) = mine.reconcile().and_then(|d| d.missing_of_source()) else {
            continue;
        };
        if total == 0 {
            continue;
        }
        let share = missing as f64 / total as f64;
        if worst.as_ref().is_none_or(|(w, _)| share > *w) {
            worst = Some((
                share,
                format!(
                    "check {}: {missing} of {total} source records missing in the target ({})",
                    r.check_name,
                    percent(share)
                ),
            ));
        }
    }
    let shared = facts.shared_note(wave, CheckKind::Reconcile);
    match worst {
        Some((share, ev)) => (
            share > above,
            Some(share),
            format!("{ev}{shared}; trigger above {}", percent(above)),
        ),
        None => (false, None, "no reconciliation data".to_string()),
    }
}

/// The accessible share of documents over the latest run of each watched check.
fn documents_down(facts: &Facts, wave: &Wave, clinic: &str, below: f64) -> Found {
    let (checked, failed) = documents_of(facts.latest(wave, CheckKind::Documents), clinic);
    if checked == 0 {
        return (false, None, "no documents checked".to_string());
    }
    let share = accessible(checked, failed);
    (
        share < below,
        Some(share),
        format!(
            "{} of documents accessible in the latest runs ({failed} of {checked} failed){}; trigger below {}",
            percent(share),
            facts.shared_note(wave, CheckKind::Documents),
            percent(below)
        ),
    )
}

/// Watched workflows failing, without a passing run since, for `for_` or longer.
fn workflow_failing(facts: &Facts, wave: &Wave, clinic: &str, for_: std::time::Duration) -> Found {
    let now = facts.now_ms;
    let for_ms = i64::try_from(for_.as_millis()).unwrap_or(i64::MAX);
    let mut failing: Vec<(String, i64)> = Vec::new();
    let mine = facts
        .checks_of(wave, CheckKind::Workflow)
        .filter(|name| facts.serves(name, clinic));
    for name in mine {
        let runs: Vec<_> = facts
            .runs_in(wave, CheckKind::Workflow, i64::MIN, i64::MAX)
            .filter(|r| r.check_name == name)
            .collect();
        let last_pass = runs.iter().rev().find(|r| r.status == RunStatus::Pass);
        let since = last_pass.map_or(i64::MIN, |r| finished(r));
        let first_fail = runs
            .iter()
            .find(|r| r.status != RunStatus::Pass && finished(r) > since);
        if let Some(f) = first_fail
            && now - finished(f) >= for_ms
        {
            failing.push((name.to_string(), (now - finished(f)) / 60_000));
        }
    }
    let longest = failing.iter().map(|(_, m)| *m).max();
    let evidence = if failing.is_empty() {
        format!(
            "no workflow failing for {}",
            humantime::format_duration(for_)
        )
    } else {
        failing
            .iter()
            .map(|(n, m)| format!("workflow {n} failing for {m} min without a passing run"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    (
        !failing.is_empty(),
        longest.map(|m| m as f64 * 60.0),
        evidence,
    )
}
