//! Freshness: the newest value of a timestamp column must not be older than
//! `max_age` (a feed that stopped). One `MAX()` over the column (an index
//! answers it where there is one), read as text and parsed here.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::config::integrity::{Ident, IntegrityRule};
use crate::results::{Outcome, RuleResult};
use crate::sources::{Cell, SourceError};

use super::Ctx;
use super::sql::{self, Sql};

pub async fn run(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
    column: &Ident,
    max_age: Duration,
    out: &mut RuleResult,
) -> Result<(), SourceError> {
    let e = ctx.engine;
    let mut q = Sql::new(e);
    let newest = sql::text(e, &format!("MAX({})", sql::ident(e, column)));
    q.push(&format!(
        "SELECT {newest} FROM {} WHERE {}",
        sql::table(e, &rule.table),
        sql::filter(&rule.filter)
    ));
    let rows = q.rows(ctx.source).await?;
    let cell = rows.into_iter().next().and_then(|r| r.into_iter().next());
    let newest = match cell {
        None | Some(Cell::Null) => None,
        Some(Cell::Int(n)) => Some(from_epoch(n)?),
        Some(Cell::Text(t)) => Some(parse_timestamp(&t).ok_or_else(|| {
            SourceError::Shape(format!(
                "the newest value of `{column}` is not a timestamp hypercare can read"
            ))
        })?),
        Some(Cell::Unsupported) => {
            return Err(SourceError::Shape(format!(
                "`{column}` cannot be read as text"
            )));
        }
    };
    out.problems = Some(1);
    out.status = Outcome::Fail;
    if let Some(newest) = newest {
        let age = (ctx.now - newest).num_seconds();
        out.newest = Some(newest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        out.age_seconds = Some(age);
        if age <= max_age.as_secs() as i64 {
            out.problems = Some(0);
            out.status = Outcome::Pass;
        }
    }
    Ok(())
}

/// Epoch seconds, or milliseconds when the number is too large for seconds.
fn from_epoch(n: i64) -> Result<DateTime<Utc>, SourceError> {
    let t = if n.abs() > 100_000_000_000 {
        DateTime::from_timestamp_millis(n)
    } else {
        DateTime::from_timestamp(n, 0)
    };
    t.ok_or_else(|| SourceError::Shape("the newest value is not a time".into()))
}

/// Reads the text forms engines give timestamps: RFC 3339, `YYYY-MM-DD
/// HH:MM:SS[.f][+zz[:zz]]` (no zone means UTC, as sessions run in UTC), a
/// bare date, or epoch seconds in text (SQLite).
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    s.parse::<i64>().ok().and_then(|n| from_epoch(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_each_engine_prints() {
        let at = |s: &str| parse_timestamp(s).map(|t| t.to_rfc3339());
        let ten = Some("2026-11-25T10:00:00+00:00".to_string());
        assert_eq!(at("2026-11-25 10:00:00"), ten, "MySQL DATETIME");
        assert_eq!(at("2026-11-25 10:00:00+00"), ten, "PostgreSQL timestamptz");
        assert_eq!(at("2026-11-25 11:00:00+01:00"), ten);
        assert_eq!(at("2026-11-25T10:00:00Z"), ten, "RFC 3339");
        assert_eq!(
            at("2026-11-25 10:00:00.123456").as_deref(),
            Some("2026-11-25T10:00:00.123456+00:00")
        );
        assert_eq!(
            at("2026-11-25").as_deref(),
            Some("2026-11-25T00:00:00+00:00")
        );
        assert_eq!(
            at("1795600800").as_deref(),
            Some("2026-11-25T10:00:00+00:00")
        );
        assert_eq!(
            at("1795600800000").as_deref(),
            Some("2026-11-25T10:00:00+00:00")
        );
        assert_eq!(at("yesterday"), None);
    }
}
