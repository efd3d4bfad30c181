//! Cross-engine normalization: each compared value becomes the same text on
//! PostgreSQL, MySQL/MariaDB and SQLite when it means the same thing.
//!
//! A column pair gets one [`Class`] from both sides' declared types; each
//! engine renders that class as canonical text in SQL (see
//! docs/reconciliation.md for every rule). What a row hashes to is built
//! from the same classes in [`super::hashing`].

use crate::config::{ColumnRule, Engine};
use crate::sources::ColumnInfo;

/// What a compared value is, whichever engine holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Int,
    /// A fixed-point number with this many decimals.
    Decimal(u32),
    /// Floating point, compared rounded to 6 decimals unless a rule says otherwise.
    Float,
    Bool,
    Date,
    /// A timestamp in UTC with this many fractional-second digits.
    Timestamp(u32),
    Uuid,
    /// Fixed-width text: trailing spaces are padding.
    Char,
    Text,
}

/// Decimals a float is compared at by default.
pub const FLOAT_DECIMALS: u32 = 6;

/// The class of one side's column from its declared type.
pub fn classify(engine: Engine, info: &ColumnInfo) -> Class {
    let t = info.data_type.as_str();
    let scale = info.scale.unwrap_or(0);
    let has = |w: &str| t.contains(w);
    match engine {
        Engine::Postgres => match t {
            "smallint" | "integer" | "bigint" => Class::Int,
            "numeric" => Class::Decimal(info.scale.unwrap_or(FLOAT_DECIMALS)),
            "real" | "double precision" => Class::Float,
            "boolean" => Class::Bool,
            "date" => Class::Date,
            _ if t.starts_with("timestamp") => Class::Timestamp(info.time_precision.unwrap_or(6)),
            "uuid" => Class::Uuid,
            "character" => Class::Char,
            _ => Class::Text,
        },
        Engine::MySql => {
            if t == "tinyint(1)" || t.starts_with("bit(1)") {
                Class::Bool
            } else if ["tinyint", "smallint", "mediumint", "int", "bigint"]
                .iter()
                .any(|p| t.starts_with(p))
            {
                Class::Int
            } else if t.starts_with("decimal") || t.starts_with("numeric") {
                Class::Decimal(scale)
            } else if t.starts_with("float") || t.starts_with("double") || t.starts_with("real") {
                Class::Float
            } else if t == "date" {
                Class::Date
            } else if t.starts_with("datetime") || t.starts_with("timestamp") {
                Class::Timestamp(info.time_precision.unwrap_or(0))
            } else if t == "uuid" {
                Class::Uuid
            } else if t.starts_with("char") {
                Class::Char
            } else {
                Class::Text
            }
        }
        Engine::Sqlite => {
            if has("bool") {
                Class::Bool
            } else if has("int") {
                Class::Int
            } else if has("dec") || has("numeric") {
                Class::Decimal(sqlite_scale(t).unwrap_or(FLOAT_DECIMALS))
            } else if has("real") || has("floa") || has("doub") {
                Class::Float
            } else if has("datetime") || has("timestamp") {
                Class::Timestamp(3)
            } else if t == "date" {
                Class::Date
            } else if has("uuid") {
                Class::Uuid
            } else {
                Class::Text
            }
        }
    }
}

/// `decimal(12,2)` → 2.
fn sqlite_scale(t: &str) -> Option<u32> {
    let inner = t.split_once('(')?.1.trim_end_matches(')');
    inner.split_once(',')?.1.trim().parse().ok()
}

/// The class both sides are compared in.
pub fn pair(a: Class, b: Class) -> Class {
    use Class::*;
    match (a, b) {
        (Timestamp(p), Timestamp(q)) => Timestamp(p.min(q)),
        (Decimal(p), Decimal(q)) => Decimal(p.max(q)),
        (x, y) if x == y => x,
        (Bool, Int) | (Int, Bool) => Bool,
        (Uuid, Text | Char) | (Text | Char, Uuid) => Uuid,
        (Decimal(s), Int | Float) | (Int | Float, Decimal(s)) => Decimal(s),
        (Int, Float) | (Float, Int) => Float,
        (Date, Timestamp(_)) | (Timestamp(_), Date) => Date,
        (Char, Text) | (Text, Char) => Char,
        _ => Text,
    }
}

/// Applies the config rules that change the class (`date`, `round:N`, `text`).
pub fn with_rules(class: Class, rules: &[ColumnRule]) -> Class {
    rules.iter().fold(class, |c, r| match r {
        ColumnRule::Date => Class::Date,
        ColumnRule::Round(n) => Class::Decimal(*n),
        ColumnRule::Text => Class::Text,
        ColumnRule::Trim | ColumnRule::Lower => c,
    })
}

/// Quotes a validated identifier (`schema.table` allowed) for an engine.
pub fn quote(engine: Engine, ident: &str) -> String {
    let q = if engine == Engine::MySql { '`' } else { '"' };
    ident
        .split('.')
        .map(|p| format!("{q}{p}{q}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// SQL rendering a value `v` (a column or expression) of native class
/// `native` as the canonical text of class `to`, then the text rules.
pub fn render(engine: Engine, v: &str, native: Class, to: Class, rules: &[ColumnRule]) -> String {
    let text = |x: &str| match engine {
        Engine::Postgres => format!("({x})::text"),
        Engine::MySql => format!("CAST({x} AS CHAR)"),
        Engine::Sqlite => format!("CAST({x} AS TEXT)"),
    };
    let mysql_no_zero = |x: String| format!("CASE WHEN YEAR({v}) = 0 THEN NULL ELSE {x} END");
    let mut out = match to {
        Class::Int | Class::Text => text(v),
        Class::Char => format!("RTRIM({})", text(v)),
        Class::Uuid => format!("LOWER({})", text(v)),
        Class::Bool => {
            let truth = if native == Class::Bool && engine == Engine::Postgres {
                v.to_string()
            } else {
                format!("{v} <> 0")
            };
            format!("CASE WHEN {v} IS NULL THEN NULL WHEN {truth} THEN '1' ELSE '0' END")
        }
        // Same scale on this side: the stored text already has exactly `s` decimals.
        Class::Decimal(s) if native == Class::Decimal(s) && engine != Engine::Sqlite => text(v),
        Class::Decimal(s) => decimal(engine, v, s),
        Class::Float => decimal(engine, v, FLOAT_DECIMALS),
        Class::Date => match engine {
            // Sessions use DateStyle ISO: a date's own text is YYYY-MM-DD.
            Engine::Postgres if native == Class::Date => text(v),
            Engine::Postgres => format!("to_char(({v})::timestamp, 'YYYY-MM-DD')"),
            // A DATE's own text is already YYYY-MM-DD, and cheaper than DATE_FORMAT.
            Engine::MySql if native == Class::Date => mysql_no_zero(text(v)),
            Engine::MySql => mysql_no_zero(format!("DATE_FORMAT({v}, '%Y-%m-%d')")),
            Engine::Sqlite => format!("date({v})"),
        },
        Class::Timestamp(p) => {
            let width = if p == 0 { 19 } else { 20 + p.min(6) };
            match engine {
                Engine::Postgres => {
                    format!("left(to_char(({v})::timestamp, 'YYYY-MM-DD HH24:MI:SS.US'), {width})")
                }
                // A DATETIME(q)'s own text has exactly q fractional digits.
                Engine::MySql => match native {
                    Class::Timestamp(q) if q == p => mysql_no_zero(text(v)),
                    Class::Timestamp(q) if q > p => {
                        mysql_no_zero(format!("LEFT({}, {width})", text(v)))
                    }
                    _ => mysql_no_zero(format!(
                        "LEFT(DATE_FORMAT({v}, '%Y-%m-%d %H:%i:%s.%f'), {width})"
                    )),
                },
                Engine::Sqlite => {
                    format!("substr(strftime('%Y-%m-%d %H:%M:%f', {v}) || '000', 1, {width})")
                }
            }
        }
    };
    for rule in rules {
        out = match rule {
            ColumnRule::Trim => format!("TRIM({out})"),
            ColumnRule::Lower => format!("LOWER({out})"),
            _ => out,
        };
    }
    out
}

fn decimal(engine: Engine, v: &str, s: u32) -> String {
    match engine {
        Engine::Postgres => format!("round(({v})::numeric, {s})::text"),
        Engine::MySql => format!("CAST(CAST({v} AS DECIMAL(65, {s})) AS CHAR)"),
        Engine::Sqlite => format!("printf('%.{s}f', {v})"),
    }
}

/// SQL for the 60-bit integer taken from the MD5 of an encoded row, and the
/// sum of those over a segment as exact text. `None`: the engine has no MD5
/// (SQLite), so rows are streamed and compared here instead.
pub fn checksum(engine: Engine, encoded_row: &str) -> Option<String> {
    match engine {
        Engine::Postgres => Some(format!(
            "COALESCE(SUM(('x' || substr(md5({encoded_row}), 1, 15))::bit(60)::bigint), 0)::text"
        )),
        Engine::MySql => Some(format!(
            "CAST(COALESCE(SUM(CAST(CONV(SUBSTRING(MD5({encoded_row}), 1, 15), 16, 10) AS UNSIGNED)), 0) AS CHAR)"
        )),
        Engine::Sqlite => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(t: &str, scale: Option<u32>, prec: Option<u32>) -> ColumnInfo {
        ColumnInfo {
            name: "c".into(),
            data_type: t.into(),
            scale,
            time_precision: prec,
            charset: None,
        }
    }

    #[test]
    fn engines_agree_on_classes() {
        let pg_bool = classify(Engine::Postgres, &info("boolean", None, None));
        let my_bool = classify(Engine::MySql, &info("tinyint(1)", Some(0), None));
        assert_eq!(pair(pg_bool, my_bool), Class::Bool);
        let pg_ts = classify(
            Engine::Postgres,
            &info("timestamp without time zone", None, Some(6)),
        );
        let my_ts = classify(Engine::MySql, &info("datetime(3)", None, Some(3)));
        assert_eq!(pair(pg_ts, my_ts), Class::Timestamp(3));
        let pg_uuid = classify(Engine::Postgres, &info("uuid", None, None));
        let my_text = classify(Engine::MySql, &info("char(36)", None, None));
        assert_eq!(pair(pg_uuid, my_text), Class::Uuid);
        assert_eq!(pair(Class::Decimal(2), Class::Int), Class::Decimal(2));
        assert_eq!(
            classify(Engine::Sqlite, &info("decimal(12,2)", None, None)),
            Class::Decimal(2)
        );
        assert_eq!(pair(Class::Char, Class::Text), Class::Char);
    }

    #[test]
    fn rules_override_the_class_and_wrap_the_text() {
        assert_eq!(with_rules(Class::Text, &[ColumnRule::Date]), Class::Date);
        assert_eq!(
            with_rules(Class::Float, &[ColumnRule::Round(2)]),
            Class::Decimal(2)
        );
        let sql = render(
            Engine::Postgres,
            "\"n\"",
            Class::Text,
            Class::Text,
            &[ColumnRule::Trim, ColumnRule::Lower],
        );
        assert_eq!(sql, "LOWER(TRIM((\"n\")::text))");
        assert_eq!(quote(Engine::MySql, "ehr.patient"), "`ehr`.`patient`");
    }
}
