//! The checks read straight into their typed form: each under the span of
//! its name, for the loader's one-name-per-check rule.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::DeValue;

use super::super::documents::DocumentsConfig;
use super::super::errors::Collector;
use super::super::reconcile::ReconcileText;
use super::super::refs;
use super::tables::{items, key_span, read};

/// `[[reconcile]]`: each read on its own.
pub(super) fn reconcile(
    c: &mut Collector,
    value: Option<Spanned<DeValue<'_>>>,
) -> Vec<Spanned<ReconcileText>> {
    checks(c, "reconcile", value, |_, _| {})
}

/// `[[documents]]`: each read on its own; one without `kinds` is named at
/// its name.
pub(super) fn documents(
    c: &mut Collector,
    value: Option<Spanned<DeValue<'_>>>,
) -> Vec<Spanned<DocumentsConfig>> {
    checks(c, "documents", value, |c, item| {
        if let (Some(name), None) = (text_of(item, "name"), key_span(item, "kinds")) {
            c.at(
                key_span(item, "name").unwrap_or_default(),
                format!("check `{name}` needs `kinds`"),
                Some("map each document kind to the inventory values that mean it, such as kinds = { referral = [\"57133-1\"], lab_report = [\"11502-2\"] }"),
            );
        }
    })
}

/// `[[what]]` checks, each read on its own (after `first` looked at it as
/// written) and kept under its name's span.
fn checks<T: DeserializeOwned>(
    c: &mut Collector,
    what: &str,
    value: Option<Spanned<DeValue<'_>>>,
    first: impl Fn(&mut Collector, &Spanned<DeValue<'_>>),
) -> Vec<Spanned<T>> {
    let mut out = Vec::new();
    for item in items(c, what, value) {
        let name_span = key_span(&item, "name").unwrap_or_else(|| item.span());
        first(c, &item);
        let read = refs::naming("check", || read::<T>(c, Some(item)));
        out.extend(read.map(|d| Spanned::new(name_span, d)));
    }
    out
}

/// The text of a table's string `key`, as written.
fn text_of(table: &Spanned<DeValue<'_>>, key: &str) -> Option<String> {
    let (_, value) = (table.get_ref().as_table()?.iter()).find(|(k, _)| k.get_ref() == key)?;
    value.get_ref().as_str().map(str::to_string)
}
