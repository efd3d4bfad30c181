//! Check runners. Each check kind is a room of its own that reads its
//! sources and returns a [`CheckResult`]; none knows of metrics, alerts or mail.

pub mod documents;
pub mod integrity;
pub mod progress;
pub mod reconcile;
pub mod workflow;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::config::{Comparison, Config, CronSchedule, Name};
use crate::results::{CheckKind, CheckResult, Ledger};
use crate::sources::Sources;

/// What the scheduler needs to know of a check, whatever its kind.
#[derive(Debug, Clone)]
pub struct CheckMeta {
    pub name: Name,
    pub kind: CheckKind,
    pub schedule: CronSchedule,
    /// A run that takes longer ends as `error` ("timed out").
    pub timeout: Duration,
    pub enabled: bool,
    /// Cap on the group label values this check exposes in metrics.
    pub max_groups: usize,
}

/// A check's own last completed run (pass or fail), which the scheduler
/// reads from the store for checks that build on it (drift, watermarks).
/// The check still never sees the store.
#[derive(Debug, Clone)]
pub struct PreviousRun {
    pub details: crate::results::Details,
}

/// A configured check, ready to run.
#[async_trait]
pub trait Check: Send + Sync {
    fn meta(&self) -> &CheckMeta;

    /// Runs once. Failures to reach a source come back as `Outcome::Error`
    /// results, not as Rust errors: every run ends in a result.
    async fn run(&self) -> CheckResult;

    /// Whether [`Check::run_after`] uses the previous run, so the scheduler
    /// reads it from the store first.
    fn uses_previous(&self) -> bool {
        false
    }

    /// Runs once, knowing the previous completed run (none on the first run
    /// and in `hypercare check`, which has no store).
    async fn run_after(&self, previous: Option<PreviousRun>) -> CheckResult {
        let _ = previous;
        self.run().await
    }

    /// The workflow's config, for the rooms that derive SLO burn rates and
    /// baseline ratios from its stored runs; `None` for other kinds.
    fn workflow(&self) -> Option<&crate::config::WorkflowConfig> {
        None
    }

    /// Whether the check keeps per-item state between runs (the documents
    /// rotation): the scheduler then loads it from the store, runs
    /// [`Check::run_with_ledger`], and saves what the result's details carry back.
    fn keeps_ledger(&self) -> bool {
        false
    }

    /// Runs once with the state of earlier runs.
    async fn run_with_ledger(&self, ledger: Ledger) -> CheckResult {
        drop(ledger);
        self.run().await
    }
}

/// Builds every configured check against the given sources.
pub fn build_all(config: &Config, sources: &Sources) -> Vec<Arc<dyn Check>> {
    let mut checks: Vec<Arc<dyn Check>> = Vec::new();
    for rc in &config.reconcile {
        let check: Arc<dyn Check> = match &rc.compare {
            Comparison::Counts { source, target } => {
                Arc::new(reconcile::CountReconcile::new(rc, source, target, sources))
            }
            Comparison::Keyed(keyed) => {
                Arc::new(reconcile::KeyedReconcile::new(rc, keyed, sources))
            }
        };
        checks.push(check);
    }
    for ic in &config.integrity {
        checks.push(Arc::new(integrity::IntegrityCheck::new(ic, sources)));
    }
    for wc in &config.workflows {
        checks.push(Arc::new(workflow::WorkflowCheck::new(wc, sources)));
    }
    for dc in &config.documents {
        checks.push(Arc::new(documents::DocumentsCheck::new(dc, sources)));
    }
    checks
}

/// Picks checks by name (a disabled check runs when named); with no names,
/// every enabled check. Unknown names come back as the error.
pub fn select(
    checks: Vec<Arc<dyn Check>>,
    names: &[String],
) -> Result<Vec<Arc<dyn Check>>, Vec<String>> {
    if names.is_empty() {
        return Ok(checks.into_iter().filter(|c| c.meta().enabled).collect());
    }
    let unknown: Vec<String> = names
        .iter()
        .filter(|n| !checks.iter().any(|c| c.meta().name.as_str() == n.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    Ok(checks
        .into_iter()
        .filter(|c| names.iter().any(|n| n == c.meta().name.as_str()))
        .collect())
}

/// Runs checks once, concurrently, each within its timeout (for `hypercare check`).
pub async fn run_once(checks: &[Arc<dyn Check>]) -> Vec<crate::results::RunReport> {
    let runs = checks.iter().map(|c| async move {
        let meta = c.meta();
        let started_at = chrono::Utc::now();
        let clock = std::time::Instant::now();
        let result = tokio::time::timeout(meta.timeout, c.run())
            .await
            .unwrap_or_else(|_| {
                CheckResult::error(
                    format!(
                        "timed out after {}",
                        humantime::format_duration(meta.timeout)
                    ),
                    crate::results::Details::None {},
                )
            });
        crate::results::RunReport {
            name: meta.name.to_string(),
            kind: meta.kind,
            status: result.outcome,
            started_at,
            duration_ms: clock.elapsed().as_millis() as u64,
            summary: result.summary,
            details: result.details,
        }
    });
    futures_util::future::join_all(runs).await
}
