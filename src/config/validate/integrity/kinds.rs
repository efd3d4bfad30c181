//! Each rule kind's keys, turned into its typed [`RuleSpec`].

use std::collections::HashSet;
use std::time::Duration;

use super::super::super::Ident;
use super::super::super::errors::Collector;
use super::super::super::integrity::{
    Builtin, DateBound, MAX_CODE_SET, MatchExpr, RefCast, RuleSpec, SqlFilter, TableName,
    ValidityTest,
};
use super::super::super::raw::{RawIntegrityRule, RawRatio, S};
use super::super::{duration, tolerance};
use super::{ident, keys, needs, non_empty, optional, parsed};

pub(super) fn duplicates(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[("key", r.key.is_some()), ("match", r.r#match.is_some())],
    );
    let key = ident(c, &r.key);
    let tolerance = tolerance(c, r.tolerance.as_ref());
    let matches = r.r#match.as_ref().and_then(|list| {
        let items = non_empty(c, list, "match")?;
        let parsed: Vec<_> = items
            .iter()
            .map(|m| parsed(c, m, MatchExpr::parse))
            .collect();
        parsed.into_iter().collect::<Option<Vec<_>>>()
    });
    complete.then_some(())?;
    Some(RuleSpec::Duplicates {
        key: key?,
        matches: matches?,
        tolerance: tolerance?,
    })
}

pub(super) fn orphans(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[
            ("key", r.key.is_some()),
            ("column", r.column.is_some()),
            ("ref_table", r.ref_table.is_some()),
            ("ref_column", r.ref_column.is_some()),
        ],
    );
    let key = ident(c, &r.key);
    let column = ident(c, &r.column);
    let ref_column = ident(c, &r.ref_column);
    let ref_table = r
        .ref_table
        .as_ref()
        .and_then(|t| parsed(c, t, TableName::parse));
    let cast = optional(c, &r.cast, |s| match s {
        "integer" => Ok(RefCast::Integer),
        "text" => Ok(RefCast::Text),
        _ => Err(format!(
            "`{s}` is not a cast: use \"integer\" (text holding digits) or \"text\""
        )),
    });
    let ref_filter = optional(c, &r.ref_where, SqlFilter::parse);
    let tolerance = tolerance(c, r.tolerance.as_ref());
    complete.then_some(())?;
    Some(RuleSpec::Orphans {
        key: key?,
        column: column?,
        ref_table: ref_table?,
        ref_column: ref_column?,
        cast: cast?,
        ref_filter: ref_filter?,
        tolerance: tolerance?,
    })
}

pub(super) fn completeness(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[("key", r.key.is_some()), ("fields", r.fields.is_some())],
    );
    let key = ident(c, &r.key);
    let fields = r.fields.as_ref().and_then(|list| {
        let items = non_empty(c, list, "fields")?;
        let parsed: Vec<_> = items.iter().map(|f| parsed(c, f, Ident::parse)).collect();
        parsed.into_iter().collect::<Option<Vec<_>>>()
    });
    if let (Some(fields), Some(list)) = (&fields, &r.fields) {
        let unique: HashSet<_> = fields.iter().collect();
        if unique.len() < fields.len() {
            c.at(list.span(), "a field is listed twice", None);
        }
    }
    let min_ratio = match &r.min_ratio {
        None => Some(1.0),
        Some(raw) => ratio(c, raw),
    };
    complete.then_some(())?;
    Some(RuleSpec::Completeness {
        key: key?,
        fields: fields?,
        min_ratio: min_ratio?,
    })
}

pub(super) fn freshness(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[
            ("column", r.column.is_some()),
            ("max_age", r.max_age.is_some()),
        ],
    );
    let column = ident(c, &r.column);
    let max_age = duration(c, &r.max_age, Duration::ZERO);
    complete.then_some(())?;
    Some(RuleSpec::Freshness {
        column: column?,
        max_age: max_age?,
    })
}

pub(super) fn validity(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[("key", r.key.is_some()), ("column", r.column.is_some())],
    );
    let key = ident(c, &r.key);
    let column = ident(c, &r.column);
    let tolerance = tolerance(c, r.tolerance.as_ref());
    let test = validity_test(c, r);
    complete.then_some(())?;
    Some(RuleSpec::Validity {
        key: key?,
        column: column?,
        test: test?,
        tolerance: tolerance?,
    })
}

fn validity_test(c: &mut Collector, r: &RawIntegrityRule) -> Option<ValidityTest> {
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
        [_] => keys::validity_one(c, r),
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

fn ratio(c: &mut Collector, raw: &S<RawRatio>) -> Option<f64> {
    let value = match raw.get_ref() {
        RawRatio::Number(n) => Some(*n),
        RawRatio::Text(t) => t
            .trim()
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<f64>().ok())
            .map(|p| p / 100.0),
    };
    let ok = value.filter(|v| v.is_finite() && (0.0..=1.0).contains(v));
    if ok.is_none() {
        c.at(
            raw.span(),
            "min_ratio must be a share from 0 to 1 or a percentage",
            Some("write min_ratio = 0.995 or min_ratio = \"99.5%\""),
        );
    }
    ok
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
