//! Validating `[[integrity]]` checks and their rules: every key of the rule's
//! kind, every identifier the SQL is built from, every filter, pattern and date.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use toml::Spanned;

use super::super::errors::Collector;
use super::super::integrity::{
    DEFAULT_SAMPLE_KEYS, IntegrityConfig, IntegrityRule, MAX_SAMPLE_KEYS, SqlFilter, TableName,
};
use super::super::raw::{RawIntegrity, RawIntegrityRule, S};
use super::super::{Ident, Name, SourceConfig};
use super::{cron, duration, name_at};

mod empi;
mod keys;
mod kinds;
mod validity;

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
        match rule(c, r, sources, declared) {
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

pub(super) fn source_ref(
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

fn rule(
    c: &mut Collector,
    r: RawIntegrityRule,
    sources: &BTreeMap<Name, SourceConfig>,
    declared: &[String],
) -> Option<IntegrityRule> {
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
    let clinic = keys::clinic(c, &r, kind);
    let spec = match kind {
        Kind::Duplicates => kinds::duplicates(c, &r),
        Kind::Orphans => kinds::orphans(c, &r),
        Kind::Completeness => kinds::completeness(c, &r),
        Kind::Validity => kinds::validity(c, &r),
        Kind::Freshness => kinds::freshness(c, &r),
        Kind::ProbableDuplicates => empi::probable_duplicates(c, &r, sources, declared),
    };
    applicable.then_some(())?;
    Some(IntegrityRule {
        name: name?,
        description: r.description,
        table: table?,
        filter: filter?,
        clinic: clinic?,
        spec: spec?,
    })
}

/// An identifier key: `None` when absent (see [`needs`]) or invalid.
pub(super) fn ident(c: &mut Collector, raw: &Option<S<String>>) -> Option<Ident> {
    parsed(c, raw.as_ref()?, Ident::parse)
}

/// Records, in one message, the required keys a rule lacks; true if none.
pub(super) fn needs(c: &mut Collector, r: &RawIntegrityRule, keys: &[(&str, bool)]) -> bool {
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
pub(super) fn parsed<T>(
    c: &mut Collector,
    raw: &Spanned<String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    parse(raw.get_ref())
        .map_err(|e| c.at(raw.span(), e, None))
        .ok()
}

/// `Some(None)` when absent, `Some(Some(v))` when valid, `None` after an error.
pub(super) fn optional<T>(
    c: &mut Collector,
    raw: &Option<Spanned<String>>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<Option<T>> {
    match raw {
        None => Some(None),
        Some(s) => parsed(c, s, parse).map(Some),
    }
}

pub(super) fn non_empty<'a, T>(
    c: &mut Collector,
    list: &'a S<Vec<T>>,
    key: &str,
) -> Option<&'a [T]> {
    if list.get_ref().is_empty() {
        c.at(list.span(), format!("`{key}` is empty"), None);
        return None;
    }
    Some(list.get_ref())
}

#[cfg(test)]
mod tests;
