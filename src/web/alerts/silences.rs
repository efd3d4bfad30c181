//! A silence as asked for (by the JSON API or the admin page's form), its
//! limits, and its check into the row the store keeps. One validation for
//! both ways in, so the page and the API refuse the same things.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::config::{CronSchedule, Name};
use crate::store::SilenceRow;
use crate::web::error::Error;

/// Longest silence, and the bounds of a label value and a comment.
pub const MAX_DURATION_SECONDS: u64 = 366 * 86_400;
pub const MIN_DURATION_SECONDS: u64 = 60;
pub const MAX_LABELS: usize = 20;
pub const MAX_LABEL_VALUE: usize = 200;
pub const MAX_COMMENT: usize = 500;
/// The cron schedules the JSON API takes: seconds, minutes, hours, any day,
/// any month, any or one weekday (`0 0 2 * * Sun`). The config file and the
/// admin page take any cron schedule.
pub const API_CRON_PATTERN: &str = r"^(0|[1-5][0-9]?) (0|[1-5][0-9]?) (\*|[0-9]|1[0-9]|2[0-3]) \* \* (\*|Mon|Tue|Wed|Thu|Fri|Sat|Sun)$";

pub(super) static API_CRON: std::sync::LazyLock<Option<regex::Regex>> =
    std::sync::LazyLock::new(|| regex::Regex::new(API_CRON_PATTERN).ok());

/// A silence to create: one-off from `starts_at` (default now), or
/// recurring from each `cron` time, for `duration_seconds` each time.
//
// The document adds what a derive cannot say (alertname or labels are
// required; how many labels and how long): see `openapi::document`. Its
// numbers are the constants above (a test holds them equal).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSilence {
    /// The alert's name; absent: any alert with the labels.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, pattern = "^[a-z][a-z0-9_-]{0,63}$")]
    pub alertname: Option<String>,
    /// Every label must match (check, kind, severity or a rule's own).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// One-off silences: when it starts (default now). Not used with cron.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Option<DateTime<Utc>>,
    /// Recurring (a maintenance window): a cron schedule with seconds, such as `0 0 2 * * Sun`.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, pattern = r"^(0|[1-5][0-9]?) (0|[1-5][0-9]?) (\*|[0-9]|1[0-9]|2[0-3]) \* \* (\*|Mon|Tue|Wed|Thu|Fri|Sat|Sun)$")]
    pub cron: Option<String>,
    #[serde(deserialize_with = "whole_number")]
    #[schema(minimum = 60, maximum = 31622400)]
    pub duration_seconds: u64,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub comment: String,
}

/// A count of seconds: JSON has one number type, so `3600.0` is 3600 too
/// (as the document's `integer` says); a fraction or a negative is refused.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    n.as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(f))
                .map(|f| f as u64)
        })
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number of seconds")))
}

/// An optional field that, when given, must not be `null` (absent means default).
fn not_null<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Checks a new silence and makes its row; the message says what is wrong.
pub fn silence_row(n: &NewSilence, actor: &str, now: DateTime<Utc>) -> Result<SilenceRow, Error> {
    let invalid = |why: String| Error::Invalid(why);
    if let Some(a) = &n.alertname {
        Name::parse(a).map_err(|e| invalid(format!("alertname: {e}")))?;
    }
    if n.alertname.is_none() && n.labels.is_empty() {
        return Err(invalid(
            "give an alertname or labels: a silence of everything is refused".into(),
        ));
    }
    if n.labels.len() > MAX_LABELS
        || n.labels
            .values()
            .any(|v| v.chars().count() > MAX_LABEL_VALUE)
    {
        return Err(invalid(format!(
            "at most {MAX_LABELS} labels of at most {MAX_LABEL_VALUE} characters each"
        )));
    }
    if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&n.duration_seconds) {
        return Err(invalid(format!(
            "duration_seconds must be from {MIN_DURATION_SECONDS} to {MAX_DURATION_SECONDS}"
        )));
    }
    if n.comment.chars().count() > MAX_COMMENT {
        return Err(invalid(format!(
            "comment: at most {MAX_COMMENT} characters"
        )));
    }
    let duration_ms = (n.duration_seconds * 1000) as i64;
    let (starts_ms, ends_ms, cron, dur) = match &n.cron {
        Some(c) => {
            c.parse::<CronSchedule>()
                .map_err(|e| invalid(format!("cron: {e}")))?;
            (None, None, Some(c.clone()), Some(duration_ms))
        }
        None => {
            let starts = n.starts_at.unwrap_or(now).timestamp_millis();
            (
                Some(starts),
                Some(starts.saturating_add(duration_ms)),
                None,
                None,
            )
        }
    };
    Ok(SilenceRow {
        id: crate::web::csrf::random_id(),
        alertname: n.alertname.clone(),
        // A map of strings always serializes.
        matchers: serde_json::to_string(&n.labels).unwrap_or_default(),
        starts_ms,
        ends_ms,
        cron,
        duration_ms: dur,
        comment: n.comment.clone(),
        created_by: actor.to_string(),
        created_ms: now.timestamp_millis(),
        expired_ms: None,
    })
}
