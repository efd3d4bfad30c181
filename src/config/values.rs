//! The rules of single values, written once and applied by serde while the
//! config is read (see `de.rs`): durations, counts, shares, names, cron
//! schedules, tolerances, and the names other sections declare.
//!
//! A value that breaks its rule is recorded with its span and a placeholder
//! is read on, so every mistake of the file is reported at once.

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::de::recover;
use super::refs::what;
use super::{CronSchedule, Name, Tolerance};

/// Defaults for `#[serde(default = …)]`.
pub(crate) fn secs<const N: u64>() -> Duration {
    Duration::from_secs(N)
}

pub(crate) fn count<const N: u32>() -> u32 {
    N
}

pub(crate) fn yes() -> bool {
    true
}

/// No record may differ (the default tolerance).
pub(crate) fn no_tolerance() -> Tolerance {
    Tolerance::Absolute(0)
}

/// Longest duration in config: every date computed from one (a purge
/// cut-off, a lease's end) stays far inside what the clock types hold.
pub(super) const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 86_400 + 25 * 86_400);
const DURATION_HINT: &str = "write a number with a unit, such as 500ms, 30s, 5m, 2h or 90d";

fn spanned_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Spanned<Duration>, D::Error> {
    let s = Spanned::<String>::deserialize(d)?;
    let span = s.span();
    let value = match humantime::parse_duration(s.get_ref()) {
        Ok(v) if v <= MAX_DURATION => v,
        Ok(_) => {
            let message = format!("`{}` is longer than 100 years", s.get_ref());
            let hint = "durations are at most 100y; dates are computed from them";
            recover(span.clone(), message, Some(hint), Duration::ZERO)?
        }
        Err(e) => {
            let message = format!("`{}` is not a duration: {e}", s.get_ref());
            recover(span.clone(), message, Some(DURATION_HINT), Duration::ZERO)?
        }
    };
    Ok(Spanned::new(span, value))
}

/// A duration written with a unit (`30s`, `5m`, `90d`).
pub(crate) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    spanned_duration(d).map(Spanned::into_inner)
}

/// A duration that may be left out (filled in when loaded).
pub(crate) fn optional_duration<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

/// A duration as an element of a list.
pub(crate) struct DurationItem(pub Duration);

impl<'de> Deserialize<'de> for DurationItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        duration(d).map(DurationItem)
    }
}

/// A duration of at least `min`; `message` and `hint` say why when shorter.
pub(crate) fn duration_at_least<'de, D: Deserializer<'de>>(
    d: D,
    min: Duration,
    message: &str,
    hint: Option<&str>,
) -> Result<Duration, D::Error> {
    let v = spanned_duration(d)?;
    if *v.get_ref() < min {
        return recover(v.span(), message, hint, min);
    }
    Ok(v.into_inner())
}

/// A count of at least 1.
pub(crate) fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = Spanned::<u32>::deserialize(d)?;
    if *v.get_ref() == 0 {
        return recover(v.span(), "must be at least 1", None, 1);
    }
    Ok(v.into_inner())
}

/// A count of at most `max` (a list kept for people to work through).
pub(crate) fn at_most<'de, D: Deserializer<'de>>(
    d: D,
    max: usize,
    key: &str,
    hint: &str,
) -> Result<usize, D::Error> {
    let v = Spanned::<u32>::deserialize(d)?;
    let n = *v.get_ref() as usize;
    if n > max {
        let message = format!("{key} must be at most {max}");
        return recover(v.span(), message, Some(hint), max);
    }
    Ok(n)
}

/// A share from 0 to 1, named in the message.
pub(crate) fn share<'de, D: Deserializer<'de>>(d: D, what: &str) -> Result<f64, D::Error> {
    let v = Spanned::<f64>::deserialize(d)?;
    if !(0.0..=1.0).contains(v.get_ref()) {
        let message = format!("`{what}` must be a share between 0 and 1");
        return recover(v.span(), message, Some("write 0.999 for 99.9 %"), 0.0);
    }
    Ok(v.into_inner())
}

/// A list that must not be empty: `message` says what it needs.
pub(crate) fn non_empty<'de, D, T>(d: D, message: &str) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let v = Spanned::<Vec<T>>::deserialize(d)?;
    if v.get_ref().is_empty() {
        return recover(v.span(), message, None, Vec::new());
    }
    Ok(v.into_inner())
}

/// An e-mail address (`name@example.org` or `Name <name@example.org>`), as written.
pub(crate) struct Mailbox(pub String);

impl<'de> Deserialize<'de> for Mailbox {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        if v.get_ref().parse::<lettre::message::Mailbox>().is_err() {
            let message = format!("`{}` is not an e-mail address", v.get_ref());
            let hint = "write name@example.org or \"Name <name@example.org>\"";
            return recover(v.span(), message, Some(hint), Mailbox(String::new()));
        }
        Ok(Mailbox(v.into_inner()))
    }
}

/// A list of named items where a name may appear once ("wave `x` is declared twice").
pub(crate) fn unique<'de, D, T>(
    d: D,
    name: impl Fn(&T) -> &Name,
    what: &str,
) -> Result<Vec<Spanned<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items = Vec::<Spanned<T>>::deserialize(d)?;
    let mut seen = std::collections::HashSet::new();
    for item in &items {
        let n = name(item.get_ref());
        if !n.as_str().is_empty() && !seen.insert(n.clone()) {
            let message = format!("{what} `{n}` is declared twice");
            recover::<(), D::Error>(item.span(), message, None, ())?;
        }
    }
    Ok(items)
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        Name::parse(v.get_ref()).or_else(|e| {
            let hint = Some("names become metric labels and URL parts");
            let message = match what() {
                "" => e,
                what => format!("{what} name {e}"),
            };
            recover(v.span(), message, hint, Name(String::new()))
        })
    }
}

impl<'de> Deserialize<'de> for CronSchedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        v.get_ref().parse().or_else(|e| {
            let message = format!("`{}` is not a cron schedule: {e}", v.get_ref());
            let hint = "six fields, seconds first: \"0 */5 * * * *\" runs every five minutes";
            let placeholder: CronSchedule =
                ("0 0 0 1 1 *".parse()).expect("the placeholder schedule is valid");
            recover(v.span(), message, Some(hint), placeholder)
        })
    }
}

/// `tolerance = 5` (records) or `"0.5%"` (of the source count).
#[derive(Deserialize)]
#[serde(untagged)]
enum ToleranceText {
    Absolute(i64),
    Text(String),
}

/// A tolerance written as text: `"5"` records or `"0.5%"` of the source
/// count. Shared with the sections still read through `validate.rs`.
pub(super) fn tolerance_text(t: &str) -> Option<Tolerance> {
    match t.trim().strip_suffix('%') {
        Some(p) => p
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p >= 0.0)
            .map(Tolerance::Percent),
        None => t.trim().parse::<u64>().ok().map(Tolerance::Absolute),
    }
}

impl<'de> Deserialize<'de> for Tolerance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<ToleranceText>::deserialize(d)?;
        let parsed = match v.get_ref() {
            ToleranceText::Absolute(n) => u64::try_from(*n).ok().map(Tolerance::Absolute),
            ToleranceText::Text(t) => tolerance_text(t),
        };
        parsed.map_or_else(
            || {
                let message = "tolerance must be a count of records or a percentage";
                let hint =
                    "write tolerance = 5 (records) or tolerance = \"0.5%\" (of the source count)";
                recover(v.span(), message, Some(hint), Tolerance::Absolute(0))
            },
            Ok,
        )
    }
}
