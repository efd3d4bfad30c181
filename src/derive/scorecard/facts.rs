//! What a scorecard is judged from, read out of the store once per round:
//! the typed runs of the look-back, the baseline runs before go-live, open
//! feedback and firing page-level alerts. Judging is pure over these, so
//! tests build them by hand and every replica reaches the same verdicts.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::Setup;
use crate::config::checks::CheckKind;
use crate::config::stabilization::{CriterionKind, TriggerKind, Wave};
use crate::derive::staff::StaffFacts;
use crate::results::RunStatus;
use crate::store::{AlertState, InvestigatingRow, OpenReport, Store, StoreError, StoredRun};

pub const DAY_MS: i64 = 86_400_000;

/// The built-in page-level alert raised by a breached rollback trigger.
pub const ROLLBACK_ALERT: &str = "rollback_decision_needed";

/// Everything a round reads.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub now_ms: i64,
    /// Finished runs of every check over the longest look-back, oldest first.
    pub runs: Vec<StoredRun>,
    /// Passing workflow runs in the baseline windows before go-live.
    pub baseline_runs: Vec<StoredRun>,
    /// Configured checks: (name, kind).
    pub checks: Vec<(String, CheckKind)>,
    /// Checks that stand for one clinic (workflows with `clinic`), by name.
    pub owners: BTreeMap<String, String>,
    /// Open feedback (redacted text).
    pub open: Vec<OpenReport>,
    /// Labels of firing critical (page-level) alerts.
    pub page_alerts: Vec<BTreeMap<String, String>>,
    /// Known issues still being looked into, oldest first.
    pub investigating: Vec<InvestigatingRow>,
    /// Training signals and fixed issues still worked around, every clinic's.
    pub staff: StaffFacts,
    /// Per handoff check: what its events and one arrival are called.
    pub handoff_words: BTreeMap<String, (String, String)>,
}

pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis())
}

pub fn today(now_ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .date_naive()
}

/// When a stored run finished (the facts hold finished runs only).
pub(super) fn finished(r: &StoredRun) -> i64 {
    r.finished_ms.unwrap_or(i64::MIN)
}

impl Facts {
    /// Reads what a round judges at `now_ms`.
    pub async fn load(store: &Store, setup: &Setup, now_ms: i64) -> Result<Facts, StoreError> {
        let since = day_start_ms(today(now_ms)) - look_back_ms(setup);
        let runs = store.runs_finished_since(since).await?;
        let waves = &setup.cfg.waves;
        let base_from = waves
            .iter()
            .map(|w| day_start_ms(w.go_live) - i64::from(w.baseline_days) * DAY_MS)
            .min();
        let base_to = waves.iter().map(|w| day_start_ms(w.go_live)).max();
        let baseline_runs = match (base_from, base_to) {
            (Some(f), Some(t)) => store.passing_runs(None, CheckKind::Workflow, f, t).await?,
            _ => Vec::new(),
        };
        let open = store.open_reports().await?;
        let page_alerts = store
            .alert_instances()
            .await?
            .into_iter()
            .filter(|a| a.state == AlertState::Firing)
            .filter_map(|a| serde_json::from_str::<BTreeMap<String, String>>(&a.labels).ok())
            .filter(|l| l.get("severity").map(String::as_str) == Some("critical"))
            // The rollback alert is a consequence, not a criterion of its own.
            .filter(|l| l.get("alertname").map(String::as_str) != Some(ROLLBACK_ALERT))
            .collect();
        Ok(Facts {
            now_ms,
            runs,
            baseline_runs,
            checks: setup
                .checks
                .iter()
                .map(|c| (c.name.to_string(), c.kind))
                .collect(),
            owners: setup
                .checks
                .iter()
                .filter_map(|c| Some((c.name.to_string(), c.clinic.as_ref()?.to_string())))
                .collect(),
            open,
            page_alerts,
            investigating: store.known_investigating().await?,
            staff: StaffFacts::load(store, now_ms, setup.grace_ms()).await?,
            handoff_words: setup.handoff_words.clone(),
        })
    }

    /// The configured checks of a kind that watch a wave.
    pub(super) fn checks_of<'w>(
        &'w self,
        wave: &'w Wave,
        kind: CheckKind,
    ) -> impl Iterator<Item = &'w str> + 'w {
        self.checks
            .iter()
            .filter(move |(n, k)| *k == kind && wave.watches(n))
            .map(|(n, _)| n.as_str())
    }

    /// Runs of a kind, of checks watching a wave, finished in `[from, to)`.
    pub(super) fn runs_in<'s>(
        &'s self,
        wave: &'s Wave,
        kind: CheckKind,
        from_ms: i64,
        to_ms: i64,
    ) -> impl Iterator<Item = &'s StoredRun> + 's {
        self.runs.iter().filter(move |r| {
            r.kind == kind
                && wave.watches(&r.check_name)
                && finished(r) >= from_ms
                && finished(r) < to_ms
        })
    }

    /// The newest run of each watched check of a kind (not errored).
    pub(super) fn latest<'s>(&'s self, wave: &'s Wave, kind: CheckKind) -> Vec<&'s StoredRun> {
        let mut by: BTreeMap<&'s str, &'s StoredRun> = BTreeMap::new();
        for r in self.runs_in(wave, kind, i64::MIN, i64::MAX) {
            if r.status != RunStatus::Error {
                by.insert(&r.check_name, r);
            }
        }
        by.into_values().collect()
    }

    /// Words saying a figure is the whole wave's, not the clinic's own: when
    /// the latest run of some watched check of this kind is not attributed
    /// to clinics and the wave has more than one clinic ("" otherwise).
    pub(super) fn shared_note(&self, wave: &Wave, kind: CheckKind) -> String {
        let shared = self.latest(wave, kind).iter().any(|r| !r.details.sliced());
        if shared && wave.clinics.len() > 1 {
            format!(" (shared by all clinics of {})", wave.name)
        } else {
            String::new()
        }
    }

    /// Whether a check is the clinic's: one standing for no clinic is
    /// every clinic's of the waves watching it.
    pub(super) fn serves(&self, check: &str, clinic: &str) -> bool {
        self.owners.get(check).is_none_or(|c| c == clinic)
    }

    /// Open reports of work blocked at a clinic.
    pub(super) fn blockers<'f>(&'f self, clinic: &'f str) -> impl Iterator<Item = &'f OpenReport> {
        self.open
            .iter()
            .filter(move |r| r.severity == "blocks_work" && r.clinic.as_deref() == Some(clinic))
    }

    /// Known issues in `investigating` affecting a clinic (an issue stored
    /// with no clinic affects every clinic).
    pub(super) fn investigating<'f>(
        &'f self,
        clinic: &'f str,
    ) -> impl Iterator<Item = &'f InvestigatingRow> {
        self.investigating
            .iter()
            .filter(move |k| k.clinics == "," || k.clinics.split(',').any(|c| c == clinic))
    }

    /// Firing page-level alerts about this clinic or its wave's checks (or
    /// about no check at all).
    pub(super) fn page_alerts(&self, wave: &Wave, clinic: &str) -> usize {
        self.page_alerts
            .iter()
            .filter(|l| match (l.get("clinic"), l.get("check")) {
                (Some(c), _) => c == clinic,
                (None, Some(check)) => wave.watches(check),
                (None, None) => true,
            })
            .count()
    }
}

/// How far back a round reads runs: the longest drift window in days, or
/// twice the longest workflow-failing trigger.
fn look_back_ms(setup: &Setup) -> i64 {
    let days = setup
        .cfg
        .criteria
        .iter()
        .map(|c| match c.kind {
            CriterionKind::NoDrift { days } => i64::from(days),
            // One more day: the clusters before the first day judged.
            CriterionKind::NoNewDuplicates { days } => i64::from(days) + 1,
            CriterionKind::Handoffs { days, .. } => i64::from(days),
            _ => 1,
        })
        .max()
        .unwrap_or(1);
    let failing = setup
        .cfg
        .rollback
        .iter()
        .map(|t| match t.kind {
            TriggerKind::WorkflowFailing { for_ } => {
                2 * i64::try_from(for_.as_millis()).unwrap_or(DAY_MS)
            }
            _ => DAY_MS,
        })
        .max()
        .unwrap_or(DAY_MS);
    ((days + 1) * DAY_MS).max(failing)
}
