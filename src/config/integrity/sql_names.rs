//! Names and fragments the integrity checks write into SQL: identifiers
//! they quote themselves, and the operator's row filters, each checked so it
//! cannot end or escape the statement it is placed in.

use std::fmt;

/// A SQL identifier hypercare quotes itself: an ASCII letter or `_`, then
/// letters, digits or `_`, at most 63 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ident(String);

impl Ident {
    pub fn parse(s: &str) -> Result<Ident, String> {
        let first_ok = s
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let rest_ok = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok || !rest_ok || s.len() > 63 {
            return Err(format!(
                "`{s}` is not a plain SQL identifier: use a letter or `_`, then letters, digits or `_` (at most 63)"
            ));
        }
        Ok(Ident(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A table, optionally schema-qualified (`schema.table`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    pub schema: Option<Ident>,
    pub table: Ident,
}

impl TableName {
    pub fn parse(s: &str) -> Result<TableName, String> {
        match s.split_once('.') {
            None => Ok(TableName {
                schema: None,
                table: Ident::parse(s)?,
            }),
            Some((schema, table)) => Ok(TableName {
                schema: Some(Ident::parse(schema)?),
                table: Ident::parse(table)?,
            }),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.table),
            None => write!(f, "{}", self.table),
        }
    }
}

/// A row filter written by the operator: one SQL boolean expression with
/// balanced quotes and parentheses, and no `;` or comment outside quotes,
/// so it cannot end or swallow the statement it is placed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFilter(String);

impl SqlFilter {
    pub fn parse(s: &str) -> Result<SqlFilter, String> {
        if s.trim().is_empty() {
            return Err("the filter is empty: leave the key out to check every row".into());
        }
        let mut depth = 0i32;
        let mut quote: Option<char> = None;
        let mut chars = s.chars().peekable();
        while let Some(ch) = chars.next() {
            // MySQL reads a backslash in a literal as an escape, which would
            // make it see quotes where this scanner does not.
            if ch == '\\' {
                return Err("backslashes are not allowed".into());
            }
            if let Some(q) = quote {
                if ch == q {
                    // A doubled quote is an escaped quote inside the literal.
                    if chars.peek() == Some(&q) {
                        chars.next();
                    } else {
                        quote = None;
                    }
                }
                continue;
            }
            match ch {
                '\'' | '"' | '`' => quote = Some(ch),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return Err("a `)` closes a parenthesis that was not opened".into());
                    }
                }
                ';' => return Err("`;` is not allowed: write one expression".into()),
                '-' if chars.peek() == Some(&'-') => {
                    return Err("SQL comments (`--`) are not allowed".into());
                }
                '/' if chars.peek() == Some(&'*') => {
                    return Err("SQL comments (`/*`) are not allowed".into());
                }
                '#' => return Err("`#` is not allowed (a comment in MySQL)".into()),
                _ => {}
            }
        }
        if quote.is_some() {
            return Err("a quote is not closed".into());
        }
        if depth != 0 {
            return Err("a parenthesis is not closed".into());
        }
        Ok(SqlFilter(s.trim().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks that a query from config is one statement (a trailing `;` is
/// fine). SQLite runs every `;`-separated statement of a query text, so a
/// second one (`…; DELETE …`) would run with the source's connection.
/// Scanned twice, with and without backslash escapes in literals (MySQL
/// reads `\'` as a quote, PostgreSQL and SQLite do not), and refused if
/// either reading finds a second statement.
pub fn one_statement(s: &str) -> Result<(), String> {
    for backslash_escapes in [false, true] {
        if statements(s, backslash_escapes) > 1 {
            return Err("one statement only: nothing may follow a `;`".into());
        }
    }
    Ok(())
}

/// How many statements hold anything but blanks and comments.
fn statements(s: &str, backslash_escapes: bool) -> usize {
    let (mut count, mut current_has_text) = (0, false);
    let mut quote: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        if let Some(q) = quote {
            if backslash_escapes && ch == '\\' {
                chars.next();
            } else if ch == q && chars.next_if_eq(&q).is_none() {
                quote = None;
            }
            continue;
        }
        match ch {
            '-' if chars.peek() == Some(&'-') => {
                chars.by_ref().find(|c| *c == '\n');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                chars
                    .by_ref()
                    .find(|c| std::mem::replace(&mut prev, *c) == '*' && *c == '/');
            }
            ';' => {
                count += usize::from(current_has_text);
                current_has_text = false;
            }
            c if c.is_whitespace() => {}
            c => {
                current_has_text = true;
                if matches!(c, '\'' | '"' | '`') {
                    quote = Some(c);
                }
            }
        }
    }
    count + usize::from(current_has_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_plain() {
        for ok in ["patient", "_x", "DOB", "pc_pid2"] {
            assert!(Ident::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1a",
            "a-b",
            "a b",
            "a\"b",
            "a`b",
            "a;b",
            "ä",
            &"x".repeat(64),
        ] {
            assert!(Ident::parse(bad).is_err(), "{bad:?}");
        }
        let t = TableName::parse("public.patient").unwrap();
        assert_eq!(t.schema.unwrap().as_str(), "public");
        assert!(TableName::parse("a.b.c").is_err());
        assert!(TableName::parse(".b").is_err());
    }

    #[test]
    fn filters_are_one_expression() {
        for ok in [
            "deleted = 0",
            "status IN ('a', 'b')",
            "note <> 'it''s; -- fine'",
            "(a = 1 OR b = 2) AND \"c\" IS NULL",
        ] {
            assert!(SqlFilter::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "  ",
            "a = 1; DROP TABLE x",
            "a = 1 --",
            "a = 1 /* x */",
            "a = 'x",
            "(a = 1",
            "a = 1)",
            "a = 1) OR (1 = 1",
            "a = 1 # x",
            "x = 'a\\'' OR 1 = 1",
        ] {
            assert!(SqlFilter::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn queries_are_one_statement() {
        for ok in [
            "SELECT COUNT(*) FROM patient",
            "SELECT COUNT(*) FROM patient;",
            "SELECT 1; -- a note",
            "SELECT ';' AS a, \"x;y\" FROM t /* ; */",
            "SELECT 'it''s; fine'",
        ] {
            assert!(one_statement(ok).is_ok(), "{ok}");
        }
        for bad in [
            "SELECT 1; DELETE FROM patient",
            "SELECT 1;DELETE FROM patient;",
            "SELECT 1 /* x */; UPDATE t SET a = 1",
            // PostgreSQL/SQLite: the literal ends at the second quote.
            "SELECT 'a\\'; DELETE FROM t; SELECT '",
            // MySQL: the backslash escapes the quote.
            "SELECT 'a\\''; DELETE FROM t; SELECT ''",
        ] {
            assert!(one_statement(bad).is_err(), "{bad:?}");
        }
    }
}
