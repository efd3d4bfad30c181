//! Typed `[[integrity]]` checks: rules that judge one system's own data
//! (duplicates, orphans, completeness, validity, freshness).
//!
//! Every table and column name here is an [`Ident`]: the checks build SQL
//! from them, so they are restricted at load to characters that cannot end
//! a quoted identifier. Row filters (`where`) are the operator's own SQL,
//! checked to be one self-contained expression ([`SqlFilter`]).

use std::time::Duration;

use chrono::NaiveDate;

use super::{CronSchedule, Name, Tolerance};

pub mod empi;
mod sql_names;

pub use empi::{EmpiSpec, PersonColumns};
pub use sql_names::{Ident, SqlFilter, TableName, one_statement};

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
    /// The column naming each row's clinic (a code of `[[clinics]]`): the
    /// rule's problems are then counted per clinic too.
    pub clinic: Option<Ident>,
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
    /// Pairs of rows that probably stand for one person (fuzzy, scored).
    ProbableDuplicates(Box<EmpiSpec>),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
