//! The SQL of a handoff, per engine. The operator's query is wrapped as a
//! subquery: its `key` becomes byte-ordered text (so two engines agree on
//! the order a merge needs, and `Key` never equals `key`), its `at` epoch
//! milliseconds computed by the database that knows the column's type and
//! time zone (sessions run in UTC), so PostgreSQL `timestamptz`, MariaDB
//! `DATETIME` and SQLite ISO text with an offset all compare.
//!
//! The columns are quoted: `key` is a reserved word in MySQL and MariaDB,
//! where the operator's query names it `` `key` ``.
//!
//! Every number inlined here is computed by hypercare (times, deadlines,
//! caps), never read from a record.

use crate::config::Engine;

/// The figures a statement needs, in epoch milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Events at or after this are judged; arrivals at or after it count
    /// as unexpected when they have no event.
    pub start_ms: i64,
    /// Rows at or after this are read: `start_ms − within`, so an arrival
    /// in the window whose event came just before it is not unexpected.
    pub read_ms: i64,
    pub within_ms: i64,
    pub now_ms: i64,
    /// Keys listed per class.
    pub max_keys: usize,
}

/// The key as byte-ordered text.
pub(super) fn key_text(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "CAST(h.\"key\" AS text) COLLATE \"C\"",
        Engine::MySql => "CAST(h.`key` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin",
        Engine::Sqlite => "CAST(h.\"key\" AS TEXT)",
    }
}

fn key_native(engine: Engine) -> &'static str {
    match engine {
        Engine::MySql => "h.`key`",
        _ => "h.\"key\"",
    }
}

/// Whether two sides' key types (as the statement description names them)
/// compare in their own type with the same result as byte-ordered text:
/// integers of any width anywhere, and one type on PostgreSQL (MariaDB and
/// SQLite may compare text without regard to case, so text is cast).
pub fn native_keys(engine: Engine, from: &str, to: &str) -> bool {
    let integer = |t: &str| t.contains("INT") && !t.contains("INTERVAL") && !t.contains("POINT");
    (integer(from) && integer(to)) || (engine == Engine::Postgres && from == to && !from.is_empty())
}

/// `at` as epoch milliseconds. SQLite has no time type: text is read as
/// ISO 8601 (an offset such as `+02:00` is honoured), numbers as Unix seconds.
pub(super) fn at_ms(engine: Engine) -> &'static str {
    match engine {
        // `date_part` is double precision (EXTRACT is numeric, several
        // times slower per row): rounded to whole microseconds it is exact
        // for any `timestamp`, and the millisecond floor of that is too.
        Engine::Postgres => {
            "CAST(FLOOR(ROUND(date_part('epoch', h.\"at\") * 1000000) / 1000) AS BIGINT)"
        }
        Engine::MySql => "CAST(FLOOR(UNIX_TIMESTAMP(h.`at`) * 1000) AS SIGNED)",
        Engine::Sqlite => {
            "CASE WHEN typeof(h.\"at\") IN ('integer', 'real') THEN CAST(h.\"at\" * 1000 AS INTEGER) \
             ELSE CAST(ROUND((julianday(h.\"at\") - 2440587.5) * 86400000.0) AS INTEGER) END"
        }
    }
}

/// Rows at or after `ms`, compared on the column itself where the engine
/// can, so an index on `at` serves the window.
pub(super) fn since(engine: Engine, ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    match engine {
        Engine::Postgres => format!("h.\"at\" >= to_timestamp({secs})"),
        Engine::MySql => format!("h.`at` >= FROM_UNIXTIME({secs})"),
        Engine::Sqlite => format!("({}) >= {ms}", at_ms(engine)),
    }
}

pub(super) fn text(engine: Engine, expr: &str) -> String {
    match engine {
        Engine::MySql => format!("CAST({expr} AS CHAR)"),
        _ => format!("CAST({expr} AS TEXT)"),
    }
}

/// The side's rows in the read window as `k`, `t` (and `c`, the clinic).
/// `native`: the key in its own type (both sides share it, one database),
/// else as byte-ordered text.
pub(super) fn rows(engine: Engine, sql: &str, clinic: bool, native: bool, read_ms: i64) -> String {
    let c = if clinic {
        let column = match engine {
            Engine::MySql => "h.`clinic`",
            _ => "h.\"clinic\"",
        };
        format!(", {} AS c", text(engine, column))
    } else {
        String::new()
    };
    format!(
        "SELECT {} AS k, {} AS t{c} FROM ({sql}) h WHERE {}",
        if native {
            key_native(engine)
        } else {
            key_text(engine)
        },
        at_ms(engine),
        since(engine, read_ms)
    )
}

/// Events per key (the first), ordered by key bytes: `k, t[, c]` as text.
pub fn events(engine: Engine, sql: &str, clinic: bool, w: &Window) -> String {
    let c = if clinic { ", MIN(c)" } else { "" };
    format!(
        "SELECT k, {}{c} FROM ({}) e WHERE k IS NOT NULL AND t IS NOT NULL GROUP BY k ORDER BY k",
        text(engine, "MIN(t)"),
        rows(engine, sql, clinic, false, w.read_ms)
    )
}

/// Arrivals per key, ordered by key bytes: `k`, first, count, last (text).
pub fn arrivals(engine: Engine, sql: &str, w: &Window) -> String {
    format!(
        "SELECT k, {}, {}, {} FROM ({}) a WHERE k IS NOT NULL AND t IS NOT NULL GROUP BY k ORDER BY k",
        text(engine, "MIN(t)"),
        text(engine, "COUNT(*)"),
        text(engine, "MAX(t)"),
        rows(engine, sql, false, false, w.read_ms)
    )
}
