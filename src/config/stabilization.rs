//! The typed `[stabilization]` section (go-live waves, exit criteria,
//! rollback triggers, the contingency owner) and `[[digests]]`.

use std::time::Duration;

use chrono::NaiveDate;

use super::{CronSchedule, Name};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StabilizationConfig {
    pub waves: Vec<Wave>,
    pub criteria: Vec<Criterion>,
    pub rollback: Vec<RollbackTrigger>,
    /// Who decides on a rollback (shown on the status page and in the alert).
    pub contingency_owner: String,
    /// Who to call, in order.
    pub escalation: Vec<String>,
    /// How often each replica re-evaluates criteria and triggers.
    pub evaluation_interval: Duration,
}

impl StabilizationConfig {
    pub fn is_empty(&self) -> bool {
        self.waves.is_empty()
    }

    /// The wave a clinic goes live in.
    pub fn wave_of(&self, clinic: &str) -> Option<&Wave> {
        self.waves
            .iter()
            .find(|w| w.clinics.iter().any(|c| c.as_str() == clinic))
    }
}

/// A go-live wave: clinics that switched over on the same day.
#[derive(Debug, Clone, PartialEq)]
pub struct Wave {
    pub name: Name,
    pub go_live: NaiveDate,
    pub clinics: Vec<Name>,
    /// The checks that watch this wave's clinics; empty means every check.
    pub checks: Vec<Name>,
    /// Days before go-live whose workflow runs are the baseline when a
    /// workflow has no live baseline.
    pub baseline_days: u32,
}

impl Wave {
    pub fn watches(&self, check: &str) -> bool {
        self.checks.is_empty() || self.checks.iter().any(|c| c.as_str() == check)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CriterionKind {
    /// `days` consecutive days without new (unexplained) keyed-reconcile drift.
    NoDrift { days: u32 },
    /// `days` consecutive days in which no probable duplicate clusters were added.
    NoNewDuplicates { days: u32 },
    /// Documents accessible at or above this share (0–1).
    DocumentAccessibility { at_least: f64 },
    /// Each workflow's p95 within `max_ratio` × its baseline p95.
    WorkflowP95 { max_ratio: f64 },
    /// No open "blocks my work" feedback from the clinic.
    NoOpenBlockers,
    /// No firing critical (page-level) alert about the wave's checks.
    NoPageAlerts,
}

impl CriterionKind {
    pub const NAMES: &'static str = "no_drift, no_new_duplicates, document_accessibility, workflow_p95, no_open_blockers, no_page_alerts";
}

#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub name: Name,
    pub kind: CriterionKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TriggerKind {
    /// Share of source records missing in the target above this (0–1).
    MissingRecords { above: f64 },
    /// Document accessibility below this share (0–1).
    DocumentAccessibility { below: f64 },
    /// A workflow with no passing run for this long (and failing runs).
    WorkflowFailing { for_: Duration },
}

impl TriggerKind {
    pub const NAMES: &'static str = "missing_records, document_accessibility, workflow_failing";
}

#[derive(Debug, Clone, PartialEq)]
pub struct RollbackTrigger {
    pub name: Name,
    pub kind: TriggerKind,
    /// Only within this long after the clinic's go-live.
    pub within: Duration,
}

/// A `[[digests]]` e-mail.
#[derive(Debug, Clone)]
pub struct DigestConfig {
    pub name: Name,
    pub schedule: CronSchedule,
    pub recipients: Vec<String>,
    /// The clinics it covers; empty means every clinic of a wave.
    pub clinics: Vec<Name>,
    pub subject: String,
    /// A slot missed by more than this (daemon down) is not sent late.
    pub send_window: Duration,
}
