//! Reading `[[integrity]]` checks: each check's own keys, then each of its
//! `[[integrity.rules]]` on its own, so every mistake in every rule is reported.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::super::errors::Collector;
use super::super::raw::{RawIntegrity, RawIntegrityRule};
use super::section;

/// The `[[integrity]]` array; an entry that does not deserialize is left out
/// (its error recorded).
pub(super) fn tables(c: &mut Collector, value: Spanned<DeValue<'_>>) -> Vec<RawIntegrity> {
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        c.at(
            span,
            "`integrity` must be an array of tables: write [[integrity]]",
            None,
        );
        return Vec::new();
    };
    let items: Vec<_> = items.iter().cloned().collect();
    items.into_iter().filter_map(|v| check(c, v)).collect()
}

fn check(c: &mut Collector, value: Spanned<DeValue<'_>>) -> Option<RawIntegrity> {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        c.at(span, "expected a table: write [[integrity]]", None);
        return None;
    };
    let mut own = DeTable::new();
    let mut rules = None;
    for (k, v) in table {
        if k.get_ref() == "rules" {
            rules = Some(v);
        } else {
            own.insert(k, v);
        }
    }
    let rules = match rules {
        Some(r) => rule_list(c, r),
        None => (Vec::new(), 0),
    };
    let mut raw = section::<RawIntegrity>(c, Spanned::new(span, DeValue::Table(own)))?;
    (raw.rules, raw.unreadable_rules) = rules;
    Some(raw)
}

/// The rules that deserialize, and how many did not.
fn rule_list(c: &mut Collector, value: Spanned<DeValue<'_>>) -> (Vec<RawIntegrityRule>, usize) {
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        c.at(
            span,
            "`rules` must be an array of tables: write [[integrity.rules]]",
            None,
        );
        return (Vec::new(), 1);
    };
    let items: Vec<_> = items.iter().cloned().collect();
    let total = items.len();
    let rules: Vec<_> = items
        .into_iter()
        .filter_map(|v| section::<RawIntegrityRule>(c, v))
        .collect();
    let unreadable = total - rules.len();
    (rules, unreadable)
}
