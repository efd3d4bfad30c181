//! Reading one section, or each table of an array of tables, into its typed
//! form, recording every mistake with its span.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::super::Name;
use super::super::de;
use super::super::errors::Collector;

/// Records the mistakes found while reading.
pub(super) fn record(c: &mut Collector, problems: Vec<de::Problem>) {
    for p in problems {
        c.at(p.span, p.message, p.hint.as_deref());
    }
}

/// Where `key` is written in a table, for messages about its value.
pub(super) fn key_span(table: &Spanned<DeValue<'_>>, key: &str) -> Option<std::ops::Range<usize>> {
    let (_, value) = table
        .get_ref()
        .as_table()?
        .iter()
        .find(|(k, _)| k.get_ref() == key)?;
    Some(value.span())
}

/// Reads a section straight into its typed form, recording every mistake;
/// an absent section reads as an empty table (its defaults).
pub(super) fn read<T: DeserializeOwned>(
    c: &mut Collector,
    value: Option<Spanned<DeValue<'_>>>,
) -> Option<T> {
    let value = value.unwrap_or_else(|| Spanned::new(0..0, DeValue::Table(DeTable::default())));
    let (typed, problems) = de::read::<T>(value);
    record(c, problems);
    typed
}

/// A `[[what]]` array of tables, each element read on its own.
pub(super) fn each<T: DeserializeOwned>(
    c: &mut Collector,
    what: &str,
    value: Option<Spanned<DeValue<'_>>>,
) -> Option<Vec<T>> {
    let read: Vec<Option<T>> = items(c, what, value)
        .into_iter()
        .map(|v| read(c, Some(v)))
        .collect();
    read.into_iter().collect()
}

/// The elements of a `[[what]]` array of tables.
pub(super) fn items<'i>(
    c: &mut Collector,
    what: &str,
    value: Option<Spanned<DeValue<'i>>>,
) -> Vec<Spanned<DeValue<'i>>> {
    let Some(value) = value else {
        return Vec::new();
    };
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items.to_vec(),
        _ => {
            c.at(
                span,
                format!("`{what}` must be an array of tables: write [[{what}]]"),
                None,
            );
            Vec::new()
        }
    }
}

/// `[what.NAME]` tables: each name checked, each table read by `read` with
/// its name (`None` where it could not be read).
pub(super) fn named<'i, T>(
    c: &mut Collector,
    what: &str,
    value: Option<Spanned<DeValue<'i>>>,
    mut read: impl FnMut(&Spanned<String>, Spanned<DeValue<'i>>) -> (Option<T>, Vec<de::Problem>),
) -> Vec<Option<T>> {
    let Some(value) = value else {
        return Vec::new();
    };
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        let message = "expected a table of named sections such as [sources.legacy]";
        c.at(span, message, None);
        return vec![None];
    };
    let mut out = Vec::new();
    for (key, value) in table {
        let name = Spanned::new(key.span(), key.get_ref().to_string());
        if let Err(e) = Name::parse(name.get_ref()) {
            let hint = Some("names become metric labels and URL parts");
            c.at(name.span(), format!("{what} name {e}"), hint);
        }
        let (item, problems) = read(&name, value);
        record(c, problems);
        out.push(item);
    }
    out
}

/// The names of `[what.NAME]` tables, and whether each table has `key`.
pub(super) fn names_having(value: Option<&Spanned<DeValue<'_>>>, key: &str) -> Vec<(String, bool)> {
    match value.map(Spanned::get_ref) {
        Some(DeValue::Table(t)) => t
            .iter()
            .map(|(k, v)| {
                let has = v
                    .get_ref()
                    .as_table()
                    .is_some_and(|t| t.iter().any(|(k, _)| k.get_ref() == key));
                (k.get_ref().to_string(), has)
            })
            .collect(),
        _ => Vec::new(),
    }
}
