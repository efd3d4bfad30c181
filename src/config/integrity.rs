//! Typed `[[integrity]]` checks: rules that judge one system's own data
//! (duplicates, orphans, completeness, validity, freshness).
//!
//! Every table and column name here is an [`Ident`]: the checks build SQL
//! from them, so they are restricted at load to characters that cannot end
//! a quoted identifier. Row filters (`where`) are the operator's own SQL,
//! checked to be one self-contained expression ([`SqlFilter`]).

use std::fmt;
use std::time::Duration;

use chrono::NaiveDate;

use super::{CronSchedule, Name, Tolerance};

/// Sample keys kept per rule when `sample_keys` is not set.
pub const DEFAULT_SAMPLE_KEYS: usize = 20;
/// Upper bound on `sample_keys`: samples are for people to look at.
pub const MAX_SAMPLE_KEYS: usize = 1000;
/// Upper bound on a `values` code set; larger sets belong in a mapping table.
pub const MAX_CODE_SET: usize = 1000;

/// One `[[integrity]]` check: rules run one after another on one source.
#[derive(Debug, Clone)]
pub struct IntegrityConfig {
    pub name: Name,
    pub description: Option<String>,
    pub schedule: CronSchedule,
    pub timeout: Duration,
    pub enabled: bool,
    /// The source whose data is judged.
    pub from: Name,
    /// At most this many record keys (or duplicate clusters) per rule in details.
    pub sample_keys: usize,
    pub rules: Vec<IntegrityRule>,
}

/// One `[[integrity.rules]]` entry.
#[derive(Debug, Clone)]
pub struct IntegrityRule {
    /// Unique within its check; a metric label.
    pub name: Name,
    pub description: Option<String>,
    pub table: TableName,
    /// Rows of `table` the rule looks at; all rows when absent.
    pub filter: Option<SqlFilter>,
    pub spec: RuleSpec,
}

/// What a rule looks for, with the keys of its kind.
#[derive(Debug, Clone)]
pub enum RuleSpec {
    /// Clusters of rows whose normalized match values are equal.
    Duplicates {
        key: Ident,
        matches: Vec<MatchExpr>,
        /// On the number of clusters.
        tolerance: Tolerance,
    },
    /// Rows whose non-empty reference has no row in the referenced table.
    Orphans {
        key: Ident,
        column: Ident,
        ref_table: TableName,
        ref_column: Ident,
        cast: Option<RefCast>,
        ref_filter: Option<SqlFilter>,
        tolerance: Tolerance,
    },
    /// The share of rows with each field present (not NULL, not blank).
    Completeness {
        key: Ident,
        fields: Vec<Ident>,
        /// Each field's share of present values must be at least this (0..=1).
        min_ratio: f64,
    },
    /// Values (not NULL, not blank) that fail a test.
    Validity {
        key: Ident,
        column: Ident,
        test: ValidityTest,
        tolerance: Tolerance,
    },
    /// The newest value of a timestamp column must be recent.
    Freshness { column: Ident, max_age: Duration },
}

/// How a validity rule judges one value.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidityTest {
    /// A regular expression the whole value must match (write `^…$`).
    Pattern(String),
    /// The allowed values.
    Values(Vec<String>),
    /// A known code shape or check digit.
    Builtin(Builtin),
    /// An ISO date (or timestamp) within bounds and not a placeholder.
    DateRange {
        /// Earliest accepted date (inclusive).
        min: NaiveDate,
        /// Latest accepted date (inclusive).
        max: DateBound,
        placeholders: Vec<NaiveDate>,
    },
    /// The value must appear in a column of a mapping table.
    Mapping {
        table: TableName,
        column: Ident,
        filter: Option<SqlFilter>,
    },
}

/// Built-in code checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// ICD-10-CM code shape, such as `E11.9` or `S72001A`.
    Icd10Cm,
    /// LOINC code with its mod-10 check digit, such as `2160-0`.
    Loinc,
    /// US National Provider Identifier: 10 digits, Luhn check with prefix 80840.
    Npi,
    /// US ZIP or ZIP+4.
    Zip,
    /// US (NANP) phone number.
    Phone,
}

impl Builtin {
    pub const NAMES: &'static str = "icd10cm, loinc, npi, zip, phone, date_range";

    pub fn parse(s: &str) -> Option<Builtin> {
        match s {
            "icd10cm" => Some(Builtin::Icd10Cm),
            "loinc" => Some(Builtin::Loinc),
            "npi" => Some(Builtin::Npi),
            "zip" => Some(Builtin::Zip),
            "phone" => Some(Builtin::Phone),
            _ => None,
        }
    }
}

/// The upper bound of a date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    /// The UTC date when the rule runs.
    Today,
    Date(NaiveDate),
}

/// How an orphan rule compares a reference with the referenced key when
/// their types differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefCast {
    /// The reference is text holding digits: read it as an integer
    /// (text that is not all digits does not resolve).
    Integer,
    /// Compare both sides as text.
    Text,
}

/// One duplicate match expression: a column and how it is normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchExpr {
    pub normalize: Normalize,
    pub column: Ident,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalize {
    /// The value as stored.
    Exact,
    /// Trimmed and lowercased text.
    LowerTrim,
    /// The first letter of the trimmed text, lowercased.
    Initial,
    /// The date part of a date or timestamp.
    Date,
}

impl Normalize {
    pub const NAMES: &'static str = "lower_trim, initial, date";

    pub fn parse(s: &str) -> Option<Normalize> {
        match s {
            "lower_trim" => Some(Normalize::LowerTrim),
            "initial" => Some(Normalize::Initial),
            "date" => Some(Normalize::Date),
            _ => None,
        }
    }

    /// Whether the normalized value is text, where blank means absent.
    pub fn is_text(self) -> bool {
        matches!(self, Normalize::LowerTrim | Normalize::Initial)
    }
}

impl MatchExpr {
    /// Reads `column` or `function(column)`.
    pub fn parse(s: &str) -> Result<MatchExpr, String> {
        let s = s.trim();
        let Some((func, rest)) = s.split_once('(') else {
            return Ok(MatchExpr {
                normalize: Normalize::Exact,
                column: Ident::parse(s)?,
            });
        };
        let inner = rest
            .strip_suffix(')')
            .ok_or_else(|| format!("`{s}` lacks its closing parenthesis"))?;
        let normalize = Normalize::parse(func.trim()).ok_or_else(|| {
            format!(
                "`{}` is not a match function: use {} or a bare column",
                func.trim(),
                Normalize::NAMES
            )
        })?;
        Ok(MatchExpr {
            normalize,
            column: Ident::parse(inner.trim())?,
        })
    }
}

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
    fn match_expressions() {
        let m = MatchExpr::parse("lower_trim(family)").unwrap();
        assert_eq!(m.normalize, Normalize::LowerTrim);
        assert_eq!(m.column.as_str(), "family");
        assert_eq!(
            MatchExpr::parse(" birth_date ").unwrap().normalize,
            Normalize::Exact
        );
        assert_eq!(
            MatchExpr::parse("initial( given )").unwrap().normalize,
            Normalize::Initial
        );
        assert!(MatchExpr::parse("soundex(family)").is_err());
        assert!(MatchExpr::parse("lower_trim(family").is_err());
        assert!(MatchExpr::parse("lower_trim(a, b)").is_err());
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
}
