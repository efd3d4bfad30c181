//! Staff feedback: what physicians, nurses, front-desk and billing staff
//! report during hypercare, guarded against patient data, stored durably,
//! triaged new → acknowledged → resolved, and counted.
//!
//! The web form and the API hand a [`Draft`] here; [`Feedback`] validates it
//! against the config, redacts likely identifiers (`phi`), stores it and
//! counts it. The raw text never leaves memory: only the redacted text
//! reaches the store, and nothing here logs text.

mod contact;
pub use contact::CONTACT_PATTERN;
pub mod item;
pub mod known;
mod metrics;
pub mod model;
pub mod phi;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

pub use item::{Event, Item};
pub use metrics::{FeedbackMetrics, Rejection};
pub use model::{Draft, Field, FieldError, Report, Severity, Status};
pub use phi::{Finding, Kind, PhiGuard, Redacted, describe_all};

use crate::config::{Clinic, Config, FeedbackConfig};
use crate::store::{FeedbackFilter, Inserted, NewFeedbackRow, StatusChange, Store, StoreError};

/// Where a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Form,
    Api,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Api => "api",
        }
    }
}

/// A report that reached the store.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    /// False when the same submission was stored before (a repeated POST).
    pub new: bool,
    pub redacted: Redacted,
}

/// Why a status change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("no report with that id")]
    NotFound,
    #[error("a report that is {from} cannot move to {to}")]
    NotAllowed { from: String, to: &'static str },
    #[error("resolving a report needs a note saying what was done")]
    NoteRequired,
    #[error("the note is longer than {} characters", model::MAX_NOTE_CHARS)]
    NoteTooLong,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The feedback room: config, guard, store and metrics together.
pub struct Feedback {
    store: Store,
    config: FeedbackConfig,
    clinics: Vec<Clinic>,
    guard: PhiGuard,
    metrics: Option<FeedbackMetrics>,
    known: known::KnownIssues,
}

impl Feedback {
    pub fn new(store: Store, config: &Config, registry: &prometheus::Registry) -> Feedback {
        let metrics = FeedbackMetrics::new(registry)
            .map_err(|e| tracing::error!(error = %e, "feedback metrics not registered"))
            .ok();
        if let Some(m) = &metrics {
            m.show_known(&config.feedback, &config.clinics);
        }
        let guard = PhiGuard::new(config.feedback.mrn_pattern.as_ref());
        Feedback {
            known: known::KnownIssues::new(store.clone(), config, guard.clone(), registry),
            store,
            guard,
            config: config.feedback.clone(),
            clinics: config.clinics.clone(),
            metrics,
        }
    }

    pub fn config(&self) -> &FeedbackConfig {
        &self.config
    }

    pub fn clinics(&self) -> &[Clinic] {
        &self.clinics
    }

    /// Known issues made from these reports.
    pub fn known(&self) -> &known::KnownIssues {
        &self.known
    }

    pub fn guard(&self) -> &PhiGuard {
        &self.guard
    }

    pub fn metrics(&self) -> Option<&FeedbackMetrics> {
        self.metrics.as_ref()
    }

    /// Checks a draft against the config, and its contact line against the
    /// PHI guard (`contact.rs`: contact details only, never patient data).
    pub fn validate(&self, draft: &Draft) -> Result<Report, Vec<FieldError>> {
        let report = model::validate(draft, &self.config, &self.clinics)?;
        match report
            .contact
            .as_deref()
            .and_then(|c| contact::contact_error(&self.guard, c))
        {
            Some(e) => Err(vec![e]),
            None => Ok(report),
        }
    }

    /// Redacts the text and stores the report with its audit event, once
    /// per `submission_id`. Counted only when new.
    pub async fn store(
        &self,
        report: &Report,
        submission_id: &str,
        source: Source,
        actor: &str,
    ) -> Result<Stored, StoreError> {
        let redacted = self.guard.redact(&report.text);
        let kinds: Vec<&str> = redacted.kinds.iter().map(|k| k.as_str()).collect();
        let kinds = kinds.join(",");
        let row = NewFeedbackRow {
            submission_id,
            created_ms: Utc::now().timestamp_millis(),
            clinic: report.clinic.as_ref().map(|c| c.as_str()),
            role: report.role.as_str(),
            category: report.category.as_str(),
            severity: report.severity.as_str(),
            workaround: report.workaround,
            text: &redacted.text,
            redactions: &kinds,
            contact: report.contact.as_deref(),
            source: source.as_str(),
            actor,
        };
        let inserted = self.store.insert_feedback(&row).await?;
        if let (Inserted::New(_), Some(m)) = (inserted, &self.metrics) {
            let clinic = report
                .clinic
                .as_ref()
                .map_or(model::NO_CLINIC, |c| c.as_str());
            m.count_submission(
                clinic,
                report.category.as_str(),
                report.severity,
                report.workaround,
            );
            redacted.kinds.iter().for_each(|k| m.count_redaction(*k));
        }
        Ok(Stored {
            id: inserted.id(),
            new: matches!(inserted, Inserted::New(_)),
            redacted,
        })
    }

    pub async fn list(&self, filter: &FeedbackFilter) -> Result<Vec<Item>, StoreError> {
        let rows = self.store.list_feedback(filter).await?;
        Ok(rows.into_iter().map(Item::from).collect())
    }

    /// A report and its audit trail.
    pub async fn get(&self, id: i64) -> Result<Option<(Item, Vec<Event>)>, StoreError> {
        let Some(row) = self.store.get_feedback(id).await? else {
            return Ok(None);
        };
        let events = self.store.feedback_events(id).await?;
        Ok(Some((
            Item::from(row),
            events.into_iter().map(Event::from).collect(),
        )))
    }

    /// Moves a report to `to`, recording `actor` and the note (redacted like
    /// report text). Resolving needs a note.
    pub async fn transition(
        &self,
        id: i64,
        to: Status,
        note: &str,
        actor: &str,
    ) -> Result<Item, TransitionError> {
        let note = model::clean_text(note);
        if note.chars().count() > model::MAX_NOTE_CHARS {
            return Err(TransitionError::NoteTooLong);
        }
        if to == Status::Resolved && note.is_empty() {
            return Err(TransitionError::NoteRequired);
        }
        let current = self
            .store
            .get_feedback(id)
            .await?
            .ok_or(TransitionError::NotFound)?;
        let from = Status::parse(&current.status).filter(|f| f.can_move_to(to));
        let Some(from) = from else {
            return Err(TransitionError::NotAllowed {
                from: current.status,
                to: to.as_str(),
            });
        };
        let note = self.guard.redact(&note).text;
        let change = StatusChange {
            id,
            from: from.as_str(),
            to: to.as_str(),
            at_ms: Utc::now().timestamp_millis(),
            actor,
            note: &note,
        };
        if !self.store.change_feedback_status(&change).await? {
            // Someone else moved it in between: report what it is now.
            let now = self
                .store
                .get_feedback(id)
                .await?
                .ok_or(TransitionError::NotFound)?;
            return Err(TransitionError::NotAllowed {
                from: now.status,
                to: to.as_str(),
            });
        }
        if let Some(m) = &self.metrics {
            m.count_transition(to.as_str());
        }
        self.refresh_open().await;
        let row = self
            .store
            .get_feedback(id)
            .await?
            .ok_or(TransitionError::NotFound)?;
        Ok(Item::from(row))
    }

    /// Reports not yet resolved, per severity (as stored).
    pub async fn open_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.store.open_feedback_by_severity().await
    }

    /// Reads open reports per severity from the store into the gauge.
    pub async fn refresh_open(&self) {
        let Some(m) = &self.metrics else { return };
        match tokio::time::timeout(
            Duration::from_secs(5),
            self.store.open_feedback_by_severity(),
        )
        .await
        {
            Ok(Ok(counts)) => m.show_open(&counts),
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot read open feedback counts"),
            Err(_) => tracing::warn!("open feedback counts: the store did not answer within 5s"),
        }
    }

    /// Deletes reports resolved longer ago than the retention.
    pub async fn purge(&self) {
        let cutoff = Utc::now().timestamp_millis()
            - i64::try_from(self.config.retention.as_millis()).unwrap_or(i64::MAX);
        match self.store.purge_resolved_feedback(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reports = n, "purged resolved feedback past its retention"),
            Err(e) => tracing::warn!(error = %e, "cannot purge old feedback"),
        }
    }

    /// Keeps the open gauge in step with the store (other replicas change
    /// it too) and purges old reports hourly, until cancelled.
    pub async fn run_background(self: Arc<Self>, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            self.refresh_open().await;
            self.known.refresh().await;
            if ticks.is_multiple_of(240) {
                self.purge().await;
            }
            ticks += 1;
        }
    }
}
