//! Figures per clinic: what a check found, attributed to the clinic whose
//! code the data carried (`_unassigned` when it carried none), and the one
//! way every later room reads a clinic's share of a run
//! ([`Details::for_clinic`](super::Details::for_clinic)).
//!
//! A check with `by_clinic` figures is *sliced*: a clinic is judged on its
//! own slice only. A check without them is *shared*: every clinic of the
//! wave watching it is judged on the whole run.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Details, DocumentsDetails, HandoffDetails, KeyedDiff, Reason, ReconcileDetails};

/// The clinic of findings whose value matches no clinic's codes.
pub const UNASSIGNED: &str = "_unassigned";

/// One clinic's share of a reconciliation: counts (`source`, `target`) for
/// a count check with groups; `missing`, `extra`, `changed`, `source_rows`,
/// `target_rows` for a keyed diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileSlice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<i64>,
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub keyed: Option<KeyedSlice>,
}

/// One clinic's share of a keyed diff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedSlice {
    pub missing: u64,
    pub extra: u64,
    pub changed: u64,
    pub source_rows: u64,
    pub target_rows: u64,
    /// Discrepancies not seen in the previous run (drift), when tracked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<u64>,
}

/// One clinic's share of a documents run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentsSlice {
    pub checked: u64,
    pub failed: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_reason: BTreeMap<Reason, u64>,
}

impl DocumentsSlice {
    /// Counts one checked document and its failure, if any.
    pub fn add(&mut self, failure: Option<Reason>) {
        self.checked = self.checked.saturating_add(1);
        if let Some(r) = failure {
            self.failed = self.failed.saturating_add(1);
            *self.by_reason.entry(r).or_default() += 1;
        }
    }
}

impl Details {
    /// Whether the run's figures are attributed to clinics.
    pub fn sliced(&self) -> bool {
        match self {
            Details::Reconcile(d) => !d.by_clinic.is_empty(),
            Details::Documents(d) => !d.by_clinic.is_empty(),
            Details::Integrity(d) => !d.by_clinic.is_empty(),
            Details::Handoff(d) => !d.by_clinic.is_empty(),
            _ => false,
        }
    }

    /// What a clinic is judged on: its own slice of a sliced run (zeros
    /// when the run found nothing of it), the whole run otherwise.
    pub fn for_clinic(&self, clinic: &str) -> Cow<'_, Details> {
        if !self.sliced() {
            return Cow::Borrowed(self);
        }
        Cow::Owned(match self {
            Details::Reconcile(d) => Details::Reconcile(reconcile_slice(d, clinic)),
            Details::Documents(d) => Details::Documents(documents_slice(d, clinic)),
            Details::Integrity(d) => {
                let mut d = d.clone();
                let mine = d.by_clinic.remove(clinic).unwrap_or_default();
                for rule in d.rules.iter_mut().filter(|r| r.problems.is_some()) {
                    rule.problems = Some(mine.get(&rule.name).copied().unwrap_or(0));
                }
                d.by_clinic.clear();
                Details::Integrity(d)
            }
            Details::Handoff(d) => Details::Handoff(handoff_slice(d, clinic)),
            other => other.clone(),
        })
    }
}

fn reconcile_slice(d: &ReconcileDetails, clinic: &str) -> ReconcileDetails {
    let s = d.by_clinic.get(clinic).cloned().unwrap_or_default();
    let keyed = d.keyed.as_ref().map(|_| {
        let k = s.keyed.unwrap_or_default();
        Box::new(KeyedDiff {
            missing: k.missing,
            extra: k.extra,
            changed: k.changed,
            source_rows: k.source_rows,
            target_rows: k.target_rows,
            drift: k.new.map(|new| super::Drift {
                new,
                ..Default::default()
            }),
            ..Default::default()
        })
    });
    ReconcileDetails {
        source_count: s.source.or(keyed.as_ref().map(|k| k.source_rows as i64)),
        target_count: s.target.or(keyed.as_ref().map(|k| k.target_rows as i64)),
        tolerance: d.tolerance.clone(),
        keyed,
        ..Default::default()
    }
}

fn documents_slice(d: &DocumentsDetails, clinic: &str) -> DocumentsDetails {
    let s = d.by_clinic.get(clinic).cloned().unwrap_or_default();
    DocumentsDetails {
        checked: s.checked,
        failed: s.failed,
        by_reason: s.by_reason,
        tolerance: d.tolerance.clone(),
        ..Default::default()
    }
}

/// A clinic's events by class; arrivals (unexpected, duplicated), keys and
/// latencies belong to no clinic, so the slice carries none of them.
fn handoff_slice(d: &HandoffDetails, clinic: &str) -> HandoffDetails {
    let s = d.by_clinic.get(clinic).cloned().unwrap_or_default();
    HandoffDetails {
        events: s.events,
        completed: s.completed,
        late: s.late,
        pending: s.pending,
        stuck: s.stuck,
        within_seconds: d.within_seconds,
        pushed_down: d.pushed_down,
        error: d.error.clone(),
        ..Default::default()
    }
}
