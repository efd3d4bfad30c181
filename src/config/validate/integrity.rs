//! Validating `[[integrity]]` checks and their rules: every key of the rule's
//! kind, every identifier the SQL is built from, every filter, pattern and date.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use toml::Spanned;

use super::super::errors::Collector;
use super::super::integrity::{
    Builtin, DEFAULT_SAMPLE_KEYS, DateBound, IntegrityConfig, IntegrityRule, MAX_CODE_SET,
    MAX_SAMPLE_KEYS, MatchExpr, RefCast, RuleSpec, SqlFilter, TableName, ValidityTest,
};
use super::super::raw::{RawIntegrity, RawIntegrityRule, RawRatio, S};
use super::super::{Ident, Name, SourceConfig};
use super::{cron, duration, name_at, tolerance};

mod keys;

use keys::Kind;

pub(in crate::config) fn check(
    c: &mut Collector,
    raw: RawIntegrity,
    sources: &BTreeMap<Name, SourceConfig>,
    declared: &[String],
    default_timeout: Duration,
) -> Option<IntegrityConfig> {
    let name = name_at(c, &raw.name, "check");
    let schedule = cron(c, &raw.schedule);
    let timeout = duration(c, &raw.timeout, default_timeout);
    let from = source_ref(c, &raw.from, sources, declared);
    let sample_keys = match &raw.sample_keys {
        None => Some(DEFAULT_SAMPLE_KEYS),
        Some(n) if *n.get_ref() as usize > MAX_SAMPLE_KEYS => {
            c.at(
                n.span(),
                format!("sample_keys must be at most {MAX_SAMPLE_KEYS}"),
                Some("samples are for people to look at; counts cover the rest"),
            );
            None
        }
        Some(n) => Some(*n.get_ref() as usize),
    };
    if raw.rules.is_empty() && raw.unreadable_rules == 0 {
        c.at(
            raw.name.span(),
            format!("check `{}` has no rules", raw.name.get_ref()),
            Some("add [[integrity.rules]] entries after it, each with a name, kind and table"),
        );
    }
    let mut seen = HashSet::new();
    let mut rules = Vec::new();
    let mut all_ok = true;
    for r in raw.rules {
        if !seen.insert(r.name.get_ref().clone()) {
            c.at(
                r.name.span(),
                format!(
                    "rule name `{}` is used twice in this check",
                    r.name.get_ref()
                ),
                Some("rule names label the rule's metrics: each needs its own"),
            );
        }
        match rule(c, r) {
            Some(rule) => rules.push(rule),
            None => all_ok = false,
        }
    }
    Some(IntegrityConfig {
        name: name?,
        description: raw.description,
        schedule: schedule?,
        timeout: timeout?,
        enabled: raw.enabled.unwrap_or(true),
        from: from?,
        sample_keys: sample_keys?,
        rules: (all_ok && raw.unreadable_rules == 0)
            .then_some(rules)
            .filter(|r| !r.is_empty())?,
    })
}

fn source_ref(
    c: &mut Collector,
    raw: &S<String>,
    sources: &BTreeMap<Name, SourceConfig>,
    declared: &[String],
) -> Option<Name> {
    let from = raw.get_ref();
    if !declared.iter().any(|d| d == from) {
        let hint = if declared.is_empty() {
            "define it as [sources.NAME] with a url".to_string()
        } else {
            format!("known sources: {}", declared.join(", "))
        };
        c.at(raw.span(), format!("unknown source `{from}`"), Some(&hint));
    }
    sources.keys().find(|k| k.as_str() == from).cloned()
}

fn rule(c: &mut Collector, r: RawIntegrityRule) -> Option<IntegrityRule> {
    let name = name_at(c, &r.name, "rule");
    let kind = Kind::parse(r.kind.get_ref());
    let Some(kind) = kind else {
        c.at(
            r.kind.span(),
            format!("`{}` is not a rule kind", r.kind.get_ref()),
            Some(&format!("use one of {}", Kind::NAMES)),
        );
        return None;
    };
    let applicable = keys::check_applicable(c, &r, kind);
    let table = parsed(c, &r.table, TableName::parse);
    let filter = optional(c, &r.r#where, SqlFilter::parse);
    let spec = match kind {
        Kind::Duplicates => duplicates(c, &r),
        Kind::Orphans => orphans(c, &r),
        Kind::Completeness => completeness(c, &r),
        Kind::Validity => validity(c, &r),
        Kind::Freshness => freshness(c, &r),
    };
    applicable.then_some(())?;
    Some(IntegrityRule {
        name: name?,
        description: r.description,
        table: table?,
        filter: filter?,
        spec: spec?,
    })
}

fn duplicates(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
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

fn orphans(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
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

fn completeness(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
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

fn freshness(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
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

fn validity(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
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
fn builtin(c: &mut Collector, r: &RawIntegrityRule, raw: &S<String>) -> Option<ValidityTest> {
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

/// An identifier key: `None` when absent (see [`needs`]) or invalid.
fn ident(c: &mut Collector, raw: &Option<S<String>>) -> Option<Ident> {
    parsed(c, raw.as_ref()?, Ident::parse)
}

/// Records, in one message, the required keys a rule lacks; true if none.
fn needs(c: &mut Collector, r: &RawIntegrityRule, keys: &[(&str, bool)]) -> bool {
    let lacking: Vec<String> = keys
        .iter()
        .filter(|(_, given)| !given)
        .map(|(k, _)| format!("`{k}`"))
        .collect();
    if !lacking.is_empty() {
        c.at(
            r.name.span(),
            format!(
                "rule `{}` ({}) needs {}",
                r.name.get_ref(),
                r.kind.get_ref(),
                lacking.join(" and ")
            ),
            None,
        );
    }
    lacking.is_empty()
}

/// Parses a spanned string, recording the parser's message at its span.
fn parsed<T>(
    c: &mut Collector,
    raw: &Spanned<String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    parse(raw.get_ref())
        .map_err(|e| c.at(raw.span(), e, None))
        .ok()
}

/// `Some(None)` when absent, `Some(Some(v))` when valid, `None` after an error.
fn optional<T>(
    c: &mut Collector,
    raw: &Option<Spanned<String>>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<Option<T>> {
    match raw {
        None => Some(None),
        Some(s) => parsed(c, s, parse).map(Some),
    }
}

fn non_empty<'a, T>(c: &mut Collector, list: &'a S<Vec<T>>, key: &str) -> Option<&'a [T]> {
    if list.get_ref().is_empty() {
        c.at(list.span(), format!("`{key}` is empty"), None);
        return None;
    }
    Some(list.get_ref())
}

/// A code set: non-empty, bounded, no blank values.
fn code_set(c: &mut Collector, raw: &S<Vec<String>>) -> Option<Vec<String>> {
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

fn pattern(c: &mut Collector, raw: &S<String>) -> Option<ValidityTest> {
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

#[cfg(test)]
mod tests;
