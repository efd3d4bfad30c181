//! Reading the sections that are declared once (their typed structs name
//! each option's rule) and collecting what other sections refer to.

use std::collections::{HashMap, HashSet};

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::super::de;
use super::super::errors::Collector;
use super::super::feedback::Clinic;
use super::super::refs::Known;
use super::super::stabilization::DigestConfig;
use super::super::validate::RawConfig;

/// Reads a section straight into its typed form, recording every mistake;
/// an absent section reads as an empty table (its defaults).
pub(super) fn read<T: DeserializeOwned>(
    c: &mut Collector,
    value: Option<Spanned<DeValue<'_>>>,
) -> Option<T> {
    let value = value.unwrap_or_else(|| Spanned::new(0..0, DeValue::Table(DeTable::default())));
    let (typed, problems) = de::read::<T>(value);
    for p in problems {
        c.at(p.span, p.message, p.hint.as_deref());
    }
    typed
}

/// The names references may use, from the sections that declare them.
pub(super) fn known(raw: &RawConfig) -> Known {
    let checks = raw.reconcile.iter().map(|r| r.name.get_ref());
    let checks = checks.chain(raw.integrity.iter().map(|r| r.name.get_ref()));
    let checks = checks.chain(raw.workflows.iter().map(|r| r.name.get_ref()));
    let checks = checks.chain(raw.documents.iter().map(|r| r.name.get_ref()));
    let handoffs = raw.handoffs.iter().flatten();
    let checks = checks
        .cloned()
        .chain(handoffs.map(|h| h.get_ref().name.to_string()));
    let (fhir, sql): (Vec<_>, Vec<_>) = raw
        .sources
        .iter()
        .partition(|(_, s)| s.as_ref().is_some_and(|s| s.fhir.is_some()));
    let names =
        |list: Vec<&(Spanned<String>, _)>| list.iter().map(|(n, _)| n.get_ref().clone()).collect();
    let outbox_dir = raw.alerting.outbox.as_ref();
    Known {
        clinics: raw
            .clinics
            .iter()
            .flatten()
            .map(|c| c.id.to_string())
            .collect(),
        checks: checks.collect(),
        notifiers: raw
            .alerting
            .notifiers
            .iter()
            .map(|(n, _)| n.get_ref().clone())
            .collect(),
        mail_route: raw.alerting.smtp.is_some() || outbox_dir.is_some_and(|o| o.mail_dir.is_some()),
        sql_sources: names(sql),
        fhir_sources: names(fhir),
    }
}

/// `[[clinics]]`: each read on its own; ids and codes are unique.
pub(super) fn clinics(
    c: &mut Collector,
    value: Option<Spanned<DeValue<'_>>>,
) -> Option<Vec<Clinic>> {
    let mut seen = HashSet::new();
    let mut owners = HashMap::new();
    let mut out = Some(Vec::new());
    for item in items(c, "clinics", value) {
        let id_span = key_span(&item, "id");
        let code_spans = code_spans(&item);
        let Some(clinic) = read::<Clinic>(c, Some(item)) else {
            out = None;
            continue;
        };
        if !clinic.id.as_str().is_empty() && !seen.insert(clinic.id.clone()) {
            let message = format!("clinic `{}` is listed twice", clinic.id);
            c.at(id_span.unwrap_or_default(), message, None);
        }
        unique_codes(c, &clinic, &code_spans, &mut owners);
        if let Some(out) = &mut out {
            out.push(clinic);
        }
    }
    out
}

/// Where a key's value stands in a table (for errors after reading).
fn key_span(item: &Spanned<DeValue<'_>>, key: &str) -> Option<std::ops::Range<usize>> {
    let t = item.get_ref().as_table()?;
    let (_, v) = t.iter().find(|(k, _)| k.get_ref() == key)?;
    Some(v.span())
}

/// Each written code (trimmed, as the typed clinic holds it) with its span.
fn code_spans(item: &Spanned<DeValue<'_>>) -> Vec<(String, std::ops::Range<usize>)> {
    let Some(t) = item.get_ref().as_table() else {
        return Vec::new();
    };
    let Some((_, list)) = t.iter().find(|(k, _)| k.get_ref() == "codes") else {
        return Vec::new();
    };
    let Some(list) = list.get_ref().as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|v| Some((v.get_ref().as_str()?.trim().to_string(), v.span())))
        .collect()
}

/// Each code means one clinic: a value meaning two could not be attributed.
fn unique_codes(
    c: &mut Collector,
    clinic: &Clinic,
    spans: &[(String, std::ops::Range<usize>)],
    owners: &mut HashMap<String, String>,
) {
    let me = clinic.id.to_string();
    for code in &clinic.codes {
        let Some(owner) = owners.insert(code.clone(), me.clone()) else {
            continue;
        };
        let what = if owner == me {
            "is listed twice for this clinic".to_string()
        } else {
            format!("already means clinic `{owner}`")
        };
        // The second writing of the code is the one to point at.
        let span = spans
            .iter()
            .rev()
            .find(|(t, _)| t == code)
            .map(|(_, s)| s.clone());
        c.at(
            span.unwrap_or_default(),
            format!("code `{code}` {what}"),
            Some("codes are unique across clinics: each value must mean one clinic"),
        );
    }
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

/// `[[digests]]`: each read on its own; names are unique.
pub(super) fn digests(
    c: &mut Collector,
    value: Option<Spanned<DeValue<'_>>>,
) -> Option<Vec<DigestConfig>> {
    let mut names = HashSet::new();
    let mut out = Some(Vec::new());
    for item in items(c, "digests", value) {
        let Some(digest) = read::<Spanned<DigestConfig>>(c, Some(item)) else {
            out = None;
            continue;
        };
        let name = digest.get_ref().name.clone();
        if !names.insert(name.clone()) {
            c.at(
                digest.span(),
                format!("digest `{name}` is declared twice"),
                None,
            );
        }
        if let Some(out) = &mut out {
            out.push(digest.into_inner());
        }
    }
    out
}
