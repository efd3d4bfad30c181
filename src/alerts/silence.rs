//! Silences and maintenance windows: alerts whose name and labels match
//! send nothing while one holds. They still fire and show, marked silenced.
//!
//! One-off silences hold between two instants; recurring ones (maintenance
//! windows) hold for a duration from each time of a cron schedule. They come
//! from config or from the admin API (stored, so every replica sees them).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::CronSchedule;
use crate::config::alerts::{SilenceConfig, SilenceWhen};
use crate::store::SilenceRow;

/// A silence, whatever its origin.
#[derive(Debug, Clone)]
pub struct Silence {
    /// `config-N` for config silences; a random id for API ones.
    pub id: String,
    pub alertname: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub when: SilenceWhen,
    pub comment: String,
    /// `config`, or who made it through the API.
    pub created_by: String,
    /// Ended early through the API.
    pub expired: bool,
}

/// How the API shows a silence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Silence)]
pub struct SilenceView {
    pub id: String,
    pub alertname: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub cron: Option<String>,
    pub duration_seconds: Option<u64>,
    pub comment: String,
    pub created_by: String,
    /// `config` (change it in the file) or `api`.
    #[schema(value_type = String)]
    pub source: &'static str,
    pub active: bool,
    pub expired: bool,
}

impl Silence {
    pub fn from_config(i: usize, s: &SilenceConfig) -> Silence {
        Silence {
            id: format!("config-{}", i + 1),
            alertname: s.alertname.clone(),
            labels: s.labels.clone(),
            when: s.when.clone(),
            comment: s.comment.clone(),
            created_by: "config".into(),
            expired: false,
        }
    }

    /// A stored silence; `None` when the row is malformed.
    pub fn from_row(r: &SilenceRow) -> Option<Silence> {
        let labels: BTreeMap<String, String> = serde_json::from_str(&r.matchers).ok()?;
        let when = match (&r.cron, r.duration_ms, r.starts_ms, r.ends_ms) {
            (Some(c), Some(d), _, _) => SilenceWhen::Recurring {
                cron: Box::new(c.parse::<CronSchedule>().ok()?),
                duration: Duration::from_millis(u64::try_from(d).ok()?),
            },
            (None, _, Some(s), Some(e)) => SilenceWhen::Once {
                starts: DateTime::from_timestamp_millis(s)?,
                ends: DateTime::from_timestamp_millis(e)?,
            },
            _ => return None,
        };
        Some(Silence {
            id: r.id.clone(),
            alertname: r.alertname.clone(),
            labels,
            when,
            comment: r.comment.clone(),
            created_by: r.created_by.clone(),
            expired: r.expired_ms.is_some(),
        })
    }

    /// Whether it holds at `now`.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        if self.expired {
            return false;
        }
        match &self.when {
            SilenceWhen::Once { starts, ends } => *starts <= now && now < *ends,
            SilenceWhen::Recurring { cron, duration } => {
                let Ok(d) = chrono::Duration::from_std(*duration) else {
                    return false;
                };
                // A window [start, start + duration) holds now when a start lies in (now - duration, now].
                cron.schedule
                    .after(&(now - d))
                    .next()
                    .is_some_and(|start| start <= now)
            }
        }
    }

    /// Whether an alert with these labels is covered (time aside).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let name_ok = self
            .alertname
            .as_ref()
            .is_none_or(|n| labels.get("alertname") == Some(n));
        name_ok && self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
    }

    /// Whether it has ended for good (one-off past its end, or expired).
    pub fn over(&self, now: DateTime<Utc>) -> bool {
        self.expired || matches!(&self.when, SilenceWhen::Once { ends, .. } if *ends <= now)
    }

    pub fn view(&self, now: DateTime<Utc>) -> SilenceView {
        let (starts_at, ends_at, cron, duration_seconds) = match &self.when {
            SilenceWhen::Once { starts, ends } => (Some(*starts), Some(*ends), None, None),
            SilenceWhen::Recurring { cron, duration } => (
                None,
                None,
                Some(cron.text.clone()),
                Some(duration.as_secs()),
            ),
        };
        SilenceView {
            id: self.id.clone(),
            alertname: self.alertname.clone(),
            labels: self.labels.clone(),
            starts_at,
            ends_at,
            cron,
            duration_seconds,
            comment: self.comment.clone(),
            created_by: self.created_by.clone(),
            source: if self.created_by == "config" && self.id.starts_with("config-") {
                "config"
            } else {
                "api"
            },
            active: self.active(now),
            expired: self.expired,
        }
    }
}

/// The ids of the silences that cover an alert now.
pub fn covering<'a>(
    silences: &'a [Silence],
    labels: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Vec<&'a str> {
    silences
        .iter()
        .filter(|s| s.matches(labels) && s.active(now))
        .map(|s| s.id.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_recurring_window_holds_from_each_cron_time_for_its_duration() {
        let s = Silence {
            id: "w".into(),
            alertname: Some("check_failing".into()),
            labels: labels(&[("check", "billing")]),
            when: SilenceWhen::Recurring {
                // Sundays at 02:00.
                cron: Box::new("0 0 2 * * Sun".parse().unwrap()),
                duration: Duration::from_secs(7200),
            },
            comment: String::new(),
            created_by: "config".into(),
            expired: false,
        };
        assert!(s.active(at("2026-11-29T02:00:00Z")));
        assert!(s.active(at("2026-11-29T03:59:59Z")));
        assert!(!s.active(at("2026-11-29T04:00:00Z")));
        assert!(!s.active(at("2026-11-28T02:30:00Z")));
        let firing = labels(&[
            ("alertname", "check_failing"),
            ("check", "billing"),
            ("kind", "reconcile"),
        ]);
        assert!(s.matches(&firing));
        assert!(!s.matches(&labels(&[
            ("alertname", "check_failing"),
            ("check", "other")
        ])));
        assert!(!s.matches(&labels(&[
            ("alertname", "check_stale"),
            ("check", "billing")
        ])));
    }

    #[test]
    fn a_one_off_silence_holds_between_its_instants_until_expired() {
        let mut s = Silence {
            id: "x".into(),
            alertname: None,
            labels: labels(&[("kind", "workflow")]),
            when: SilenceWhen::Once {
                starts: at("2026-11-26T00:00:00Z"),
                ends: at("2026-11-26T06:00:00Z"),
            },
            comment: String::new(),
            created_by: "ops".into(),
            expired: false,
        };
        assert!(s.active(at("2026-11-26T01:00:00Z")));
        assert!(!s.active(at("2026-11-26T06:00:00Z")));
        s.expired = true;
        assert!(!s.active(at("2026-11-26T01:00:00Z")));
    }
}
