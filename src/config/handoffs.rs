//! The typed `[[handoffs]]` checks: events in one system (a closed visit, a
//! lab order) that must appear in another (a claim, a result) within a
//! deadline. Each side is a query on a SQL source naming its columns `key`
//! and `at` (and `clinic` where attributed).

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::de::recover;
use super::integrity::one_statement;
use super::refs;
use super::values;
use super::{CronSchedule, Name, Tolerance};

/// Keys kept per class (stuck, late, unexpected) when `max_keys` is not set.
pub const DEFAULT_MAX_KEYS: usize = 100;
/// Upper bound on `max_keys`: the lists are for people to work through.
pub const MAX_KEYS: usize = 10_000;

/// One `[[handoffs]]` check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffConfig {
    pub name: Name,
    #[serde(default)]
    pub description: Option<String>,
    pub schedule: CronSchedule,
    /// Unset: the scheduler's `default_timeout` (filled in when loaded).
    #[serde(default, deserialize_with = "values::optional_duration")]
    pub timeout: Option<Duration>,
    #[serde(default = "values::yes")]
    pub enabled: bool,
    /// The deadline after each event: arriving at `event + within` is in time.
    #[serde(deserialize_with = "within")]
    pub within: Duration,
    /// Events older than this are not judged; bounds the work of a run.
    #[serde(deserialize_with = "look_back")]
    pub look_back: Duration,
    /// Stuck items accepted: a count, or a percentage of the judged events.
    #[serde(default = "values::no_tolerance")]
    pub tolerance: Tolerance,
    /// Keys listed per class in details.
    #[serde(default = "default_max_keys", deserialize_with = "max_keys")]
    pub max_keys: usize,
    /// What the events are called in digests and on the status page
    /// (plural: "visits").
    #[serde(default = "events_word", deserialize_with = "word")]
    pub events_called: String,
    /// What one arrival is called ("claim").
    #[serde(default = "arrival_word", deserialize_with = "word")]
    pub arrival_called: String,
    /// Where the events happen.
    pub from: HandoffSide,
    /// Where they must arrive.
    pub to: HandoffSide,
}

impl HandoffConfig {
    /// The run's bound, once the loader filled the default in.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(300))
    }
}

/// One side of a handoff: a SQL query with columns `key`, `at` and,
/// optionally, `clinic`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffSide {
    #[serde(rename = "from", deserialize_with = "sql_source")]
    pub source: Name,
    #[serde(deserialize_with = "query")]
    pub sql: String,
}

fn events_word() -> String {
    "events".into()
}

fn arrival_word() -> String {
    "arrival".into()
}

/// A word or two people read: 1 to 40 characters, no line breaks.
fn word<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Spanned::<String>::deserialize(d)?;
    let text = v.get_ref().trim();
    if text.is_empty() || text.chars().count() > 40 || text.chars().any(char::is_control) {
        let hint = Some("a plain word such as \"visits\" or \"claim\"");
        return recover(
            v.span(),
            "events_called and arrival_called must be 1 to 40 characters on one line",
            hint,
            String::new(),
        );
    }
    Ok(text.to_string())
}

fn default_max_keys() -> usize {
    DEFAULT_MAX_KEYS
}

fn within<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let hint = Some("the time the receiving system is given, such as 48h");
    values::duration_at_least(
        d,
        Duration::from_secs(1),
        "within must be at least 1s",
        hint,
    )
}

fn look_back<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let hint = Some("how far back events are judged, such as 14d");
    values::duration_at_least(
        d,
        Duration::from_secs(60),
        "look_back must be at least 1m",
        hint,
    )
}

fn max_keys<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    values::at_most(d, MAX_KEYS, "max_keys", "the lists are for people")
}

/// A SQL source declared in `[sources.NAME]`.
fn sql_source<'de, D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
    let name = Spanned::<Name>::deserialize(d)?;
    let text = name.get_ref().as_str();
    if text.is_empty() || refs::known(|k| k.sql_sources.iter().any(|s| s == text)) {
        return Ok(name.into_inner());
    }
    let is_fhir = refs::known(|k| k.fhir_sources.iter().any(|s| s == text));
    let (message, hint) = if is_fhir {
        let message = format!("source `{text}` is a FHIR server; a handoff side reads SQL");
        (message, "name a SQL source")
    } else {
        let message = format!("unknown source `{text}`");
        (message, "declare it as [sources.NAME] with a url")
    };
    recover(name.span(), message, Some(hint), name.into_inner())
}

/// One statement, wrapped by the check as a subquery: a trailing `;` is dropped.
fn query<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Spanned::<String>::deserialize(d)?;
    let text = v.get_ref().trim().trim_end_matches(';').trim_end();
    let hint = "write one SELECT naming its columns key and at (and clinic where attributed)";
    if text.is_empty() {
        return recover(v.span(), "the query is empty", Some(hint), String::new());
    }
    if let Err(e) = one_statement(text) {
        return recover(v.span(), e, Some(hint), String::new());
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn errors(text: &str) -> Vec<String> {
        match crate::config::parse(text, Path::new("h.toml"), &|_| None) {
            Ok(_) => Vec::new(),
            Err(e) => {
                e.0.iter()
                    .map(|e| format!("{}:{} {}", e.line, e.column, e.message))
                    .collect()
            }
        }
    }

    const SOURCES: &str = "[sources.ehr]\nurl = \"sqlite::memory:\"\n[sources.fhir]\nfhir = \"http://127.0.0.1:1/fhir\"\n";

    #[test]
    fn every_mistake_is_named_at_its_place() {
        let text = format!(
            "{SOURCES}[[handoffs]]\nname = \"a\"\nschedule = \"0 * * * * *\"\nwithin = \"0s\"\nlook_back = \"14d\"\n\
             from = {{ from = \"nowhere\", sql = \"SELECT 1 AS key, 2 AS at\" }}\n\
             to = {{ from = \"fhir\", sql = \"SELECT 1; DELETE FROM x\" }}\narrival_called = \"  \"\n"
        );
        let e = errors(&text);
        assert_eq!(e.len(), 5, "{e:?}");
        assert!(
            e[4].starts_with("12:18 events_called and arrival_called must be 1 to 40"),
            "{e:?}"
        );
        assert!(e[0].starts_with("8:10 within must be at least 1s"), "{e:?}");
        assert!(e[1].contains("unknown source `nowhere`"), "{e:?}");
        assert!(e[2].contains("source `fhir` is a FHIR server"), "{e:?}");
        assert!(e[3].contains("one statement only"), "{e:?}");
    }

    #[test]
    fn the_shortest_form_reads_with_its_defaults() {
        let text = format!(
            "{SOURCES}[[handoffs]]\nname = \"a\"\nschedule = \"0 * * * * *\"\nwithin = \"48h\"\nlook_back = \"14d\"\n\
             from = {{ from = \"ehr\", sql = \"SELECT 1 AS key, 2 AS at;\" }}\n\
             to = {{ from = \"ehr\", sql = \"SELECT 1 AS key, 2 AS at\" }}\n[[handoffs]]\nname = \"a\"\n"
        );
        let e = errors(&text);
        assert!(e.iter().any(|e| e.contains("missing field")), "{e:?}");
        let one = text
            .split("[[handoffs]]\nname = \"a\"\n")
            .collect::<Vec<_>>();
        let text = format!("{}[[handoffs]]\nname = \"a\"\n{}", one[0], one[1]);
        let c = crate::config::parse(&text, Path::new("h.toml"), &|_| None).expect("valid");
        let h = &c.handoffs[0];
        assert_eq!(
            (h.max_keys, h.enabled, h.timeout()),
            (100, true, std::time::Duration::from_secs(300))
        );
        assert_eq!(
            (h.events_called.as_str(), h.arrival_called.as_str()),
            ("events", "arrival")
        );
        assert_eq!(
            h.from.sql, "SELECT 1 AS key, 2 AS at",
            "the trailing `;` is dropped"
        );
    }
}
