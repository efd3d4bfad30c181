//! Exit criteria, one function per kind: each gives a state, the figure
//! judged and what was measured against what, in plain words.

use chrono::{Duration, NaiveDate};

use super::facts::{DAY_MS, Facts, day_start_ms};
use super::figures::{documents_in, drift_on, new_duplicates_on, workflows_in};
use super::types::State;
use crate::config::checks::CheckKind;
use crate::config::stabilization::{CriterionKind, Wave};
use crate::derive::percent;

/// A criterion's verdict: state, the figure judged, and the words.
pub(super) type Judged = (State, Option<f64>, String);

/// Judges one criterion for a clinic of a wave on `day`.
pub(super) fn criterion(
    facts: &Facts,
    wave: &Wave,
    clinic: &str,
    kind: CriterionKind,
    day: NaiveDate,
) -> Judged {
    let from = day_start_ms(day);
    let to = (from + DAY_MS).min(facts.now_ms + 1);
    match kind {
        CriterionKind::NoDrift { days } => no_drift(facts, (wave, clinic), day, to, days),
        CriterionKind::NoNewDuplicates { days } => no_new_duplicates(facts, wave, day, to, days),
        CriterionKind::DocumentAccessibility { at_least } => {
            documents(facts, (wave, clinic), (from, to), at_least)
        }
        CriterionKind::WorkflowP95 { max_ratio } => {
            workflow_p95(facts, (wave, clinic), (from, to), max_ratio)
        }
        CriterionKind::NoOpenBlockers => {
            let n = facts.blockers(clinic).count();
            (
                if n == 0 { State::Met } else { State::NotMet },
                Some(n as f64),
                format!("{n} open report(s) of work blocked"),
            )
        }
        CriterionKind::Handoffs { days, max_stuck } => {
            super::handoffs::criterion(facts, (wave, clinic), (day, to), days, max_stuck)
        }
        CriterionKind::NoPageAlerts => {
            let n = facts.page_alerts(wave, clinic);
            (
                if n == 0 { State::Met } else { State::NotMet },
                Some(n as f64),
                format!("{n} page-level alert(s) firing"),
            )
        }
        CriterionKind::KnownIssues { older_than } => known_issues(facts, clinic, older_than),
    }
}

/// "2 day(s)", "36 hour(s)", else humantime's words.
fn age_words(d: std::time::Duration) -> String {
    match d.as_secs() {
        s if s > 0 && s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{} hour(s)", s / 3_600),
        _ => humantime::format_duration(d).to_string(),
    }
}

/// No known issue affecting the clinic has been in `investigating` for
/// longer than `older_than` (staff were told nothing they can do).
fn known_issues(facts: &Facts, clinic: &str, older_than: std::time::Duration) -> Judged {
    let age_ms = i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX);
    let limit = age_words(older_than);
    let mine: Vec<_> = facts.investigating(clinic).collect();
    let old: Vec<_> = mine
        .iter()
        .filter(|k| facts.now_ms.saturating_sub(k.since_ms) > age_ms)
        .collect();
    let Some(oldest) = old.first() else {
        let words = match mine.len() {
            0 => "no known issue being looked into".to_string(),
            n => format!("no known issue being looked into for longer than {limit}; {n} newer"),
        };
        return (State::Met, Some(0.0), words);
    };
    let days = facts.now_ms.saturating_sub(oldest.since_ms) / DAY_MS;
    let words = format!(
        "{} known issue(s) being looked into for longer than {limit} (oldest #{}, {days} day(s)); staff have no workaround",
        old.len(),
        oldest.id
    );
    (State::NotMet, Some(old.len() as f64), words)
}

/// `days` consecutive days since go-live without new keyed-diff drift.
fn no_drift(
    facts: &Facts,
    (wave, clinic): (&Wave, &str),
    day: NaiveDate,
    to: i64,
    days: u32,
) -> Judged {
    let mut clean = 0u32;
    let mut unknown = 0u32;
    for back in 0..days {
        let d = day - Duration::days(i64::from(back));
        if d < wave.go_live {
            unknown += 1;
            continue;
        }
        let f = day_start_ms(d);
        match drift_on(facts, wave, clinic, f, (f + DAY_MS).min(to)) {
            Some(0) => clean += 1,
            Some(n) => {
                return (
                    State::NotMet,
                    Some(f64::from(clean)),
                    format!(
                        "{n} new record discrepancies on {d}{}; {clean} clean day(s) since, {days} needed",
                        facts.shared_note(wave, CheckKind::Reconcile)
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

/// `days` consecutive days since go-live without new probable duplicate
/// clusters (a registration desk creating patients again).
fn no_new_duplicates(facts: &Facts, wave: &Wave, day: NaiveDate, to: i64, days: u32) -> Judged {
    let (mut clean, mut unknown) = (0u32, 0u32);
    for back in 0..days {
        let d = day - Duration::days(i64::from(back));
        let f = day_start_ms(d);
        match (d >= wave.go_live)
            .then(|| new_duplicates_on(facts, wave, f, (f + DAY_MS).min(to)))
            .flatten()
        {
            Some(0) => clean += 1,
            Some(n) => {
                let words = format!(
                    "{n} new probable duplicate patient(s) on {d}; {clean} clean day(s) since, {days} needed"
                );
                return (State::NotMet, Some(f64::from(clean)), words);
            }
            None => unknown += 1,
        }
    }
    if unknown > 0 {
        let words = format!(
            "{clean} of {days} days without new probable duplicates; {unknown} day(s) without a duplicate check"
        );
        return (State::Unknown, Some(f64::from(clean)), words);
    }
    let words = format!("{days} days in a row without new probable duplicate patients");
    (State::Met, Some(f64::from(clean)), words)
}

/// At least `at_least` of the documents checked today were accessible.
fn documents(
    facts: &Facts,
    (wave, clinic): (&Wave, &str),
    (from, to): (i64, i64),
    at_least: f64,
) -> Judged {
    match documents_in(facts, wave, clinic, from, to) {
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
                "{} accessible ({failed} of {checked} checked failed{}; needed {})",
                percent(share),
                facts.shared_note(wave, CheckKind::Documents),
                percent(at_least)
            ),
        ),
    }
}

/// Every watched workflow's p95 today within `max_ratio` of its baseline.
fn workflow_p95(
    facts: &Facts,
    (wave, clinic): (&Wave, &str),
    (from, to): (i64, i64),
    max_ratio: f64,
) -> Judged {
    let w = workflows_in(facts, wave, clinic, from, to);
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
    let names = |keep: &dyn Fn(Option<f64>) -> bool| -> Vec<&str> {
        w.iter()
            .filter(|f| keep(f.ratio))
            .map(|f| f.name.as_str())
            .collect()
    };
    let slow = names(&|r| r.is_some_and(|r| r > max_ratio));
    let missing = names(&|r| r.is_none());
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
