//! What a row hashes to inside the database: one string per row, the same
//! bytes on PostgreSQL and MySQL/MariaDB when the values mean the same.
//!
//! The canonical texts of [`render`] are exact but not free: every value cast
//! to text, every text length-prefixed. A checksum pass reads every row of
//! both tables, so here each value is hashed in the cheapest form that both
//! engines print identically: integers, same-scale decimals, ISO dates and
//! UTF-8 text as stored; booleans as `0`/`1`. Anything else falls back to
//! [`render`]. The row is `CONCAT_WS(',', …)`, which is self-delimiting for
//! every class whose text cannot hold a comma; free text carries its length
//! (all but the last free text: the fields after it are parsed from the
//! right); and a trailing mask of which values are NULL tells NULL from `''`
//! (`CONCAT_WS` skips NULLs). Two different rows never encode the same.

use super::normalize::{Class, render};
use crate::config::{ColumnRule, Engine};

/// Positions per NULL mask (a sum of powers of two that fits 32 bits).
const MASK_BITS: usize = 30;

/// One compared position as one side holds it.
pub struct Position<'a> {
    /// The column (quoted) or the configured expression.
    pub value: &'a str,
    pub native: Class,
    /// The class both sides compare it in.
    pub to: Class,
    pub rules: &'a [ColumnRule],
    /// Whether a text value's bytes are UTF-8 as stored (PostgreSQL
    /// databases are; MySQL says per column), so no conversion is needed.
    pub utf8: bool,
}

/// A position's hashed SQL, and SQL that is 1 when that value is NULL.
pub struct Term {
    pub sql: String,
    pub null: String,
}

fn is_null(engine: Engine, v: &str) -> String {
    match engine {
        Engine::MySql => format!("ISNULL({v})"),
        _ => format!("(({v}) IS NULL)::int"),
    }
}

/// The cheapest SQL for a position's value that prints the same text on
/// both engines (NULL stays NULL). Where the value is the stored column or
/// a function of it that keeps NULLs, the NULL test reads the column, so
/// MariaDB (which does not share subexpressions) computes nothing twice.
pub fn term(engine: Engine, p: &Position) -> Term {
    let v = p.value;
    let of_column = |sql: String| Term {
        sql,
        null: is_null(engine, v),
    };
    let sql = match raw_form(engine, p) {
        Some(sql) => return of_column(sql),
        None => render(engine, v, p.native, p.to, p.rules),
    };
    // MySQL zero dates count as NULL; a DATE or a DATETIME(p) at the common
    // precision prints its own ISO text, no cast needed.
    let own_text = match (p.native, p.to) {
        (Class::Date, Class::Date) => true,
        (Class::Timestamp(q), Class::Timestamp(r)) => q == r,
        _ => false,
    };
    if engine == Engine::MySql && p.rules.is_empty() && own_text {
        return Term {
            sql: format!("CASE WHEN YEAR({v}) = 0 THEN NULL ELSE {v} END"),
            null: format!("COALESCE(YEAR({v}) = 0, 1)"),
        };
    }
    Term {
        null: is_null(engine, &sql),
        sql,
    }
}

/// The stored value, or a NULL-keeping function of it, where both engines
/// print it as the canonical text.
fn raw_form(engine: Engine, p: &Position) -> Option<String> {
    let v = p.value;
    if !p.rules.is_empty() || engine == Engine::Sqlite {
        return None;
    }
    let pg = engine == Engine::Postgres;
    Some(match (p.to, p.native) {
        (Class::Text, Class::Text) if p.utf8 => v.to_string(),
        // Integers and same-scale decimals print the same digits on both.
        (Class::Int, Class::Int) => v.to_string(),
        (Class::Decimal(s), Class::Decimal(n)) if s == n => v.to_string(),
        (Class::Bool, Class::Bool) if pg => format!("({v})::int"),
        (Class::Bool, _) if pg => format!("(({v}) <> 0)::int"),
        (Class::Bool, _) => format!("({v} <> 0)"),
        // Sessions use DateStyle ISO.
        (Class::Date, Class::Date) if pg => v.to_string(),
        (Class::Uuid, Class::Uuid) if pg => v.to_string(),
        (Class::Uuid, Class::Text | Class::Char) if p.utf8 => format!("LOWER({v})"),
        (Class::Char, Class::Char | Class::Text) if p.utf8 => format!("RTRIM({v})"),
        _ => return None,
    })
}

/// Whether a class's text may contain the separator.
fn free_text(class: Class) -> bool {
    matches!(class, Class::Text | Class::Char | Class::Uuid)
}

/// The string a row hashes to, from its positions' [`term`]s and classes.
pub fn encoded_row(engine: Engine, terms: &[Term], classes: &[Class]) -> String {
    // A PostgreSQL uuid has no length function of its own.
    let (concat, length): (_, fn(&str) -> String) = match engine {
        Engine::MySql => ("CONCAT_WS", |t| format!("CHAR_LENGTH({t})")),
        _ => ("concat_ws", |t| format!("char_length(({t})::text)")),
    };
    let last_free = classes.iter().rposition(|c| free_text(*c));
    let mut parts = Vec::with_capacity(terms.len() * 2 + 1);
    for (i, (t, c)) in terms.iter().zip(classes).enumerate() {
        if free_text(*c) && Some(i) != last_free {
            parts.push(length(&t.sql));
        }
        parts.push(t.sql.clone());
    }
    for chunk in terms.chunks(MASK_BITS) {
        parts.push(null_mask(chunk));
    }
    format!("{concat}(',', {})", parts.join(", "))
}

/// Which of up to [`MASK_BITS`] values are NULL, as one integer.
fn null_mask(terms: &[Term]) -> String {
    let bits: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(j, t)| match j {
            0 => t.null.clone(),
            _ => format!("{} * {}", 1u32 << j, t.null),
        })
        .collect();
    format!("({})", bits.join(" + "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_carries_its_length_except_the_last() {
        let terms: Vec<Term> = ["id", "a", "n", "b"]
            .iter()
            .map(|v| Term {
                sql: v.to_string(),
                null: is_null(Engine::MySql, v),
            })
            .collect();
        let classes = [Class::Int, Class::Text, Class::Int, Class::Text];
        let row = encoded_row(Engine::MySql, &terms, &classes);
        assert_eq!(
            row,
            "CONCAT_WS(',', id, CHAR_LENGTH(a), a, n, b, \
             (ISNULL(id) + 2 * ISNULL(a) + 4 * ISNULL(n) + 8 * ISNULL(b)))"
        );
    }

    #[test]
    fn values_are_hashed_as_stored_only_where_both_engines_print_them_alike() {
        let p = |native, to, utf8| Position {
            value: "`c`",
            native,
            to,
            rules: &[],
            utf8,
        };
        let sql = |native, to, utf8| term(Engine::MySql, &p(native, to, utf8)).sql;
        assert_eq!(sql(Class::Text, Class::Text, true), "`c`");
        // latin1 (or unknown) text is converted first.
        assert_eq!(sql(Class::Text, Class::Text, false), "CAST(`c` AS CHAR)");
        assert_eq!(sql(Class::Bool, Class::Bool, true), "(`c` <> 0)");
        assert_eq!(
            sql(Class::Decimal(2), Class::Decimal(4), true),
            "CAST(CAST(`c` AS DECIMAL(65, 4)) AS CHAR)"
        );
        // A zero date is NULL, without casting the others.
        let date = term(Engine::MySql, &p(Class::Date, Class::Date, true));
        assert_eq!(date.sql, "CASE WHEN YEAR(`c`) = 0 THEN NULL ELSE `c` END");
        assert_eq!(date.null, "COALESCE(YEAR(`c`) = 0, 1)");
    }
}
