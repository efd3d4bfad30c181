//! The one statement that judges a handoff whose sides share a database.
//!
//! Each side is grouped once by key (events keep their first time and
//! clinic; arrivals their first and last time and count), the two are
//! joined once (a full join, or a left join and the arrivals without an
//! event where the engine has no full join) and every joined row gets its
//! class; that set is read once for the class counts per clinic and
//! latency bucket and once per class for the oldest keys. The keys keep
//! their own type when both sides share one (`sql::native_keys`), so
//! PostgreSQL hashes integers instead of sorting text; otherwise they are
//! compared as byte-ordered text, as the streamed merge compares them.
//!
//! Every number inlined here is computed by hypercare (times, deadlines,
//! caps), never read from a record.

use super::sql::{Window, rows, text};
use crate::config::Engine;

/// Integer division, truncating, on every engine.
fn div(engine: Engine, a: &str, b: &str) -> String {
    match engine {
        Engine::MySql => format!("({a} DIV {b})"),
        _ => format!("({a} / {b})"),
    }
}

/// The latency bucket of `s` whole seconds (never negative): three
/// significant digits, as `results::latency_bucket` rounds them.
fn bucket(s: &str) -> String {
    let mut arms = String::from("CASE");
    let mut step: i64 = 1;
    while step < 10_000_000 {
        arms += &format!(" WHEN {s} < {} THEN {s} - {s} % {step}", step * 1000);
        step *= 10;
    }
    arms + &format!(" ELSE {s} - {s} % {step} END")
}

/// One side per key: events keep their first time (and clinic); arrivals
/// their first and last time and count.
fn grouped(
    engine: Engine,
    sql: &str,
    clinic: bool,
    native: bool,
    w: &Window,
    arrivals: bool,
) -> String {
    let extra = match (arrivals, clinic) {
        (true, _) => ", COUNT(*) AS n, MAX(t) AS last",
        (false, true) => ", MIN(c) AS c",
        (false, false) => "",
    };
    format!(
        "SELECT k, MIN(t) AS t{extra} FROM ({}) r WHERE k IS NOT NULL AND t IS NOT NULL GROUP BY k",
        rows(engine, sql, clinic, native, w.read_ms)
    )
}

/// Events joined to their arrivals and arrivals without an event, one row
/// per key: `k`, `t` (the event's time, else the first arrival's), `c`,
/// `lat`, `n`, `last` and `cls` (`c`, `l`, `p`, `s`, `u`, or NULL for an
/// event before the window or an arrival before it with no event).
fn joined(engine: Engine, clinic: bool, w: &Window) -> String {
    let (within, now, start) = (w.within_ms, w.now_ms, w.start_ms);
    let c = if clinic {
        "e.c".to_string()
    } else {
        text(engine, "NULL")
    };
    let cols = format!(
        "COALESCE(e.k, a.k) AS k, COALESCE(e.t, a.t) AS t, {c} AS c, a.t - e.t AS lat, a.n, a.last, \
         CASE WHEN e.k IS NULL THEN (CASE WHEN a.last >= {start} THEN 'u' END) \
         WHEN e.t < {start} THEN NULL \
         WHEN a.k IS NULL THEN (CASE WHEN e.t + {within} < {now} THEN 's' ELSE 'p' END) \
         WHEN a.t - e.t <= {within} THEN 'c' ELSE 'l' END AS cls"
    );
    match engine {
        Engine::Postgres => format!("SELECT {cols} FROM e FULL JOIN a ON a.k = e.k"),
        // MariaDB has no full join (SQLite only since 3.39).
        _ => format!(
            "SELECT {cols} FROM e LEFT JOIN a ON a.k = e.k \
             UNION ALL SELECT {cols} FROM a LEFT JOIN e ON e.k = a.k WHERE e.k IS NULL"
        ),
    }
}

/// Both sides in one database: one statement returning `(what, clinic,
/// value, n)` rows, every column text: class counts per clinic and latency
/// bucket (`c`, `l`, `p`, `s`, and `u` for unexpected arrivals), the
/// duplicated count (`d`), and the oldest stuck, late and unexpected keys
/// (`S`, `L`, `U`). `native`: compare keys in their own type.
pub fn pushed(
    engine: Engine,
    from: &str,
    to: &str,
    clinic: bool,
    native: bool,
    w: &Window,
) -> String {
    let t = |e: &str| text(engine, e);
    let null = t("NULL");
    let ctes = format!(
        "WITH e AS ({}), a AS ({}), j AS ({})",
        grouped(engine, from, clinic, native, w, false),
        grouped(engine, to, false, native, w, true),
        joined(engine, clinic, w),
    );
    let keys = |cls: &str, tag: &str| {
        format!(
            "SELECT * FROM (SELECT '{tag}' AS w, {null} AS c, {} AS v, {} AS n FROM j \
             WHERE cls = '{cls}' ORDER BY t, k LIMIT {}) k{tag}",
            t("k"),
            t("t"),
            w.max_keys
        )
    };
    let secs = format!(
        "CASE WHEN cls IN ('c', 'l') THEN (CASE WHEN lat < 0 THEN 0 ELSE {} END) END",
        div(engine, "lat", "1000")
    );
    format!(
        "{ctes} SELECT w, c, {v} AS v, {cnt} AS n FROM (SELECT w, c, {b} AS v FROM \
         (SELECT cls AS w, c, {secs} AS s FROM j WHERE cls IS NOT NULL) x) b GROUP BY w, c, v \
         UNION ALL SELECT 'd', {null}, {null}, {cnt} FROM j WHERE n > 1 AND last >= {start} \
         UNION ALL {s} UNION ALL {l} UNION ALL {u}",
        v = t("v"),
        b = bucket("s"),
        cnt = t("COUNT(*)"),
        start = w.start_ms,
        s = keys("s", "S"),
        l = keys("l", "L"),
        u = keys("u", "U"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bench/handoffs/pushed.sql` is what this module writes for the bench
    /// data, so the bench times hypercare's statement, not a copy that
    /// drifted (`HYPERCARE_BLESS=1` rewrites it).
    #[test]
    fn the_bench_times_the_statement_written_here() {
        let now_ms = 1_800_000_000_000;
        let w = Window {
            start_ms: now_ms - 14 * 86_400_000,
            read_ms: now_ms - 16 * 86_400_000,
            within_ms: 172_800_000,
            now_ms,
            max_keys: 100,
        };
        let from = "SELECT id AS key, closed_at AS at FROM h17_events WHERE status = 'finished'";
        let to = "SELECT encounter_ref AS key, created_at AS at FROM h17_claims";
        let native = super::super::sql::native_keys(Engine::Postgres, "INT4", "INT4");
        let statement = pushed(Engine::Postgres, from, to, false, native, &w) + ";\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/handoffs/pushed.sql");
        if std::env::var_os("HYPERCARE_BLESS").is_some() {
            std::fs::write(path, &statement).unwrap();
        }
        assert_eq!(std::fs::read_to_string(path).unwrap(), statement);
    }

    #[test]
    fn keys_keep_their_type_only_where_comparing_it_equals_comparing_bytes() {
        use super::super::sql::native_keys;
        assert!(native_keys(Engine::Postgres, "INT4", "INT8"));
        assert!(native_keys(Engine::MySql, "INT UNSIGNED", "BIGINT"));
        assert!(native_keys(Engine::Postgres, "TEXT", "TEXT"));
        assert!(
            !native_keys(Engine::MySql, "VARCHAR", "VARCHAR"),
            "case-insensitive collations"
        );
        assert!(!native_keys(Engine::Postgres, "INT4", "VARCHAR"));
        assert!(!native_keys(Engine::MySql, "POINT", "POINT"));
        assert!(!native_keys(Engine::Sqlite, "NULL", "NULL"));
    }
}
