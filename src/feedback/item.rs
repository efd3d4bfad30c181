//! A stored report and its audit trail as the admin pages, the CSV export
//! and the API show them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::store::{FeedbackEventRow, FeedbackRow};

/// A stored report as the admin pages and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Item {
    pub id: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub clinic: Option<String>,
    pub role: String,
    pub category: String,
    pub severity: String,
    pub workaround: bool,
    /// Redacted text.
    pub text: String,
    /// Kinds of identifiers removed from the text.
    pub redacted: Vec<String>,
    pub contact: Option<String>,
    pub source: String,
    pub status: String,
    #[schema(format = DateTime)]
    pub status_changed_at: String,
}

impl From<FeedbackRow> for Item {
    fn from(r: FeedbackRow) -> Item {
        Item {
            id: r.id,
            created_at: timestamp(r.created_ms),
            clinic: r.clinic,
            role: r.role,
            category: r.category,
            severity: r.severity,
            workaround: r.workaround,
            text: r.text,
            redacted: r
                .redactions
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            contact: r.contact,
            source: r.source,
            status: r.status,
            status_changed_at: timestamp(r.status_changed_ms),
        }
    }
}

/// One step of a report's audit trail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Event {
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    pub from: Option<String>,
    pub to: String,
    pub note: String,
}

impl From<FeedbackEventRow> for Event {
    fn from(e: FeedbackEventRow) -> Event {
        Event {
            at: timestamp(e.at_ms),
            actor: e.actor,
            from: e.from_status,
            to: e.to_status,
            note: e.note,
        }
    }
}

/// RFC 3339 in UTC, to the second.
pub fn timestamp(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}
