//! What a check run produces, in types every later room shares.
//!
//! Checks build a [`CheckResult`]; the store persists it; metrics, alerts and
//! digests read it. Nothing here knows how a check works or where results go,
//! so the store never depends on a check's internals.

use serde::{Deserialize, Serialize};

mod clinics;
mod documents;
mod handoffs;
mod integrity;
mod reconcile;
mod workflow;

pub use clinics::{DocumentsSlice, KeyedSlice, ReconcileSlice, UNASSIGNED};
pub use documents::{
    DocumentFailure, DocumentsDetails, KindFigures, Ledger, LedgerEntry, LedgerUpdate, Reason,
};
pub use handoffs::{
    ClinicHandoffs, HandoffClass, HandoffDetails, LATENCY_BUCKETS, LatencyHistogram, latency_bucket,
};
pub use integrity::{
    Cluster, FieldCompleteness, FieldEvidence, IntegrityDetails, MigrationClasses, RuleKind,
    RuleResult, ScoredPair,
};
pub use reconcile::{
    ChangedKey, DiffMode, Drift, DuplicateKeys, GroupCount, KeyedDiff, ReconcileDetails, Side,
    SideCounts, Sweep,
};
pub use workflow::{BaselineRun, StepOutcome, StepResult, WorkflowDetails, millis};

/// How a run ended. `Pass`, `Fail` and `Error` come from the check itself;
/// `Cancelled` and `Skipped` from the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    /// The check ran and everything was within its limits.
    Pass,
    /// The check ran and found a problem (a discrepancy beyond tolerance).
    Fail,
    /// The check could not judge: a side unreachable, a query failed, a timeout.
    Error,
    /// The run was stopped before it finished (shutdown drain ran out).
    Cancelled,
    /// The slot was not run: the previous run still held it, or the scheduler was late.
    Skipped,
}

impl Outcome {
    pub const ALL: &[Outcome] = <Outcome as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Where a stored run stands: still running, or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum RunStatus {
    Running,
    Pass,
    Fail,
    Error,
    Cancelled,
    Skipped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How the run ended; `None` while it runs.
    pub fn outcome(self) -> Option<Outcome> {
        match self {
            RunStatus::Running => None,
            RunStatus::Pass => Some(Outcome::Pass),
            RunStatus::Fail => Some(Outcome::Fail),
            RunStatus::Error => Some(Outcome::Error),
            RunStatus::Cancelled => Some(Outcome::Cancelled),
            RunStatus::Skipped => Some(Outcome::Skipped),
        }
    }
}

/// One check's verdict, as returned by a check runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub outcome: Outcome,
    /// One line for people: counts and config names only, never record values.
    pub summary: String,
    /// Kind-specific figures; may hold record keys (store and CLI only).
    pub details: Details,
}

impl CheckResult {
    pub fn error(summary: impl Into<String>, details: Details) -> Self {
        CheckResult {
            outcome: Outcome::Error,
            summary: summary.into(),
            details,
        }
    }
}

/// Kind-specific details. Serialized without a tag: the run's `kind` says which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Details {
    Reconcile(ReconcileDetails),
    Integrity(IntegrityDetails),
    Workflow(WorkflowDetails),
    Documents(DocumentsDetails),
    Handoff(HandoffDetails),
    None {},
}

impl Details {
    pub fn reconcile(&self) -> Option<&ReconcileDetails> {
        match self {
            Details::Reconcile(d) => Some(d),
            _ => None,
        }
    }

    pub fn integrity(&self) -> Option<&IntegrityDetails> {
        match self {
            Details::Integrity(d) => Some(d),
            _ => None,
        }
    }

    pub fn workflow(&self) -> Option<&WorkflowDetails> {
        match self {
            Details::Workflow(d) => Some(d),
            _ => None,
        }
    }

    pub fn documents(&self) -> Option<&DocumentsDetails> {
        match self {
            Details::Documents(d) => Some(d),
            _ => None,
        }
    }

    pub fn handoff(&self) -> Option<&HandoffDetails> {
        match self {
            Details::Handoff(d) => Some(d),
            _ => None,
        }
    }

    /// Records the run found wrong: a keyed diff's missing + extra +
    /// changed; else a count reconciliation's |target − source| summed over
    /// its groups, or in total; an integrity check's problems over its
    /// rules; a handoff's stuck items. `None` for kinds without such a count, or without figures.
    pub fn discrepancies(&self) -> Option<u64> {
        match self {
            Details::Reconcile(r) => r.discrepancies(),
            Details::Handoff(h) if h.error.is_none() => Some(h.stuck),
            Details::Integrity(d) => Some(
                d.rules
                    .iter()
                    .filter_map(|r| r.problems)
                    .map(i64::unsigned_abs)
                    .fold(0, u64::saturating_add),
            ),
            _ => None,
        }
    }

    /// Whether a run with these details and this outcome is good for an
    /// error budget (SLO burn rates): it passed, and did not miss its
    /// latency objective. A passing run that carries no SLO verdict (a kind
    /// without a latency SLO, or a run from before the SLO was configured)
    /// is good: nothing it measured broke the objective. Failed, errored,
    /// cancelled and skipped runs are bad.
    pub fn good_for_slo(&self, outcome: Outcome) -> bool {
        let missed = self.workflow().and_then(|w| w.slo_good) == Some(false);
        outcome == Outcome::Pass && !missed
    }
}

#[cfg(test)]
mod tests;
