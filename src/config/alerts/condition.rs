//! A rule's `condition` and the keys each condition takes; keys of other
//! conditions are refused.

use std::time::Duration;

use serde::de::Error;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::Condition;
use crate::config::de::recover;
use crate::config::values;

/// A window of a condition: at least 1s.
pub(super) struct Window(pub Duration);

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let message = "a window must be at least 1s";
        values::duration_at_least(d, Duration::from_secs(1), message, None).map(Window)
    }
}

/// The condition keys of a rule as written.
pub(super) struct ConditionText<'a> {
    pub condition: &'a Spanned<String>,
    pub threshold: Option<Spanned<f64>>,
    pub window: Option<Spanned<Window>>,
    pub long_window: Option<Spanned<Window>>,
    pub short_window: Option<Spanned<Window>>,
    pub objective: Option<Spanned<f64>>,
    pub stale_after: Option<Spanned<Window>>,
}

/// What a condition placeholder reads as once a mistake is recorded.
const PLACEHOLDER: Condition = Condition::Status;

pub(super) fn condition<E: Error>(t: ConditionText<'_>) -> Result<Condition, E> {
    let name = t.condition.get_ref().as_str();
    let allowed: &[&str] = match name {
        "status" => &[],
        "discrepancy" => &["threshold"],
        "failure_ratio" | "feedback_blockers" => &["threshold", "window"],
        "burn_rate" => &["threshold", "long_window", "short_window", "objective"],
        "stale" => &["stale_after"],
        other => {
            let message = format!("`{other}` is not a condition");
            let hint =
                "use status, discrepancy, failure_ratio, burn_rate, feedback_blockers or stale";
            return recover(t.condition.span(), message, Some(hint), PLACEHOLDER);
        }
    };
    let given = [
        ("threshold", t.threshold.as_ref().map(Spanned::span)),
        ("window", t.window.as_ref().map(Spanned::span)),
        ("long_window", t.long_window.as_ref().map(Spanned::span)),
        ("short_window", t.short_window.as_ref().map(Spanned::span)),
        ("objective", t.objective.as_ref().map(Spanned::span)),
        ("stale_after", t.stale_after.as_ref().map(Spanned::span)),
    ];
    let mut ok = true;
    for (key, span) in given {
        if let Some(span) = span
            && !allowed.contains(&key)
        {
            let message = format!("`{key}` does not apply to condition `{name}`");
            recover::<(), E>(span, message, None, ())?;
            ok = false;
        }
    }
    let cond = match name {
        "status" => Some(Condition::Status),
        "discrepancy" => {
            let above = number::<E>(&t, &t.threshold, "threshold", (0.0, f64::MAX), "threshold")?;
            above.map(|above| Condition::Discrepancy { above })
        }
        "failure_ratio" => {
            let what = "threshold (a share of runs)";
            let above = number::<E>(&t, &t.threshold, "threshold", (0.0, 1.0), what)?;
            let window = window::<E>(&t, &t.window, "window")?;
            above
                .zip(window)
                .map(|(above, window)| Condition::FailureRatio { above, window })
        }
        "burn_rate" => burn_rate::<E>(&t)?,
        "feedback_blockers" => {
            let what = "threshold (a count of reports)";
            let at_least = number::<E>(&t, &t.threshold, "threshold", (1.0, 1e9), what)?;
            let window = window::<E>(&t, &t.window, "window")?;
            at_least
                .zip(window)
                .map(|(at_least, window)| Condition::FeedbackBlockers {
                    at_least: at_least as u32,
                    window,
                })
        }
        _ => Some(Condition::Stale {
            after: t.stale_after.as_ref().map(|s| s.get_ref().0),
            // Set from `[alerting] stale_after_runs` once that is read.
            runs: 0,
        }),
    };
    Ok(cond.filter(|_| ok).unwrap_or(PLACEHOLDER))
}

/// A key the condition needs: recorded at the condition when missing.
fn required<'v, T, E: Error>(
    t: &ConditionText<'_>,
    v: &'v Option<Spanned<T>>,
    key: &str,
) -> Result<Option<&'v Spanned<T>>, E> {
    if v.is_none() {
        let message = format!("condition `{}` needs `{key}`", t.condition.get_ref());
        recover::<(), E>(t.condition.span(), message, None, ())?;
    }
    Ok(v.as_ref())
}

fn number<E: Error>(
    t: &ConditionText<'_>,
    v: &Option<Spanned<f64>>,
    key: &str,
    (lo, hi): (f64, f64),
    what: &str,
) -> Result<Option<f64>, E> {
    let Some(v) = required::<_, E>(t, v, key)? else {
        return Ok(None);
    };
    let x = *v.get_ref();
    if !(x.is_finite() && x >= lo && x <= hi) {
        return recover(
            v.span(),
            format!("{what} must be from {lo} to {hi}"),
            None,
            None,
        );
    }
    Ok(Some(x))
}

fn window<E: Error>(
    t: &ConditionText<'_>,
    v: &Option<Spanned<Window>>,
    key: &str,
) -> Result<Option<Duration>, E> {
    Ok(required::<_, E>(t, v, key)?.map(|w| w.get_ref().0))
}

fn burn_rate<E: Error>(t: &ConditionText<'_>) -> Result<Option<Condition>, E> {
    let threshold = number::<E>(t, &t.threshold, "threshold", (0.0, 1e6), "threshold")?;
    let what = "objective (such as 0.99)";
    let objective = number::<E>(t, &t.objective, "objective", (0.0, 0.999_999), what)?;
    let long_window = window::<E>(t, &t.long_window, "long_window")?;
    let short_window = window::<E>(t, &t.short_window, "short_window")?;
    if let (Some(l), Some(s)) = (long_window, short_window)
        && s >= l
    {
        let span = t
            .short_window
            .as_ref()
            .map(Spanned::span)
            .unwrap_or_default();
        let hint = Some("such as long_window = \"1h\", short_window = \"5m\"");
        let message = "short_window must be shorter than long_window";
        return recover(span, message, hint, None);
    }
    let (Some(threshold), Some(objective), Some(long_window), Some(short_window)) =
        (threshold, objective, long_window, short_window)
    else {
        return Ok(None);
    };
    Ok(Some(Condition::BurnRate {
        objective,
        long_window,
        short_window,
        threshold,
    }))
}
