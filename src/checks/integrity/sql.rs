//! SQL for integrity rules, per engine. Identifiers come from config, where
//! they were restricted to plain identifiers, and are quoted here; values
//! (patterns, codes, dates) are always bound, never written into the text.

use crate::config::Engine;
use crate::config::integrity::{Ident, SqlFilter, TableName};
use crate::sources::{Cell, SourceError, SqlSource};

/// Separates keys in a per-cluster key list (ASCII unit separator).
pub const KEY_SEPARATOR: char = '\u{1f}';

/// A statement being written, with its bound values in placeholder order.
pub struct Sql {
    pub engine: Engine,
    pub text: String,
    pub binds: Vec<String>,
}

impl Sql {
    pub fn new(engine: Engine) -> Sql {
        Sql {
            engine,
            text: String::new(),
            binds: Vec::new(),
        }
    }

    pub fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    /// Binds a text value and returns its placeholder.
    pub fn bind(&mut self, value: impl Into<String>) -> String {
        self.binds.push(value.into());
        match self.engine {
            Engine::MySql => "?".to_string(),
            Engine::Postgres | Engine::Sqlite => format!("${}", self.binds.len()),
        }
    }

    pub async fn rows(&self, source: &SqlSource) -> Result<Vec<Vec<Cell>>, SourceError> {
        // Binds come from config (patterns, codes, dates), never from records.
        tracing::debug!(sql = %self.text, binds = ?self.binds, "integrity query");
        source.rows(&self.text, &self.binds).await
    }
}

/// Quotes a validated identifier for the engine.
pub fn ident(engine: Engine, i: &Ident) -> String {
    match engine {
        Engine::MySql => format!("`{i}`"),
        Engine::Postgres | Engine::Sqlite => format!("\"{i}\""),
    }
}

pub fn table(engine: Engine, t: &TableName) -> String {
    match &t.schema {
        Some(s) => format!("{}.{}", ident(engine, s), ident(engine, &t.table)),
        None => ident(engine, &t.table),
    }
}

/// An expression read as text.
pub fn text(engine: Engine, expr: &str) -> String {
    match engine {
        Engine::MySql => format!("CAST({expr} AS CHAR)"),
        Engine::Postgres | Engine::Sqlite => format!("CAST({expr} AS TEXT)"),
    }
}

/// An integer expression read back as a 64-bit integer: PostgreSQL's
/// `SUM` of integers is `numeric`, MySQL's is `DECIMAL`.
pub fn bigint(engine: Engine, expr: &str) -> String {
    match engine {
        Engine::Postgres => format!("CAST({expr} AS BIGINT)"),
        Engine::MySql => format!("CAST({expr} AS SIGNED)"),
        Engine::Sqlite => expr.to_string(),
    }
}

/// Whether a text expression matches a bound regular expression
/// (case-sensitive on every engine).
pub fn matches(sql: &mut Sql, expr: &str, pattern: &str) -> String {
    match sql.engine {
        Engine::Postgres => {
            let p = sql.bind(pattern);
            format!("{expr} ~ {p}")
        }
        // REGEXP follows the collation, usually case-insensitive: turn that off.
        Engine::MySql => {
            let p = sql.bind(format!("(?-i){pattern}"));
            format!("{expr} REGEXP {p}")
        }
        Engine::Sqlite => {
            let p = sql.bind(pattern);
            format!("{expr} REGEXP {p}")
        }
    }
}

/// Text holding only digits as an integer; NULL for any other text.
pub fn integer_from_text(engine: Engine, expr: &str) -> String {
    let t = format!("TRIM({expr})");
    match engine {
        Engine::Postgres => {
            format!("CASE WHEN {t} ~ '^[0-9]{{1,18}}$' THEN CAST({t} AS BIGINT) END")
        }
        Engine::MySql => {
            format!("CASE WHEN {t} REGEXP '^[0-9]{{1,18}}$' THEN CAST({t} AS SIGNED) END")
        }
        Engine::Sqlite => format!(
            "CASE WHEN {t} <> '' AND {t} NOT GLOB '*[^0-9]*' AND LENGTH({t}) <= 18 THEN CAST({t} AS INTEGER) END"
        ),
    }
}

/// An aggregate joining an expression's values with [`KEY_SEPARATOR`].
pub fn key_list(engine: Engine, expr: &str) -> String {
    match engine {
        Engine::Postgres => format!("STRING_AGG(CAST({expr} AS TEXT), CHR(31))"),
        Engine::MySql => format!("GROUP_CONCAT({expr} SEPARATOR '{KEY_SEPARATOR}')"),
        Engine::Sqlite => format!("GROUP_CONCAT({expr}, CHAR(31))"),
    }
}

/// `(filter)`, or a condition that always holds.
pub fn filter(f: &Option<SqlFilter>) -> String {
    match f {
        Some(f) => format!("({})", f.as_str()),
        None => "1 = 1".to_string(),
    }
}

/// Counts rows in scope and, in the same statement, the rows where `bad`
/// (a join: `NOT EXISTS …`) holds with the first `limit` of their keys (by
/// key order).
///
/// PostgreSQL gets the bad keys from a CTE, which it materializes once and
/// both counts (as a hash anti-join) and sorts: given a window over them
/// instead, it would walk the key index for an early stop the window
/// forbids, probing the other table row by row. MariaDB would run such a
/// CTE twice, so MySQL and SQLite count the bad rows with a window.
///
/// Rows: `(checked, key, problems)`, one per sample key, or one row with
/// NULL key (and NULL or 0 problems) when nothing is wrong.
pub fn checked_and_bad(sql: &mut Sql, from: &str, key: &str, scope: &str, bad: &str, limit: usize) {
    let e = sql.engine;
    let checked = format!("SELECT COUNT(*) AS checked FROM {from} WHERE {scope}");
    if e == Engine::Postgres {
        let k = text(e, "o");
        sql.push(&format!(
            "WITH bad AS (SELECT {key} AS o FROM {from} WHERE {scope} AND ({bad})) \
             SELECT c.checked, s.k, p.problems FROM ({checked}) c \
             CROSS JOIN (SELECT COUNT(*) AS problems FROM bad) p \
             LEFT JOIN (SELECT {k} AS k, o FROM bad ORDER BY o LIMIT {limit}) s ON 1 = 1 \
             ORDER BY s.o"
        ));
        return;
    }
    let k = text(e, key);
    sql.push(&format!(
        "SELECT c.checked, b.k, b.problems FROM ({checked}) c \
         LEFT JOIN (SELECT {k} AS k, {key} AS o, COUNT(*) OVER () AS problems \
         FROM {from} WHERE {scope} AND ({bad}) ORDER BY {key} LIMIT {limit}) b ON 1 = 1 \
         ORDER BY b.o"
    ));
}

/// Counts rows in scope and rows where `bad` holds in one pass, and reads
/// the first `limit` keys of bad rows in the same statement, without a
/// window: scanning in key order, the database can stop at the `limit`-th
/// bad row. For predicates without a join (a join's count is better made
/// as an anti-join: [`checked_and_bad`]). `bad` writes the predicate (and
/// binds its values) each time it is called: once per place it appears.
///
/// Rows: `(checked, problems, key)`, one per sample key, or one row with a
/// NULL key when nothing is wrong.
pub fn counted_then_sampled(
    sql: &mut Sql,
    from: &str,
    key: &str,
    scope: &str,
    bad: &mut dyn FnMut(&mut Sql) -> String,
    limit: usize,
) {
    let e = sql.engine;
    let k = text(e, key);
    let counted = bad(sql);
    let problems = bigint(e, &format!("SUM(CASE WHEN {counted} THEN 1 ELSE 0 END)"));
    let sampled = bad(sql);
    sql.push(&format!(
        "SELECT c.checked, c.problems, b.k \
         FROM (SELECT COUNT(*) AS checked, {problems} AS problems FROM {from} WHERE {scope}) c \
         LEFT JOIN (SELECT {k} AS k, {key} AS o FROM {from} WHERE {scope} AND ({sampled}) \
         ORDER BY {key} LIMIT {limit}) b ON 1 = 1 ORDER BY b.o"
    ));
}

/// Reads the rows of [`counted_then_sampled`]: checked, problems, sample keys.
pub fn read_counted_then_sampled(
    rows: Vec<Vec<Cell>>,
    keep: usize,
) -> Result<(i64, i64, Vec<String>), SourceError> {
    let mut found = (0, 0, Vec::new());
    for row in rows {
        let [c, p, k] = <[Cell; 3]>::try_from(row)
            .map_err(|r| SourceError::Shape(format!("expected 3 columns, got {}", r.len())))?;
        found.0 = int(c)?;
        found.1 = int(p)?;
        if found.2.len() < keep {
            found.2.extend(key(k));
        }
    }
    Ok(found)
}

/// Reads the rows of [`checked_and_bad`]: checked, problems, sample keys.
pub fn read_checked_and_bad(
    rows: Vec<Vec<Cell>>,
    keep: usize,
) -> Result<(i64, i64, Vec<String>), SourceError> {
    let mut checked = 0;
    let mut problems = 0;
    let mut keys = Vec::new();
    for row in rows {
        let [c, k, p] = <[Cell; 3]>::try_from(row)
            .map_err(|r| SourceError::Shape(format!("expected 3 columns, got {}", r.len())))?;
        checked = int(c)?;
        if let Cell::Null = p {
            continue;
        }
        problems = int(p)?;
        if keys.len() < keep {
            keys.extend(key(k));
        }
    }
    Ok((checked, problems, keys))
}

/// An integer cell; NULL (an aggregate over no rows) reads as 0.
pub fn int(c: Cell) -> Result<i64, SourceError> {
    match c {
        Cell::Null => Ok(0),
        other => crate::sources::count_of(other, 1),
    }
}

/// A key cell as text.
pub fn key(c: Cell) -> Option<String> {
    match c {
        Cell::Int(i) => Some(i.to_string()),
        Cell::Text(t) => Some(t),
        Cell::Null | Cell::Unsupported => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_engine() {
        let mut pg = Sql::new(Engine::Postgres);
        assert_eq!(pg.bind("a"), "$1");
        assert_eq!(pg.bind("b"), "$2");
        let mut my = Sql::new(Engine::MySql);
        assert_eq!(my.bind("a"), "?");
        let m = matches(&mut my, "x", "^[0-9]$");
        assert_eq!(m, "x REGEXP ?");
        assert_eq!(my.binds[1], "(?-i)^[0-9]$");
    }

    #[test]
    fn identifiers_are_quoted_per_engine() {
        let t = TableName::parse("ehr.patient").unwrap();
        assert_eq!(table(Engine::Postgres, &t), "\"ehr\".\"patient\"");
        assert_eq!(table(Engine::MySql, &t), "`ehr`.`patient`");
    }

    #[test]
    fn sample_rows_read_back() {
        let rows = vec![
            vec![Cell::Int(10), Cell::Text("3".into()), Cell::Int(2)],
            vec![Cell::Int(10), Cell::Int(7), Cell::Int(2)],
        ];
        let (checked, problems, keys) = read_checked_and_bad(rows, 5).unwrap();
        assert_eq!((checked, problems), (10, 2));
        assert_eq!(keys, ["3", "7"]);
        let none = vec![vec![Cell::Int(4), Cell::Null, Cell::Null]];
        assert_eq!(read_checked_and_bad(none, 5).unwrap(), (4, 0, vec![]));
    }
}
