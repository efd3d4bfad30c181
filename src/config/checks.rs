//! Every configured check, whatever its section: its name, kind, schedule
//! and limits. The scheduler's runners, the alerts, the derive loop and the
//! web pages all learn what checks exist from here, so none of them needs
//! the others (or the check runners) to know it.
//!
//! The kind lives here because the config is where a check gets it: the
//! section (`[[reconcile]]`, `[[integrity]]`, `[[workflows]]`,
//! `[[documents]]`, `[[handoffs]]`) that declares it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::documents::DocumentsConfig;
use super::handoffs::HandoffConfig;
use super::{Config, CronSchedule, IntegrityConfig, Name, ReconcileConfig, WorkflowConfig};

/// The kind of a check, a closed set used as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum CheckKind {
    Reconcile,
    Integrity,
    Workflow,
    Documents,
    Handoff,
}

impl CheckKind {
    /// The name in the store and metric labels (serde's and strum's spelling).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What every room needs to know of a check, whatever its kind.
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
    /// The clinic a check stands for as a whole (a workflow's `clinic`).
    pub clinic: Option<Name>,
}

impl CheckMeta {
    /// The time between its next two slots after `now`, for staleness.
    pub fn interval_ms(&self, now: DateTime<Utc>) -> Option<i64> {
        let mut next = self.schedule.schedule.after(&now);
        match (next.next(), next.next()) {
            (Some(a), Some(b)) => Some((b - a).num_milliseconds()),
            _ => None,
        }
    }
}

impl CheckMeta {
    fn new(name: &Name, kind: CheckKind, schedule: &CronSchedule, timeout: Duration) -> Self {
        CheckMeta {
            name: name.clone(),
            kind,
            schedule: schedule.clone(),
            timeout,
            enabled: true,
            max_groups: 0,
            clinic: None,
        }
    }

    pub fn reconcile(c: &ReconcileConfig) -> CheckMeta {
        CheckMeta {
            enabled: c.enabled,
            max_groups: c.max_groups,
            ..Self::new(&c.name, CheckKind::Reconcile, &c.schedule, c.timeout)
        }
    }

    pub fn integrity(c: &IntegrityConfig) -> CheckMeta {
        CheckMeta {
            enabled: c.enabled,
            ..Self::new(&c.name, CheckKind::Integrity, &c.schedule, c.timeout)
        }
    }

    pub fn workflow(c: &WorkflowConfig) -> CheckMeta {
        CheckMeta {
            enabled: c.enabled,
            clinic: c.clinic.clone(),
            ..Self::new(&c.name, CheckKind::Workflow, &c.schedule, c.timeout)
        }
    }

    pub fn documents(c: &DocumentsConfig) -> CheckMeta {
        CheckMeta {
            enabled: c.enabled,
            ..Self::new(&c.name, CheckKind::Documents, &c.schedule, c.timeout())
        }
    }
}

impl CheckMeta {
    pub fn handoff(c: &HandoffConfig) -> CheckMeta {
        CheckMeta {
            enabled: c.enabled,
            ..Self::new(&c.name, CheckKind::Handoff, &c.schedule, c.timeout())
        }
    }
}

/// Every configured check, in config order: reconcile, integrity,
/// workflows, documents, handoffs.
pub fn checks(config: &Config) -> Vec<CheckMeta> {
    let reconcile = config.reconcile.iter().map(CheckMeta::reconcile);
    let integrity = config.integrity.iter().map(CheckMeta::integrity);
    let workflows = config.workflows.iter().map(CheckMeta::workflow);
    let documents = config.documents.iter().map(CheckMeta::documents);
    let handoffs = config.handoffs.iter().map(CheckMeta::handoff);
    reconcile
        .chain(integrity)
        .chain(workflows)
        .chain(documents)
        .chain(handoffs)
        .collect()
}
