//! A validity rule's one test (a pattern, a code set, a builtin or a
//! mapping table) and the keys that belong to that test only.

use toml::Spanned;

use super::super::super::errors::Collector;
use super::super::super::integrity::{
    Builtin, DateBound, MAX_CODE_SET, SqlFilter, TableName, ValidityTest,
};
use super::super::super::raw::{RawIntegrityRule, S};
use super::keys::span_of;
use super::{ident, needs, non_empty, optional, parsed};

pub(super) fn validity_test(c: &mut Collector, r: &RawIntegrityRule) -> Option<ValidityTest> {
    let given: Vec<(&str, std::ops::Range<usize>)> = [
        ("pattern", r.pattern.as_ref().map(|s| s.span())),
        ("values", r.values.as_ref().map(|s| s.span())),
        ("builtin", r.builtin.as_ref().map(|s| s.span())),
        ("mapping_table", r.mapping_table.as_ref().map(|s| s.span())),
    ]
    .into_iter()
    .filter_map(|(k, s)| s.map(|s| (k, s)))
    .collect();
    let hint = "a validity rule takes one of pattern, values, builtin or mapping_table";
    match given.as_slice() {
        [] => {
            c.at(
                r.name.span(),
                format!(
                    "rule `{}` (validity) says nothing to test",
                    r.name.get_ref()
                ),
                Some(hint),
            );
            None
        }
        [_] => validity_one(c, r),
        [_, (second, span), ..] => {
            c.at(
                span.clone(),
                format!("`{second}` cannot be combined with `{}`", given[0].0),
                Some(hint),
            );
            None
        }
    }
}

/// The one test a validity rule names, with the keys that belong to it only.
pub(super) fn validity_one(c: &mut Collector, r: &RawIntegrityRule) -> Option<ValidityTest> {
    let is_date_range = r
        .builtin
        .as_ref()
        .is_some_and(|b| b.get_ref() == "date_range");
    let mut stray = Vec::new();
    if !is_date_range {
        for (key, span) in [
            ("min", span_of(&r.min)),
            ("max", span_of(&r.max)),
            ("placeholders", span_of(&r.placeholders)),
        ] {
            stray.extend(span.map(|s| (key, s, "builtin = \"date_range\"")));
        }
    }
    if r.mapping_table.is_none() {
        for (key, span) in [
            ("mapping_column", span_of(&r.mapping_column)),
            ("mapping_where", span_of(&r.mapping_where)),
        ] {
            stray.extend(span.map(|s| (key, s, "mapping_table")));
        }
    }
    for (key, span, with) in &stray {
        c.at(
            span.clone(),
            format!("`{key}` applies only with {with}"),
            None,
        );
    }
    let test = if let Some(p) = &r.pattern {
        pattern(c, p)
    } else if let Some(v) = &r.values {
        code_set(c, v).map(ValidityTest::Values)
    } else if let Some(b) = &r.builtin {
        builtin(c, r, b)
    } else if let Some(t) = &r.mapping_table {
        mapping(c, r, t)
    } else {
        None
    };
    stray.is_empty().then_some(test)?
}

fn mapping(
    c: &mut Collector,
    r: &RawIntegrityRule,
    table: &Spanned<String>,
) -> Option<ValidityTest> {
    let complete = needs(c, r, &[("mapping_column", r.mapping_column.is_some())]);
    let table = parsed(c, table, TableName::parse);
    let column = ident(c, &r.mapping_column);
    let filter = optional(c, &r.mapping_where, SqlFilter::parse);
    complete.then_some(())?;
    Some(ValidityTest::Mapping {
        table: table?,
        column: column?,
        filter: filter?,
    })
}

/// A builtin test, with the date-range keys when it is `date_range`.
pub(super) fn builtin(
    c: &mut Collector,
    r: &RawIntegrityRule,
    raw: &S<String>,
) -> Option<ValidityTest> {
    if raw.get_ref() == "date_range" {
        let min = match &r.min {
            None => date("1900-01-01").ok(),
            Some(m) => parsed(c, m, date),
        };
        let max = match &r.max {
            None => Some(DateBound::Today),
            Some(m) if m.get_ref() == "today" => Some(DateBound::Today),
            Some(m) => parsed(c, m, date).map(DateBound::Date),
        };
        let placeholders = match &r.placeholders {
            None => Some(vec![date("1900-01-01").ok()?]),
            Some(list) => {
                let parsed: Vec<_> = list.get_ref().iter().map(|d| parsed(c, d, date)).collect();
                parsed.into_iter().collect::<Option<Vec<_>>>()
            }
        };
        if let (Some(lo), Some(DateBound::Date(hi)), Some(m)) = (&min, &max, &r.max)
            && lo > hi
        {
            c.at(m.span(), "max is before min", None);
            return None;
        }
        return Some(ValidityTest::DateRange {
            min: min?,
            max: max?,
            placeholders: placeholders?,
        });
    }
    parsed(c, raw, |s| {
        Builtin::parse(s)
            .ok_or_else(|| format!("`{s}` is not a builtin test: use one of {}", Builtin::NAMES))
    })
    .map(ValidityTest::Builtin)
}

fn date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date: write YYYY-MM-DD"))
}

/// A code set: non-empty, bounded, no blank values.
pub(super) fn code_set(c: &mut Collector, raw: &S<Vec<String>>) -> Option<Vec<String>> {
    let values = non_empty(c, raw, "values")?;
    if values.len() > MAX_CODE_SET {
        c.at(
            raw.span(),
            format!("`values` holds more than {MAX_CODE_SET} codes"),
            Some("put a large code set in a table and use mapping_table"),
        );
        return None;
    }
    if values.iter().any(|v| v.trim().is_empty()) {
        c.at(
            raw.span(),
            "`values` holds a blank value",
            Some("blank values are never judged by validity: completeness covers them"),
        );
        return None;
    }
    Some(values.to_vec())
}

pub(super) fn pattern(c: &mut Collector, raw: &S<String>) -> Option<ValidityTest> {
    parsed(c, raw, |p| {
        if p.is_empty() {
            return Err("the pattern is empty".into());
        }
        regex::Regex::new(p)
            .map(|_| ValidityTest::Pattern(p.to_string()))
            .map_err(|e| {
                let first = e.to_string();
                let last = first.lines().last().unwrap_or_default().trim().to_string();
                format!("the pattern is not a regular expression: {last}")
            })
    })
}
