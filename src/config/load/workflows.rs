//! Reading `[[workflows]]` checks: each check's own keys, then each of its
//! `[[workflows.steps]]` on its own, so every mistake in every step is reported.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::super::errors::Collector;
use super::super::raw::{RawStep, RawWorkflow};
use super::section;

/// The `[[workflows]]` array; an entry that does not deserialize is left out
/// (its error recorded).
pub(super) fn tables(c: &mut Collector, value: Spanned<DeValue<'_>>) -> Vec<RawWorkflow> {
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        c.at(
            span,
            "`workflows` must be an array of tables: write [[workflows]]",
            None,
        );
        return Vec::new();
    };
    let items: Vec<_> = items.iter().cloned().collect();
    items.into_iter().filter_map(|v| check(c, v)).collect()
}

fn check(c: &mut Collector, value: Spanned<DeValue<'_>>) -> Option<RawWorkflow> {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        c.at(span, "expected a table: write [[workflows]]", None);
        return None;
    };
    let mut own = DeTable::new();
    let mut steps = None;
    for (k, v) in table {
        if k.get_ref() == "steps" {
            steps = Some(v);
        } else {
            own.insert(k, v);
        }
    }
    let steps = match steps {
        Some(r) => step_list(c, r),
        None => (Vec::new(), 0),
    };
    let mut raw = section::<RawWorkflow>(c, Spanned::new(span, DeValue::Table(own)))?;
    (raw.steps, raw.unreadable_steps) = steps;
    Some(raw)
}

/// The steps that deserialize, and how many did not.
fn step_list(c: &mut Collector, value: Spanned<DeValue<'_>>) -> (Vec<RawStep>, usize) {
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        c.at(
            span,
            "`steps` must be an array of tables: write [[workflows.steps]]",
            None,
        );
        return (Vec::new(), 1);
    };
    let items: Vec<_> = items.iter().cloned().collect();
    let total = items.len();
    let steps: Vec<_> = items
        .into_iter()
        .filter_map(|v| section::<RawStep>(c, v))
        .collect();
    let unreadable = total - steps.len();
    (steps, unreadable)
}
