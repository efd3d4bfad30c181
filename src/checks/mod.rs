//! Check runners. Each check kind is a room of its own that reads its
//! sources and returns a [`CheckResult`]; none knows of metrics, alerts or mail.

pub mod documents;
pub mod handoffs;
pub mod integrity;
pub mod progress;
pub mod reconcile;
pub mod workflow;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub use crate::config::checks::{CheckKind, CheckMeta};
use crate::config::{ClinicCodes, Comparison, Config};
use crate::results::{CheckResult, Details, Ledger, LedgerUpdate, Outcome};
use crate::sources::Sources;

/// What a check is given for one run besides its config and sources.
#[derive(Debug, Default)]
pub struct RunInput {
    /// What the store remembers of earlier runs; `None` for `hypercare
    /// check`, which has no store (no drift, no grace, every document new).
    pub memory: Option<Memory>,
    /// Cancelled when the run must stop (the shutdown drain ran out).
    /// Dropping the run's future stops it too; a check may watch the token
    /// to stop between steps.
    pub cancel: CancellationToken,
}

/// A check's own history, read from the store by the scheduler before the
/// run, so the check never sees the store.
#[derive(Debug, Default)]
pub struct Memory {
    /// The details of its newest completed (pass or fail) run; `None` on
    /// its first run.
    pub previous: Option<Details>,
    /// Its per-item rotation state (documents; empty for other kinds).
    pub ledger: Ledger,
    /// Pairs a reviewer marked "not a duplicate" for its probable_duplicates
    /// rules: (rule, key, key), the keys in text order.
    pub not_duplicates: Vec<(String, String, String)>,
}

impl RunInput {
    /// A run with what the store remembers.
    pub fn remembering(previous: Option<Details>, ledger: Ledger) -> RunInput {
        RunInput {
            memory: Some(Memory {
                previous,
                ledger,
                not_duplicates: Vec::new(),
            }),
            cancel: CancellationToken::new(),
        }
    }
}

/// What a run gives back: its result, and the per-item state to save
/// (documents rotation), which is never stored with the result.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    pub result: CheckResult,
    pub ledger: Option<LedgerUpdate>,
}

impl From<CheckResult> for RunOutput {
    fn from(result: CheckResult) -> RunOutput {
        RunOutput {
            result,
            ledger: None,
        }
    }
}

/// A configured check, ready to run.
#[async_trait]
pub trait Check: Send + Sync {
    fn meta(&self) -> &CheckMeta;

    /// Runs once. Failures to reach a source come back as `Outcome::Error`
    /// results, not as Rust errors: every run ends in a result.
    async fn run(&self, input: RunInput) -> RunOutput;
}

/// Builds every configured check against the given sources.
pub fn build_all(config: &Config, sources: &Sources) -> Vec<Arc<dyn Check>> {
    let mut checks: Vec<Arc<dyn Check>> = Vec::new();
    let codes = Arc::new(ClinicCodes::new(&config.clinics));
    for rc in &config.reconcile {
        let meta = CheckMeta::reconcile(rc);
        let check: Arc<dyn Check> = match &rc.compare {
            Comparison::Counts { source, target } => Arc::new(reconcile::CountReconcile::new(
                meta,
                rc,
                source,
                target,
                sources,
                codes.clone(),
            )),
            Comparison::Keyed(keyed) => Arc::new(reconcile::KeyedReconcile::new(
                meta, rc, keyed, sources, &codes,
            )),
        };
        checks.push(check);
    }
    for ic in &config.integrity {
        let meta = CheckMeta::integrity(ic);
        checks.push(Arc::new(integrity::IntegrityCheck::new(
            meta,
            ic,
            sources,
            codes.clone(),
        )));
    }
    for wc in &config.workflows {
        let meta = CheckMeta::workflow(wc);
        checks.push(Arc::new(workflow::WorkflowCheck::new(meta, wc, sources)));
    }
    for dc in &config.documents {
        let meta = CheckMeta::documents(dc);
        checks.push(Arc::new(documents::DocumentsCheck::new(
            meta,
            dc,
            sources,
            codes.clone(),
        )));
    }
    for hc in &config.handoffs {
        let meta = CheckMeta::handoff(hc);
        let check = handoffs::HandoffCheck::new(meta, hc, sources, config);
        checks.push(Arc::new(check));
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

/// A finished run as `hypercare check` prints it (`--json` keeps this shape).
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub name: String,
    pub kind: CheckKind,
    pub status: Outcome,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub duration_ms: u64,
    pub summary: String,
    pub details: Details,
}

/// Runs checks once, concurrently, each within its timeout (for `hypercare check`).
pub async fn run_once(checks: &[Arc<dyn Check>]) -> Vec<RunReport> {
    let runs = checks.iter().map(|c| async move {
        let meta = c.meta();
        let started_at = chrono::Utc::now();
        let clock = std::time::Instant::now();
        let result = tokio::time::timeout(meta.timeout, c.run(RunInput::default()))
            .await
            .map(|out| out.result)
            .unwrap_or_else(|_| {
                CheckResult::error(
                    format!(
                        "timed out after {}",
                        humantime::format_duration(meta.timeout)
                    ),
                    Details::None {},
                )
            });
        RunReport {
            name: meta.name.to_string(),
            kind: meta.kind,
            status: result.outcome,
            started_at,
            duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            summary: result.summary,
            details: result.details,
        }
    });
    futures_util::future::join_all(runs).await
}
