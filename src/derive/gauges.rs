//! The result gauges of every configured check, from its latest stored
//! run, so every replica shows the latest results whichever ran them.

use chrono::DateTime;

use crate::config::checks::CheckMeta;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

fn failed(metrics: &Metrics, operation: &'static str, e: &StoreError) {
    metrics.count_store_error(operation);
    tracing::warn!(operation, error = %e, "store operation failed");
}

/// Shows each configured check's latest result and last success.
pub(super) async fn refresh(store: &Store, metrics: &Metrics, checks: &[CheckMeta]) {
    let by_name = |name: &str| checks.iter().find(|c| c.name.as_str() == name);
    match store.latest_results().await {
        Ok(latest) => {
            for run in latest {
                let Some(meta) = by_name(&run.check_name) else {
                    continue;
                };
                let (Some(outcome), Some(at)) = (
                    run.outcome(),
                    run.finished_ms.and_then(DateTime::from_timestamp_millis),
                ) else {
                    continue;
                };
                metrics.show_result(
                    meta.name.as_str(),
                    meta.kind,
                    outcome,
                    at,
                    &run.details,
                    meta.max_groups,
                );
            }
        }
        Err(e) => return failed(metrics, "latest_results", &e),
    }
    // A failure here shows on the next refresh; the latest results above count it.
    if let Ok(successes) = store.last_successes().await {
        for (name, at) in successes {
            if let (Some(meta), Some(at)) = (by_name(&name), DateTime::from_timestamp_millis(at)) {
                metrics.show_success(&name, meta.kind, at);
            }
        }
    }
}
