//! Known issues: what triage made of staff reports, told back to staff.
//!
//! Triage creates one from one or several reports (merged: each report
//! stays, with its own trail, and counts as a reporter), with a title, the
//! clinics and roles it affects, a workaround and a status. Title and
//! workaround go through the PHI guard like report text. Staff see the
//! issues of their clinic and role on the form and on `/known`, and tap
//! "this affects me too" instead of reporting again. Reporters who left an
//! e-mail address are told once when a workaround exists and once when it
//! is fixed: the notices are outbox rows written with the decision.

mod metrics;
pub mod model;
pub mod notice;
mod read;

use chrono::Utc;

pub use metrics::KnownMetrics;
pub use model::{KnownIssue, KnownStatus, NewKnown, Notice};

use super::{Event, PhiGuard};
use crate::config::{Clinic, Config, FeedbackConfig};
pub use crate::store::Tapped;
use crate::store::{ContactRow, NewKnownRow, Store, StoreError};

/// Why a known-issue change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum KnownError {
    #[error("{0}")]
    Invalid(String),
    #[error("no known issue with that id")]
    NotFound,
    #[error("there is no report #{0}")]
    NoReport(i64),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A known issue with the reports merged into it and its trail.
pub struct KnownDetail {
    pub issue: KnownIssue,
    pub reports: Vec<i64>,
    pub events: Vec<Event>,
    /// Per clinic: taps, and merged reports flagged as a manual workaround.
    pub by_clinic: Vec<(String, i64, i64)>,
}

pub struct KnownIssues {
    store: Store,
    guard: PhiGuard,
    config: FeedbackConfig,
    clinics: Vec<Clinic>,
    /// The public URL the notices link to ("" without one).
    base: String,
    metrics: Option<KnownMetrics>,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl KnownIssues {
    pub fn new(
        store: Store,
        config: &Config,
        guard: PhiGuard,
        registry: &prometheus::Registry,
    ) -> KnownIssues {
        let clinics: Vec<String> = config.clinics.iter().map(|c| c.id.to_string()).collect();
        let roles: Vec<String> = config
            .feedback
            .roles
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        let metrics = KnownMetrics::new(registry, &clinics, &roles)
            .map_err(|e| tracing::error!(error = %e, "known-issue metrics not registered"))
            .ok();
        KnownIssues {
            store,
            guard,
            config: config.feedback.clone(),
            clinics: config.clinics.clone(),
            base: config
                .server
                .public_url
                .as_ref()
                .map_or(String::new(), |u| u.to_string()),
            metrics,
        }
    }

    fn grace_ms(&self) -> i64 {
        i64::try_from(self.config.known_fixed_grace.as_millis()).unwrap_or(i64::MAX)
    }

    fn view(&self, row: crate::store::KnownRow) -> KnownIssue {
        KnownIssue::from_row(row, self.grace_ms())
    }

    /// The notice an issue in `status` sends each reporter, as outbox rows.
    fn notices(
        &self,
        issue: &KnownIssue,
        status: KnownStatus,
    ) -> impl Fn(&ContactRow) -> Option<(String, String, String)> + Sync {
        let (issue, base) = (issue.clone(), self.base.clone());
        move |to: &ContactRow| notice::row(&issue, status.notice()?, to, &base)
    }

    /// Every report number exists and is in no issue yet.
    async fn check_reports(&self, reports: &[i64]) -> Result<(), KnownError> {
        for r in reports {
            if self.store.get_feedback(*r).await?.is_none() {
                return Err(KnownError::NoReport(*r));
            }
        }
        if let Some((r, k)) = self.store.known_of_reports(reports).await?.first() {
            return Err(KnownError::Conflict(format!(
                "report #{r} is already in known issue #{k}"
            )));
        }
        Ok(())
    }

    /// Creates a known issue from reports (possibly none).
    pub async fn create(&self, n: &NewKnown, actor: &str) -> Result<KnownIssue, KnownError> {
        let v = model::validate(n, &self.config, &self.clinics).map_err(KnownError::Invalid)?;
        self.check_reports(&v.reports).await?;
        let title = self.guard.redact(&v.title);
        let workaround = self.guard.redact(&v.workaround);
        let kinds: std::collections::BTreeSet<&str> = title
            .kinds
            .iter()
            .chain(&workaround.kinds)
            .map(|k| k.as_str())
            .collect();
        let redactions = kinds.into_iter().collect::<Vec<_>>().join(",");
        let (clinics, roles) = (model::wrap(&v.clinics), model::wrap(&v.roles));
        let row = NewKnownRow {
            title: &title.text,
            workaround: &workaround.text,
            clinics: &clinics,
            roles: &roles,
            training: v.training,
            redactions: &redactions,
            status: v.status.as_str(),
            at_ms: now_ms(),
            actor,
        };
        // The view the notices quote; its number is known inside the transaction.
        let draft = KnownIssue {
            title: title.text.clone(),
            workaround: workaround.text.clone(),
            ..self.placeholder(v.status)
        };
        let notices = |to: &ContactRow| {
            let issue = KnownIssue {
                id: to.issue_id,
                ..draft.clone()
            };
            notice::row(&issue, v.status.notice()?, to, &self.base)
        };
        let (id, _) = self.store.insert_known(&row, &v.reports, &notices).await?;
        self.refresh().await;
        self.get(id)
            .await?
            .map(|d| d.issue)
            .ok_or(KnownError::NotFound)
    }

    fn placeholder(&self, status: KnownStatus) -> KnownIssue {
        KnownIssue {
            id: 0,
            title: String::new(),
            workaround: String::new(),
            clinics: Vec::new(),
            roles: Vec::new(),
            training: false,
            status: status.as_str().to_string(),
            redacted: Vec::new(),
            created_at: String::new(),
            status_changed_at: String::new(),
            reporters: 0,
            taps: 0,
            still_worked_around: false,
        }
    }

    /// Merges more reports into an issue; their reporters are told at once
    /// if it already has a workaround or a fix.
    pub async fn merge(
        &self,
        id: i64,
        reports: &[i64],
        actor: &str,
    ) -> Result<KnownIssue, KnownError> {
        if reports.is_empty()
            || reports.len() > model::MAX_REPORTS
            || reports.iter().any(|r| *r < 1)
        {
            return Err(KnownError::Invalid(format!(
                "give 1 to {} report numbers",
                model::MAX_REPORTS
            )));
        }
        let issue = self.get(id).await?.ok_or(KnownError::NotFound)?.issue;
        self.check_reports(reports).await?;
        let status = issue.status().unwrap_or(KnownStatus::Investigating);
        let notices = self.notices(&issue, status);
        self.store
            .link_known(id, reports, now_ms(), actor, &notices)
            .await?;
        self.get(id)
            .await?
            .map(|d| d.issue)
            .ok_or(KnownError::NotFound)
    }

    /// Moves an issue to `to`, with a note for its trail; reaching
    /// "workaround available" or "fixed" tells its reporters (once each).
    pub async fn set_status(
        &self,
        id: i64,
        to: &str,
        note: &str,
        actor: &str,
    ) -> Result<KnownIssue, KnownError> {
        let to = KnownStatus::parse(to)
            .ok_or_else(|| KnownError::Invalid(format!("`{to}` is not a status")))?;
        // Measured as sent: what cleaning drops does not make a long note fit.
        if note.chars().count() > super::model::MAX_NOTE_CHARS {
            return Err(KnownError::Invalid(format!(
                "the note is longer than {} characters",
                super::model::MAX_NOTE_CHARS
            )));
        }
        let note = super::model::clean_text(note);
        let issue = self.get(id).await?.ok_or(KnownError::NotFound)?.issue;
        if issue.status == to.as_str() {
            return Err(KnownError::Conflict(format!(
                "the issue is already {}",
                to.as_str()
            )));
        }
        if to == KnownStatus::WorkaroundAvailable && issue.workaround.is_empty() {
            // The issue's state, not the request, is what is missing.
            return Err(KnownError::Conflict(
                "the issue has no workaround text to tell staff".into(),
            ));
        }
        let note = self.guard.redact(&note).text;
        let notices = self.notices(&issue, to);
        let moved = self
            .store
            .change_known_status(
                id,
                &issue.status,
                to.as_str(),
                (now_ms(), actor, &note),
                &notices,
            )
            .await?;
        if !moved {
            return Err(KnownError::Conflict(
                "someone else changed the issue meanwhile; look again".into(),
            ));
        }
        self.refresh().await;
        self.get(id)
            .await?
            .map(|d| d.issue)
            .ok_or(KnownError::NotFound)
    }

    pub fn clinics(&self) -> &[Clinic] {
        &self.clinics
    }

    pub fn config(&self) -> &FeedbackConfig {
        &self.config
    }
}
