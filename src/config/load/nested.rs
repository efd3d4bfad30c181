//! Reading `[[integrity]]` and `[[workflows]]` checks: each check's own
//! keys, then each entry of its inner list (`[[integrity.rules]]`,
//! `[[workflows.steps]]`) on its own, so every mistake in every entry is
//! reported.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::super::errors::Collector;
use super::super::raw::{RawIntegrity, RawIntegrityRule, RawStep, RawWorkflow};
use super::section;

/// A check whose inner list is read entry by entry.
pub(super) trait Nested: DeserializeOwned {
    /// The section, such as `integrity`.
    const WHAT: &str;
    /// The inner list's key, such as `rules`.
    const LIST: &str;
    type Entry: DeserializeOwned;
    /// Keeps the entries that deserialized, and how many did not.
    fn set(&mut self, entries: Vec<Self::Entry>, unreadable: usize);
}

impl Nested for RawIntegrity {
    const WHAT: &str = "integrity";
    const LIST: &str = "rules";
    type Entry = RawIntegrityRule;
    fn set(&mut self, entries: Vec<RawIntegrityRule>, unreadable: usize) {
        (self.rules, self.unreadable_rules) = (entries, unreadable);
    }
}

impl Nested for RawWorkflow {
    const WHAT: &str = "workflows";
    const LIST: &str = "steps";
    type Entry = RawStep;
    fn set(&mut self, entries: Vec<RawStep>, unreadable: usize) {
        (self.steps, self.unreadable_steps) = (entries, unreadable);
    }
}

/// The array of checks; an entry that does not deserialize is left out
/// (its error recorded).
pub(super) fn tables<T: Nested>(c: &mut Collector, value: Spanned<DeValue<'_>>) -> Vec<T> {
    let what = T::WHAT;
    let message = format!("`{what}` must be an array of tables: write [[{what}]]");
    let items = array(c, value, &message);
    items.into_iter().filter_map(|v| check::<T>(c, v)).collect()
}

fn array<'i>(
    c: &mut Collector,
    value: Spanned<DeValue<'i>>,
    message: &str,
) -> Vec<Spanned<DeValue<'i>>> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items.iter().cloned().collect(),
        _ => {
            c.at(span, message, None);
            Vec::new()
        }
    }
}

fn check<T: Nested>(c: &mut Collector, value: Spanned<DeValue<'_>>) -> Option<T> {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        c.at(
            span,
            format!("expected a table: write [[{}]]", T::WHAT),
            None,
        );
        return None;
    };
    let mut own = DeTable::new();
    let mut list = None;
    for (k, v) in table {
        if k.get_ref() == T::LIST {
            list = Some(v);
        } else {
            own.insert(k, v);
        }
    }
    let (entries, unreadable) = match list {
        Some(l) => entries::<T>(c, l),
        None => (Vec::new(), 0),
    };
    let mut raw = section::<T>(c, Spanned::new(span, DeValue::Table(own)))?;
    raw.set(entries, unreadable);
    Some(raw)
}

/// The entries that deserialize, and how many did not.
fn entries<T: Nested>(c: &mut Collector, value: Spanned<DeValue<'_>>) -> (Vec<T::Entry>, usize) {
    let (what, list) = (T::WHAT, T::LIST);
    let message = format!("`{list}` must be an array of tables: write [[{what}.{list}]]");
    if !matches!(value.get_ref(), DeValue::Array(_)) {
        c.at(value.span(), message, None);
        return (Vec::new(), 1);
    }
    let items = array(c, value, &message);
    let total = items.len();
    let read: Vec<_> = items
        .into_iter()
        .filter_map(|v| section::<T::Entry>(c, v))
        .collect();
    let unreadable = total - read.len();
    (read, unreadable)
}
