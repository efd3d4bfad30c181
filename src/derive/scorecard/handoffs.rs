//! The handoff criterion and rollback trigger: each reads a clinic's own
//! slice of the watched handoff checks' runs (the whole run when a check
//! carries no clinic), counts only.

use chrono::{Duration, NaiveDate};

use super::facts::{DAY_MS, Facts, day_start_ms};
use super::types::{HandoffFigure, State};
use crate::config::checks::CheckKind;
use crate::config::stabilization::Wave;
use crate::derive::percent;
use crate::results::HandoffDetails;

/// A clinic's slice of a run's handoff figures, when the run judged.
fn slice(r: &crate::store::StoredRun, clinic: &str) -> Option<HandoffDetails> {
    let mine = r.details.for_clinic(clinic);
    let h = mine.handoff()?;
    h.error.is_none().then(|| h.clone())
}

/// The most items stuck at a clinic in any run of `[from, to)`, and the
/// check that had them; `None` when no handoff run judged in the window.
fn worst_stuck_in(
    facts: &Facts,
    wave: &Wave,
    clinic: &str,
    from: i64,
    to: i64,
) -> Option<(u64, String)> {
    facts
        .runs_in(wave, CheckKind::Handoff, from, to)
        .filter_map(|r| Some((slice(r, clinic)?.stuck, r.check_name.clone())))
        .fold(None, |worst, (n, c)| match worst {
            Some((w, _)) if w >= n => worst,
            _ => Some((n, c)),
        })
}

/// At most `max_stuck` items stuck on each of the last `days` days since go-live.
pub(super) fn criterion(
    facts: &Facts,
    (wave, clinic): (&Wave, &str),
    (day, to): (NaiveDate, i64),
    days: u32,
    max_stuck: u64,
) -> (State, Option<f64>, String) {
    let (mut good, mut unknown) = (0u32, 0u32);
    for back in 0..days {
        let d = day - Duration::days(i64::from(back));
        let f = day_start_ms(d);
        let worst = (d >= wave.go_live)
            .then(|| worst_stuck_in(facts, wave, clinic, f, (f + DAY_MS).min(to)))
            .flatten();
        match worst {
            Some((n, _)) if n <= max_stuck => good += 1,
            Some((n, check)) => {
                let words = format!(
                    "{n} handoff item(s) stuck on {d} ({check}{}), at most {max_stuck} allowed; \
                     {good} good day(s) since, {days} needed",
                    facts.shared_note(wave, CheckKind::Handoff)
                );
                return (State::NotMet, Some(f64::from(good)), words);
            }
            None => unknown += 1,
        }
    }
    if unknown > 0 {
        let words = format!(
            "{good} of {days} days with at most {max_stuck} stuck handoff item(s); \
             {unknown} day(s) without a handoff check"
        );
        return (State::Unknown, Some(f64::from(good)), words);
    }
    let words = format!("{days} days in a row with at most {max_stuck} stuck handoff item(s)");
    (State::Met, Some(f64::from(good)), words)
}

/// The worst stuck share over the latest run of each watched handoff check.
pub(super) fn trigger(
    facts: &Facts,
    wave: &Wave,
    clinic: &str,
    above: f64,
) -> (bool, Option<f64>, String) {
    let mut worst: Option<(f64, String)> = None;
    for r in facts.latest(wave, CheckKind::Handoff) {
        let Some(h) = slice(r, clinic).filter(|h| h.events > 0) else {
            continue;
        };
        let share = h.stuck_share();
        if worst.as_ref().is_none_or(|(w, _)| share > *w) {
            let words = format!(
                "check {}: {} of {} events stuck past the deadline ({})",
                r.check_name,
                h.stuck,
                h.events,
                percent(share)
            );
            worst = Some((share, words));
        }
    }
    let shared = facts.shared_note(wave, CheckKind::Handoff);
    match worst {
        Some((share, ev)) => (
            share > above,
            Some(share),
            format!("{ev}{shared}; trigger above {}", percent(above)),
        ),
        None => (false, None, "no handoff data".to_string()),
    }
}

/// The clinic's share of the latest judged run of each watched handoff check.
pub(super) fn figures(facts: &Facts, wave: &Wave, clinic: &str) -> Vec<HandoffFigure> {
    facts
        .latest(wave, CheckKind::Handoff)
        .into_iter()
        .filter_map(|r| {
            let h = slice(r, clinic)?;
            let (events_called, arrival_called) = (facts.handoff_words.get(&r.check_name))
                .cloned()
                .unwrap_or_else(|| ("events".into(), "arrival".into()));
            Some(HandoffFigure {
                name: r.check_name.clone(),
                events_called,
                arrival_called,
                within_seconds: h.within_seconds,
                events: h.events,
                stuck: h.stuck,
                late: h.late,
                pending: h.pending,
            })
        })
        .collect()
}
