//! Validating a rule's `condition` and the keys each condition takes.

use std::time::Duration;

use super::super::super::alerts::Condition;
use super::super::super::errors::Collector;
use super::super::super::raw::{RawAlert, S};
use super::super::duration;

fn required<'a, T>(
    c: &mut Collector,
    v: &'a Option<S<T>>,
    r: &RawAlert,
    key: &str,
) -> Option<&'a S<T>> {
    if v.is_none() {
        c.at(
            r.condition.span(),
            format!("condition `{}` needs `{key}`", r.condition.get_ref()),
            None,
        );
    }
    v.as_ref()
}

fn number(c: &mut Collector, v: Option<&S<f64>>, lo: f64, hi: f64, what: &str) -> Option<f64> {
    let v = v?;
    let x = *v.get_ref();
    if !(x.is_finite() && x >= lo && x <= hi) {
        c.at(v.span(), format!("{what} must be from {lo} to {hi}"), None);
        return None;
    }
    Some(x)
}

fn window(c: &mut Collector, v: Option<&S<String>>) -> Option<Duration> {
    let v = v?;
    let d = duration(c, &Some(v.clone()), Duration::ZERO)?;
    if d < Duration::from_secs(1) {
        c.at(v.span(), "a window must be at least 1s", None);
        return None;
    }
    Some(d)
}

/// The condition and the keys it takes; keys of other conditions are refused.
pub(super) fn condition(c: &mut Collector, r: &RawAlert, stale_runs: u32) -> Option<Condition> {
    let allowed: &[&str] = match r.condition.get_ref().as_str() {
        "status" => &[],
        "discrepancy" => &["threshold"],
        "failure_ratio" => &["threshold", "window"],
        "burn_rate" => &["threshold", "long_window", "short_window", "objective"],
        "feedback_blockers" => &["threshold", "window"],
        "stale" => &["stale_after"],
        other => {
            c.at(
                r.condition.span(),
                format!("`{other}` is not a condition"),
                Some(
                    "use status, discrepancy, failure_ratio, burn_rate, feedback_blockers or stale",
                ),
            );
            return None;
        }
    };
    let given = [
        ("threshold", r.threshold.as_ref().map(|s| s.span())),
        ("window", r.window.as_ref().map(|s| s.span())),
        ("long_window", r.long_window.as_ref().map(|s| s.span())),
        ("short_window", r.short_window.as_ref().map(|s| s.span())),
        ("objective", r.objective.as_ref().map(|s| s.span())),
        ("stale_after", r.stale_after.as_ref().map(|s| s.span())),
    ];
    let mut ok = true;
    for (key, span) in given {
        if let Some(span) = span
            && !allowed.contains(&key)
        {
            c.at(
                span,
                format!(
                    "`{key}` does not apply to condition `{}`",
                    r.condition.get_ref()
                ),
                None,
            );
            ok = false;
        }
    }
    let cond = match r.condition.get_ref().as_str() {
        "status" => Some(Condition::Status),
        "discrepancy" => {
            let t = required(c, &r.threshold, r, "threshold");
            number(c, t, 0.0, f64::MAX, "threshold").map(|above| Condition::Discrepancy { above })
        }
        "failure_ratio" => {
            let t = required(c, &r.threshold, r, "threshold");
            let above = number(c, t, 0.0, 1.0, "threshold (a share of runs)");
            let w = required(c, &r.window, r, "window");
            let window = window(c, w);
            Some(Condition::FailureRatio {
                above: above?,
                window: window?,
            })
        }
        "burn_rate" => burn_rate(c, r),
        "feedback_blockers" => {
            let t = required(c, &r.threshold, r, "threshold");
            let at_least = number(c, t, 1.0, 1e9, "threshold (a count of reports)");
            let w = required(c, &r.window, r, "window");
            let window = window(c, w);
            Some(Condition::FeedbackBlockers {
                at_least: at_least? as u32,
                window: window?,
            })
        }
        _ => {
            let after = match &r.stale_after {
                Some(s) => Some(window(c, Some(s))?),
                None => None,
            };
            Some(Condition::Stale {
                after,
                runs: stale_runs,
            })
        }
    };
    if ok { cond } else { None }
}

fn burn_rate(c: &mut Collector, r: &RawAlert) -> Option<Condition> {
    let t = required(c, &r.threshold, r, "threshold");
    let threshold = number(c, t, 0.0, 1e6, "threshold");
    let o = required(c, &r.objective, r, "objective");
    let objective = number(c, o, 0.0, 0.999_999, "objective (such as 0.99)");
    let lw = required(c, &r.long_window, r, "long_window");
    let long_window = window(c, lw);
    let sw = required(c, &r.short_window, r, "short_window");
    let short_window = window(c, sw);
    if let (Some(l), Some(s), Some(span)) = (long_window, short_window, r.short_window.as_ref())
        && s >= l
    {
        c.at(
            span.span(),
            "short_window must be shorter than long_window",
            Some("such as long_window = \"1h\", short_window = \"5m\""),
        );
        return None;
    }
    Some(Condition::BurnRate {
        objective: objective?,
        long_window: long_window?,
        short_window: short_window?,
        threshold: threshold?,
    })
}
