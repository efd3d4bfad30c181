//! Judging a condition from the store: the latest results, run history and
//! feedback, all typed. The facts a condition needs are methods on the
//! result types (`Details::discrepancies`, `StoredRun::good_for_slo`) and
//! the burn rate is `derive`'s, so alerts, gauges and criteria agree.

use std::collections::HashMap;
use std::time::Duration;

use super::rules::Target;
use crate::config::alerts::Condition;
use crate::derive::burn_rate;
use crate::results::RunStatus;
use crate::store::{Store, StoreError, StoredRun};

/// What every instance of one round reads: loaded once per round.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The newest pass/fail/error run of each check.
    pub latest: HashMap<String, StoredRun>,
    /// When each check last finished a run.
    pub last_finished: HashMap<String, i64>,
}

impl Snapshot {
    pub async fn load(store: &Store) -> Result<Snapshot, StoreError> {
        let latest = store
            .latest_results()
            .await?
            .into_iter()
            .map(|r| (r.check_name.clone(), r))
            .collect();
        let last_finished = store.last_finished().await?.into_iter().collect();
        Ok(Snapshot {
            latest,
            last_finished,
        })
    }
}

/// This round's verdict on one instance: whether the condition holds, and
/// the figure it is about (a count, a ratio, seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    pub active: bool,
    pub value: f64,
}

const INACTIVE: Judged = Judged {
    active: false,
    value: 0.0,
};

fn window_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `(finished_ms, good)` of a check's runs since `since_ms`.
async fn samples(
    store: &Store,
    check: &str,
    since_ms: i64,
) -> Result<Vec<(i64, bool)>, StoreError> {
    Ok(store
        .runs_since(check, since_ms)
        .await?
        .iter()
        .map(|r| (r.finished_ms.unwrap_or(since_ms), r.good_for_slo()))
        .collect())
}

/// The share of a check's runs in the window that did not pass.
async fn failure_ratio(
    store: &Store,
    check: &str,
    above: f64,
    window: Duration,
    now_ms: i64,
) -> Result<Judged, StoreError> {
    let runs = store.runs_since(check, now_ms - window_ms(window)).await?;
    if runs.is_empty() {
        return Ok(INACTIVE);
    }
    let bad = runs.iter().filter(|r| r.status != RunStatus::Pass).count() as f64;
    let ratio = bad / runs.len() as f64;
    Ok(Judged {
        active: ratio > above,
        value: ratio,
    })
}

/// Both windows burning faster than `threshold` (0 for a window with no runs).
async fn burning(
    store: &Store,
    check: &str,
    objective: f64,
    [long, short]: [Duration; 2],
    threshold: f64,
    now_ms: i64,
) -> Result<Judged, StoreError> {
    let (long, short) = (window_ms(long), window_ms(short));
    let runs = samples(store, check, now_ms - long.max(short)).await?;
    let rate = |len| burn_rate(&runs, now_ms, len, objective).unwrap_or(0.0);
    let (long, short) = (rate(long), rate(short));
    Ok(Judged {
        active: long > threshold && short > threshold,
        value: long,
    })
}

/// A check that has not finished a run for `after`, or `runs` intervals.
fn stale(t: &Target, snap: &Snapshot, after: Option<Duration>, runs: u32, now_ms: i64) -> Judged {
    let check = t.check.as_ref();
    let limit = match (after, check.and_then(|c| c.interval_ms)) {
        (Some(a), _) => Some(window_ms(a)),
        (None, Some(interval)) => Some(interval.saturating_mul(i64::from(runs))),
        (None, None) => None,
    };
    let name = check.map_or("", |c| c.name.as_str());
    match (limit, snap.last_finished.get(name)) {
        (Some(limit), Some(last)) => {
            let age = now_ms - last;
            Judged {
                active: age > limit,
                value: (age / 1000) as f64,
            }
        }
        _ => INACTIVE,
    }
}

/// The stabilization room's latest judgement of this instance's trigger.
async fn rollback(store: &Store, t: &Target) -> Result<Judged, StoreError> {
    let (clinic, trigger) = (t.labels.get("clinic"), t.labels.get("trigger"));
    let row = store
        .triggers()
        .await?
        .into_iter()
        .find(|r| Some(&r.clinic) == clinic && Some(&r.trigger) == trigger);
    Ok(row.map_or(INACTIVE, |r| Judged {
        active: r.breached,
        value: r.value.unwrap_or(0.0),
    }))
}

/// Judges one instance at `now_ms`.
pub async fn judge(
    store: &Store,
    t: &Target,
    snap: &Snapshot,
    now_ms: i64,
) -> Result<Judged, StoreError> {
    let name = t.check.as_ref().map_or("", |c| c.name.as_str());
    let latest = snap.latest.get(name);
    Ok(match &t.rule.condition {
        Condition::Status => {
            let failing =
                latest.is_some_and(|r| matches!(r.status, RunStatus::Fail | RunStatus::Error));
            Judged {
                active: failing,
                value: f64::from(u8::from(failing)),
            }
        }
        Condition::Discrepancy { above } => {
            // A per-clinic instance reads its clinic's slice only.
            let clinic = t.labels.get("clinic");
            let found =
                latest
                    .filter(|r| r.status != RunStatus::Error)
                    .and_then(|r| match clinic {
                        Some(c) => r.details.for_clinic(c).discrepancies(),
                        None => r.details.discrepancies(),
                    });
            match found {
                Some(n) => Judged {
                    active: n as f64 > *above,
                    value: n as f64,
                },
                None => INACTIVE,
            }
        }
        Condition::FailureRatio { above, window } => {
            failure_ratio(store, name, *above, *window, now_ms).await?
        }
        Condition::BurnRate {
            objective,
            long_window,
            short_window,
            threshold,
        } => {
            let windows = [*long_window, *short_window];
            burning(store, name, *objective, windows, *threshold, now_ms).await?
        }
        Condition::FeedbackBlockers { at_least, window } => {
            let n = store
                .feedback_since("blocks_work", now_ms - window_ms(*window))
                .await?;
            Judged {
                active: n >= i64::from(*at_least),
                value: n as f64,
            }
        }
        Condition::Stale { after, runs } => stale(t, snap, *after, *runs, now_ms),
        Condition::Rollback => rollback(store, t).await?,
    })
}
