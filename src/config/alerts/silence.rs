//! Reading a `[[silences]]` entry: one-off (`starts_at`/`ends_at`) or
//! recurring (`cron` + `duration`), matching something.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::{SilenceConfig, SilenceWhen};
use crate::config::CronSchedule;
use crate::config::de::recover;
use crate::config::values;

/// A silence as written; its keys are checked together once read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SilenceText {
    alertname: Option<Spanned<String>>,
    labels: Option<Spanned<BTreeMap<String, String>>>,
    starts_at: Option<Spanned<Time>>,
    ends_at: Option<Spanned<Time>>,
    cron: Option<Spanned<CronSchedule>>,
    duration: Option<Window>,
    #[serde(default)]
    comment: String,
}

/// An RFC 3339 instant.
struct Time(DateTime<Utc>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        match DateTime::parse_from_rfc3339(v.get_ref()) {
            Ok(t) => Ok(Time(t.with_timezone(&Utc))),
            Err(_) => {
                let message = format!("`{}` is not a time", v.get_ref());
                let hint = Some("RFC 3339, such as 2026-12-01T22:00:00Z");
                recover(v.span(), message, hint, Time(DateTime::<Utc>::MIN_UTC))
            }
        }
    }
}

/// How long a recurring silence holds: at least 1s.
struct Window(Duration);

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let message = "a window must be at least 1s";
        values::duration_at_least(d, Duration::from_secs(1), message, None).map(Window)
    }
}

impl<'de> Deserialize<'de> for SilenceConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Spanned::<SilenceText>::deserialize(d)?;
        let item = text.span();
        let t = text.into_inner();
        let labels = t
            .labels
            .as_ref()
            .map(|l| l.get_ref().clone())
            .unwrap_or_default();
        let anchor = (t.alertname.as_ref().map(Spanned::span))
            .or(t.starts_at.as_ref().map(Spanned::span))
            .or(t.cron.as_ref().map(Spanned::span))
            .or(t.labels.as_ref().map(Spanned::span))
            .unwrap_or(item);
        let placeholder = || SilenceConfig {
            alertname: None,
            labels: BTreeMap::new(),
            when: SilenceWhen::Once {
                starts: DateTime::<Utc>::MIN_UTC,
                ends: DateTime::<Utc>::MIN_UTC,
            },
            comment: String::new(),
        };
        if t.alertname.is_none() && labels.is_empty() {
            let hint = Some("a silence of everything would hide every alert");
            let message = "a silence needs `alertname` or `labels`";
            return recover(anchor, message, hint, placeholder());
        }
        let when = match (t.starts_at, t.ends_at, t.cron, t.duration) {
            (Some(s), Some(e), None, None) => {
                let (starts, ends) = (s.get_ref().0, e.get_ref().0);
                if ends <= starts {
                    let message = "ends_at must be after starts_at";
                    return recover(e.span(), message, None, placeholder());
                }
                SilenceWhen::Once { starts, ends }
            }
            (None, None, Some(cron), Some(Window(duration))) => SilenceWhen::Recurring {
                cron: Box::new(cron.into_inner()),
                duration,
            },
            _ => {
                let message = "a silence needs starts_at and ends_at (one-off) or cron and duration (recurring)";
                return recover(anchor, message, None, placeholder());
            }
        };
        Ok(SilenceConfig {
            alertname: t.alertname.map(Spanned::into_inner),
            labels,
            when,
            comment: t.comment,
        })
    }
}
