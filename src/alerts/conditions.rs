//! Judging a condition from the store: the latest results, run history and
//! feedback. Details are read as plain JSON by field name, so a rule works
//! on any check kind whose details carry the field.

use std::collections::HashMap;

use serde_json::Value;

use super::rules::Target;
use crate::config::alerts::Condition;
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

/// Records the latest run found wrong, from its details: keyed diffs
/// (missing + extra + changed), counts (|target − source| over groups or in
/// total), integrity (problems over rules), or a top-level `discrepancies`.
pub fn discrepancies(details: &Value) -> Option<f64> {
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    if let (Some(m), Some(e), Some(c)) = (
        num(details, "missing"),
        num(details, "extra"),
        num(details, "changed"),
    ) {
        return Some(m + e + c);
    }
    if let Some(groups) = details
        .get("groups")
        .and_then(Value::as_object)
        .filter(|g| !g.is_empty())
    {
        return Some(
            groups
                .values()
                .filter_map(|g| num(g, "difference"))
                .map(f64::abs)
                .sum(),
        );
    }
    if let (Some(s), Some(t)) = (num(details, "source_count"), num(details, "target_count")) {
        return Some((t - s).abs());
    }
    if let Some(rules) = details.get("rules").and_then(Value::as_array) {
        return Some(rules.iter().filter_map(|r| num(r, "problems")).sum());
    }
    num(details, "discrepancies")
}

/// Whether a workflow run counts against its error budget: an outcome of
/// fail or error, or `"slo_good": false` in its details.
fn bad_run(status: &str, details: &str) -> bool {
    if status != "pass" {
        return true;
    }
    serde_json::from_str::<Value>(details)
        .ok()
        .and_then(|d| d.get("slo_good").and_then(Value::as_bool))
        == Some(false)
}

/// `(bad / all) / (1 − objective)` over the runs since `since_ms`; 0 with no runs.
async fn burn_rate(
    store: &Store,
    check: &str,
    since_ms: i64,
    objective: f64,
) -> Result<f64, StoreError> {
    let runs = store.runs_since(check, since_ms).await?;
    if runs.is_empty() {
        return Ok(0.0);
    }
    let bad = runs.iter().filter(|(s, d)| bad_run(s, d)).count() as f64;
    Ok(bad / runs.len() as f64 / (1.0 - objective))
}

fn window_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Judges one instance at `now_ms`.
pub async fn judge(
    store: &Store,
    t: &Target,
    snap: &Snapshot,
    now_ms: i64,
) -> Result<Judged, StoreError> {
    let check = t.check.as_ref();
    let name = check.map_or("", |c| c.name.as_str());
    let latest = snap.latest.get(name);
    Ok(match &t.rule.condition {
        Condition::Status => {
            let failing = latest.is_some_and(|r| r.status == "fail" || r.status == "error");
            Judged {
                active: failing,
                value: f64::from(u8::from(failing)),
            }
        }
        Condition::Discrepancy { above } => {
            let found = latest
                .filter(|r| r.status != "error")
                .and_then(|r| serde_json::from_str::<Value>(&r.details).ok())
                .and_then(|d| discrepancies(&d));
            match found {
                Some(n) => Judged {
                    active: n > *above,
                    value: n,
                },
                None => INACTIVE,
            }
        }
        Condition::FailureRatio { above, window } => {
            let runs = store.runs_since(name, now_ms - window_ms(*window)).await?;
            if runs.is_empty() {
                INACTIVE
            } else {
                let bad = runs.iter().filter(|(s, _)| s != "pass").count() as f64;
                let ratio = bad / runs.len() as f64;
                Judged {
                    active: ratio > *above,
                    value: ratio,
                }
            }
        }
        Condition::BurnRate {
            objective,
            long_window,
            short_window,
            threshold,
        } => {
            let long = burn_rate(store, name, now_ms - window_ms(*long_window), *objective).await?;
            let short =
                burn_rate(store, name, now_ms - window_ms(*short_window), *objective).await?;
            Judged {
                active: long > *threshold && short > *threshold,
                value: long,
            }
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
        Condition::Stale { after, runs } => {
            let limit = match (after, check.and_then(|c| c.interval_ms)) {
                (Some(a), _) => Some(window_ms(*a)),
                (None, Some(interval)) => Some(interval.saturating_mul(i64::from(*runs))),
                (None, None) => None,
            };
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
        Condition::Rollback => {
            let (clinic, trigger) = (t.labels.get("clinic"), t.labels.get("trigger"));
            let row = store
                .triggers()
                .await?
                .into_iter()
                .find(|r| Some(&r.clinic) == clinic && Some(&r.trigger) == trigger);
            match row {
                Some(r) => Judged {
                    active: r.breached,
                    value: r.value.unwrap_or(0.0),
                },
                None => INACTIVE,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn discrepancies_are_read_from_any_kind_of_details() {
        assert_eq!(
            discrepancies(&json!({"missing": 2, "extra": 1, "changed": 4, "source_count": 9})),
            Some(7.0)
        );
        assert_eq!(
            discrepancies(&json!({"groups": {"a": {"difference": -3}, "b": {"difference": 2}}})),
            Some(5.0)
        );
        assert_eq!(
            discrepancies(&json!({"source_count": 10, "target_count": 7})),
            Some(3.0)
        );
        assert_eq!(
            discrepancies(
                &json!({"rules": [{"problems": 2}, {"problems": null}, {"problems": 5}]})
            ),
            Some(7.0)
        );
        assert_eq!(discrepancies(&json!({"discrepancies": 4})), Some(4.0));
        assert_eq!(discrepancies(&json!({})), None);
    }

    #[test]
    fn a_run_is_bad_when_it_failed_or_missed_its_slo() {
        assert!(bad_run("fail", "{}"));
        assert!(bad_run("error", r#"{"slo_good": true}"#));
        assert!(bad_run("pass", r#"{"slo_good": false}"#));
        assert!(!bad_run("pass", r#"{"slo_good": true}"#));
        assert!(!bad_run("pass", "{}"));
    }
}
