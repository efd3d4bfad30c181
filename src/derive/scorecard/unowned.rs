//! Findings no clinic owns: the `_unassigned` slices of the latest run of
//! every check attributed to clinics (a value matching no clinic's codes,
//! or none). They belong to no clinic's card, so they are gathered once,
//! for "all clinics", and shown once on the status page and in a digest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::facts::Facts;
use crate::config::checks::CheckKind;
use crate::results::{RunStatus, UNASSIGNED};
use crate::store::StoredRun;

/// The latest unassigned figures of the sliced checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unowned {
    /// Records differing (keyed and count reconciliations).
    pub discrepancies: u64,
    /// Integrity problems (rules with `clinic`).
    pub problems: u64,
    pub documents_checked: u64,
    pub documents_failed: u64,
    /// The checks with any unassigned finding, by name.
    pub checks: Vec<String>,
}

impl Unowned {
    /// One line of counts and check names.
    pub fn words(&self) -> String {
        let mut parts = Vec::new();
        if self.discrepancies > 0 {
            parts.push(format!("{} records differ", self.discrepancies));
        }
        if self.problems > 0 {
            parts.push(format!("{} integrity problems", self.problems));
        }
        if self.documents_failed > 0 {
            parts.push(format!(
                "{} of {} documents failed",
                self.documents_failed, self.documents_checked
            ));
        }
        format!("{} ({})", parts.join(", "), self.checks.join(", "))
    }
}

/// The unassigned findings of the newest run of each sliced check; `None`
/// when there are none.
pub(super) fn unowned(facts: &Facts) -> Option<Unowned> {
    let mut latest: BTreeMap<&str, &StoredRun> = BTreeMap::new();
    for r in facts.runs.iter().filter(|r| r.status != RunStatus::Error) {
        latest.insert(&r.check_name, r);
    }
    let mut out = Unowned::default();
    for r in latest.values().filter(|r| r.details.sliced()) {
        let mine = r.details.for_clinic(UNASSIGNED);
        let found = match r.kind {
            CheckKind::Reconcile => {
                let n = mine.discrepancies().unwrap_or(0);
                out.discrepancies = out.discrepancies.saturating_add(n);
                n
            }
            CheckKind::Integrity => {
                let n = mine.discrepancies().unwrap_or(0);
                out.problems = out.problems.saturating_add(n);
                n
            }
            CheckKind::Documents => {
                let d = mine.documents().map_or((0, 0), |d| (d.checked, d.failed));
                out.documents_checked = out.documents_checked.saturating_add(d.0);
                out.documents_failed = out.documents_failed.saturating_add(d.1);
                d.1
            }
            _ => 0,
        };
        if found > 0 {
            out.checks.push(r.check_name.clone());
        }
    }
    (!out.checks.is_empty()).then_some(out)
}
