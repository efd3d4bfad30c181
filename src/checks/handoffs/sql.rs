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
fn key_text(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "CAST(h.\"key\" AS text) COLLATE \"C\"",
        Engine::MySql => "CAST(h.`key` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin",
        Engine::Sqlite => "CAST(h.\"key\" AS TEXT)",
    }
}

/// `at` as epoch milliseconds. SQLite has no time type: text is read as
/// ISO 8601 (an offset such as `+02:00` is honoured), numbers as Unix seconds.
fn at_ms(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "CAST(FLOOR(EXTRACT(EPOCH FROM h.\"at\") * 1000) AS BIGINT)",
        Engine::MySql => "CAST(FLOOR(UNIX_TIMESTAMP(h.`at`) * 1000) AS SIGNED)",
        Engine::Sqlite => {
            "CASE WHEN typeof(h.\"at\") IN ('integer', 'real') THEN CAST(h.\"at\" * 1000 AS INTEGER) \
             ELSE CAST(ROUND((julianday(h.\"at\") - 2440587.5) * 86400000.0) AS INTEGER) END"
        }
    }
}

/// Rows at or after `ms`, compared on the column itself where the engine
/// can, so an index on `at` serves the window.
fn since(engine: Engine, ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    match engine {
        Engine::Postgres => format!("h.\"at\" >= to_timestamp({secs})"),
        Engine::MySql => format!("h.`at` >= FROM_UNIXTIME({secs})"),
        Engine::Sqlite => format!("({}) >= {ms}", at_ms(engine)),
    }
}

fn text(engine: Engine, expr: &str) -> String {
    match engine {
        Engine::MySql => format!("CAST({expr} AS CHAR)"),
        _ => format!("CAST({expr} AS TEXT)"),
    }
}

/// The side's rows in the read window as `k`, `t` (and `c`, the clinic).
fn rows(engine: Engine, sql: &str, clinic: bool, read_ms: i64) -> String {
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
        key_text(engine),
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
        rows(engine, sql, clinic, w.read_ms)
    )
}

/// Arrivals per key, ordered by key bytes: `k`, first, count, last (text).
pub fn arrivals(engine: Engine, sql: &str, w: &Window) -> String {
    format!(
        "SELECT k, {}, {}, {} FROM ({}) a WHERE k IS NOT NULL AND t IS NOT NULL GROUP BY k ORDER BY k",
        text(engine, "MIN(t)"),
        text(engine, "COUNT(*)"),
        text(engine, "MAX(t)"),
        rows(engine, sql, false, w.read_ms)
    )
}

/// Integer division, truncating, on every engine.
fn div(engine: Engine, a: &str, b: &str) -> String {
    match engine {
        Engine::MySql => format!("({a} DIV {b})"),
        _ => format!("({a} / {b})"),
    }
}

/// The latency bucket of `lat` milliseconds: seconds to three significant
/// digits, as `results::latency_bucket` rounds them.
fn bucket(engine: Engine, lat: &str) -> String {
    let s = format!(
        "CASE WHEN {lat} < 0 THEN 0 ELSE {} END",
        div(engine, lat, "1000")
    );
    let mut arms = String::from("CASE");
    let mut step: i64 = 1;
    while step < 10_000_000 {
        arms += &format!(" WHEN ({s}) < {} THEN ({s}) - ({s}) % {step}", step * 1000);
        step *= 10;
    }
    arms + &format!(" ELSE ({s}) - ({s}) % {step} END")
}

/// Both sides in one database: one statement returning `(what, clinic,
/// value, n)` rows, every column text: class counts per clinic and latency
/// bucket (`c`, `l`, `p`, `s`), the unexpected (`u`) and duplicated (`d`)
/// counts, and the oldest stuck, late and unexpected keys (`S`, `L`, `U`).
pub fn pushed(engine: Engine, from: &str, to: &str, clinic: bool, w: &Window) -> String {
    let (within, now, start, n) = (w.within_ms, w.now_ms, w.start_ms, w.max_keys);
    let t = |e: &str| text(engine, e);
    let null = t("NULL");
    let c = if clinic {
        "e.c".to_string()
    } else {
        null.clone()
    };
    let ctes = format!(
        "WITH e AS ({events}), a AS ({arrivals}), \
         j AS (SELECT e.k, e.t, {c} AS c, a.t - e.t AS lat, CASE WHEN a.k IS NULL THEN \
           (CASE WHEN e.t + {within} < {now} THEN 's' ELSE 'p' END) \
           WHEN a.t - e.t <= {within} THEN 'c' ELSE 'l' END AS cls \
           FROM e LEFT JOIN a ON a.k = e.k WHERE e.t >= {start}), \
         u AS (SELECT a.k, a.t FROM a LEFT JOIN e ON e.k = a.k WHERE e.k IS NULL AND a.last >= {start})",
        events = grouped(engine, from, clinic, w, false),
        arrivals = grouped(engine, to, false, w, true),
    );
    let keys = |cls: &str, tag: &str, from: &str| {
        format!(
            "SELECT * FROM (SELECT '{tag}' AS w, {null} AS c, k AS v, {} AS n FROM {from} {cls}ORDER BY t, k LIMIT {n}) k{tag}",
            t("t")
        )
    };
    let b = t(&format!(
        "CASE WHEN cls IN ('c', 'l') THEN {} END",
        bucket(engine, "lat")
    ));
    format!(
        "{ctes} SELECT w, c, v, {cnt} AS n FROM (SELECT cls AS w, c, {b} AS v FROM j) b GROUP BY w, c, v \
         UNION ALL SELECT 'u', {null}, {null}, {cnt} FROM u \
         UNION ALL SELECT 'd', {null}, {null}, {cnt} FROM a WHERE a.n > 1 AND a.last >= {start} \
         UNION ALL {s} UNION ALL {l} UNION ALL {u}",
        cnt = t("COUNT(*)"),
        s = keys("WHERE cls = 's' ", "S", "j"),
        l = keys("WHERE cls = 'l' ", "L", "j"),
        u = keys("", "U", "u"),
    )
}

/// One side per key, for the pushed statement: events keep their first
/// time (and clinic); arrivals their first and last time and count.
fn grouped(engine: Engine, sql: &str, clinic: bool, w: &Window, arrivals: bool) -> String {
    let extra = match (arrivals, clinic) {
        (true, _) => ", COUNT(*) AS n, MAX(t) AS last",
        (false, true) => ", MIN(c) AS c",
        (false, false) => "",
    };
    format!(
        "SELECT k, MIN(t) AS t{extra} FROM ({}) r WHERE k IS NOT NULL AND t IS NOT NULL GROUP BY k",
        rows(engine, sql, clinic, w.read_ms)
    )
}
