//! The rules of single values for the sections still read through `raw.rs`
//! (the serde-read sections use `values.rs`): each records its mistake at
//! the value's span.

use std::time::Duration;

use toml::Spanned;

use super::super::errors::Collector;
use super::super::raw::{RawTolerance, S};
use super::super::{CronSchedule, Name, Tolerance};

pub(in crate::config) fn name_at(
    c: &mut Collector,
    raw: &Spanned<String>,
    what: &str,
) -> Option<Name> {
    Name::parse(raw.get_ref())
        .map_err(|e| {
            c.at(
                raw.span(),
                format!("{what} name {e}"),
                Some("names become metric labels and URL parts"),
            )
        })
        .ok()
}

pub(in crate::config) fn cron(c: &mut Collector, raw: &S<String>) -> Option<CronSchedule> {
    raw.get_ref()
        .parse()
        .map_err(|e| {
            c.at(
                raw.span(),
                format!("`{}` is not a cron schedule: {e}", raw.get_ref()),
                Some("six fields, seconds first: \"0 */5 * * * *\" runs every five minutes"),
            )
        })
        .ok()
}

pub(in crate::config) fn duration(
    c: &mut Collector,
    raw: &Option<S<String>>,
    default: Duration,
) -> Option<Duration> {
    let Some(raw) = raw else { return Some(default) };
    let parsed = humantime::parse_duration(raw.get_ref())
        .map_err(|e| {
            c.at(
                raw.span(),
                format!("`{}` is not a duration: {e}", raw.get_ref()),
                Some("write a number with a unit, such as 500ms, 30s, 5m, 2h or 90d"),
            )
        })
        .ok()?;
    if parsed > super::super::values::MAX_DURATION {
        c.at(
            raw.span(),
            format!("`{}` is longer than 100 years", raw.get_ref()),
            Some("durations are at most 100y; dates are computed from them"),
        );
        return None;
    }
    Some(parsed)
}

/// Whether a query from config is one statement; if not, says so at its line.
pub(in crate::config) fn one_statement_at(c: &mut Collector, raw: &S<String>) -> bool {
    match super::super::integrity::one_statement(raw.get_ref()) {
        Ok(()) => true,
        Err(e) => {
            c.at(
                raw.span(),
                e,
                Some(
                    "hypercare only reads: write one SELECT, without a second statement after `;`",
                ),
            );
            false
        }
    }
}

pub(in crate::config) fn positive(
    c: &mut Collector,
    raw: &Option<S<u32>>,
    default: u32,
) -> Option<u32> {
    match raw {
        None => Some(default),
        Some(v) if *v.get_ref() == 0 => {
            c.at(v.span(), "must be at least 1", None);
            None
        }
        Some(v) => Some(*v.get_ref()),
    }
}

pub(in crate::config) fn tolerance(
    c: &mut Collector,
    raw: Option<&S<RawTolerance>>,
) -> Option<Tolerance> {
    let Some(raw) = raw else {
        return Some(Tolerance::Absolute(0));
    };
    let parsed = match raw.get_ref() {
        RawTolerance::Absolute(n) => u64::try_from(*n).ok().map(Tolerance::Absolute),
        RawTolerance::Text(t) => super::super::values::tolerance_text(t),
    };
    if parsed.is_none() {
        c.at(
            raw.span(),
            "tolerance must be a count of records or a percentage",
            Some("write tolerance = 5 (records) or tolerance = \"0.5%\" (of the source count)"),
        );
    }
    parsed
}
