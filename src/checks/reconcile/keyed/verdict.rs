//! A keyed diff's verdict and its one-line summary (counts and config
//! names only): pass when the differing records that count are within the
//! tolerance and no key is duplicated or NULL.

use std::time::Duration;

use crate::config::Tolerance;
use crate::results::{CheckResult, Details, KeyedDiff, Outcome, ReconcileDetails};

/// Pass when the differing records that count (all of them, or with
/// history those past the grace period) are within the tolerance (records,
/// or a percentage of the source rows) and no key is duplicated or NULL.
pub fn judge(diff: KeyedDiff, tolerance: Tolerance, counted: u64, grace: Duration) -> CheckResult {
    let key_problems = diff.duplicate_keys.source
        + diff.duplicate_keys.target
        + diff.null_keys.source
        + diff.null_keys.target;
    let beyond = tolerance.exceeded(diff.source_rows as i64, counted as i64);
    let outcome = if beyond || key_problems > 0 {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    let (m, e, c, s, t) = (
        diff.missing,
        diff.extra,
        diff.changed,
        diff.source_rows,
        diff.target_rows,
    );
    let mut summary = match &diff.sweep {
        Some(sw) if sw.kind == "incremental" => format!(
            "{m} missing, {e} extra, {c} changed (incremental: {s} source and {t} target records changed since the last run)"
        ),
        _ => format!("{m} missing, {e} extra, {c} changed of {s} source and {t} target records"),
    };
    summary.push_str(if beyond {
        ", beyond tolerance "
    } else {
        ", within tolerance "
    });
    summary.push_str(&tolerance.to_string());
    if let Some(d) = &diff.drift {
        summary.push_str(&format!(
            "; since the last run: {} new, {} persisting, {} resolved",
            d.new, d.persisting, d.resolved
        ));
        if d.within_grace > 0 {
            summary.push_str(&format!(
                "; {} within the {} grace period",
                d.within_grace,
                humantime::format_duration(grace)
            ));
        }
    }
    let d = &diff.duplicate_keys;
    if d.source + d.target > 0 {
        summary.push_str(&format!(
            "; duplicate keys: {} in source, {} in target",
            d.source, d.target
        ));
    }
    let z = &diff.null_keys;
    if z.source + z.target > 0 {
        summary.push_str(&format!(
            "; NULL keys: {} in source, {} in target",
            z.source, z.target
        ));
    }
    let details = ReconcileDetails {
        source_count: Some(diff.source_rows as i64),
        target_count: Some(diff.target_rows as i64),
        tolerance: Some(tolerance.to_string()),
        keyed: Some(Box::new(diff)),
        ..Default::default()
    };
    CheckResult {
        outcome,
        summary,
        details: Details::Reconcile(details),
    }
}
