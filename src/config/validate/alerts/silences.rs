//! Validating `[[silences]]`: one-off or recurring, matching something.

use std::collections::BTreeMap;

use toml::Spanned;

use super::super::super::alerts::{SilenceConfig, SilenceWhen};
use super::super::super::errors::Collector;
use super::super::super::raw::{RawSilence, S};
use super::super::cron;
use super::window;

fn instant(c: &mut Collector, v: &S<String>) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(v.get_ref())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            c.at(
                v.span(),
                format!("`{}` is not a time", v.get_ref()),
                Some("RFC 3339, such as 2026-12-01T22:00:00Z"),
            )
        })
        .ok()
}

pub(super) fn silence(c: &mut Collector, raw: RawSilence) -> Option<SilenceConfig> {
    let labels = match &raw.labels {
        Some(l) => l.get_ref().clone(),
        None => BTreeMap::new(),
    };
    let anchor = raw
        .alertname
        .as_ref()
        .or(raw.starts_at.as_ref())
        .or(raw.cron.as_ref())
        .map(|s| s.span())
        .or(raw.labels.as_ref().map(|l| l.span()))
        .unwrap_or_default();
    if raw.alertname.is_none() && labels.is_empty() {
        c.at(
            anchor.clone(),
            "a silence needs `alertname` or `labels`",
            Some("a silence of everything would hide every alert"),
        );
        return None;
    }
    let when = match (&raw.starts_at, &raw.ends_at, &raw.cron, &raw.duration) {
        (Some(s), Some(e), None, None) => {
            let (starts, ends) = (instant(c, s)?, instant(c, e)?);
            if ends <= starts {
                c.at(e.span(), "ends_at must be after starts_at", None);
                return None;
            }
            SilenceWhen::Once { starts, ends }
        }
        (None, None, Some(cr), Some(d)) => SilenceWhen::Recurring {
            cron: Box::new(cron(c, cr)?),
            duration: window(c, Some(d))?,
        },
        _ => {
            c.at(
                anchor,
                "a silence needs starts_at and ends_at (one-off) or cron and duration (recurring)",
                None,
            );
            return None;
        }
    };
    Some(SilenceConfig {
        alertname: raw.alertname.map(Spanned::into_inner),
        labels,
        when,
        comment: raw.comment.unwrap_or_default(),
    })
}
