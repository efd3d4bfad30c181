//! A keyed `[[reconcile]]` side on a FHIR source.

use std::collections::BTreeMap;

use super::super::errors::Collector;
use super::super::{FhirKey, FhirKeyed, FhirPath, KeyedSide, Name};
use super::text::{KeyText, SideText};
use super::{fhir_params, fhir_resource};

/// A keyed side on a FHIR source: `resource`, `params`, `key` (`id` or
/// `identifier:SYSTEM`) and `columns` as FHIR paths.
pub(super) fn fhir_keyed_side(
    c: &mut Collector,
    raw: &SideText,
    from: Option<Name>,
) -> Option<KeyedSide> {
    sql_keys_on_fhir(c, raw);
    if let Some(e) = &raw.expressions {
        c.at(e.span(), "`expressions` apply to SQL sides", None);
    }
    let clinic = fhir_clinic(c, raw);
    let updated = fhir_updated(c, raw);
    let resource = fhir_resource(c, raw);
    let params = fhir_params(
        c,
        raw,
        &["_summary", "_elements"],
        "hypercare asks for the elements it compares",
    );
    let key = fhir_key(c, raw);
    let columns: Vec<String> = raw
        .columns
        .as_ref()
        .map(|c| c.get_ref().clone())
        .unwrap_or_default();
    let paths = fhir_paths(c, raw, &columns);
    let (key_text, key) = key?;
    (paths.len() == columns.len()).then_some(())?;
    let resource = resource?;
    let clinic = clinic?;
    Some(KeyedSide {
        from: from?,
        table: resource.clone(),
        key: vec![key_text],
        columns,
        filter: None,
        updated,
        expressions: BTreeMap::new(),
        clinic,
        fhir: Some(FhirKeyed {
            resource,
            params,
            key,
            paths,
            // Set with the codes when the check is built.
            clinic: None,
        }),
    })
}

/// A FHIR side's `clinic`: a path such as `managingOrganization.reference`
/// (`Some(None)` when absent, `None` when it is not a path).
fn fhir_clinic(c: &mut Collector, raw: &SideText) -> Option<Option<String>> {
    let Some(k) = &raw.clinic else {
        return Some(None);
    };
    let text = k.get_ref().trim();
    match FhirPath::parse(text) {
        Ok(p) if p.root().is_some() => Some(Some(text.to_string())),
        Ok(_) => {
            c.at(
                k.span(),
                format!("clinic: `{text}` must start with an element name"),
                None,
            );
            None
        }
        Err(e) => {
            c.at(
                k.span(),
                format!("clinic: {e}"),
                Some("a FHIR path such as managingOrganization.reference or serviceProvider.reference"),
            );
            None
        }
    }
}

/// A FHIR side's `updated`: every resource carries `meta.lastUpdated`,
/// searched as `_lastUpdated` (and `_since` by `$export`), so that is the
/// one value it takes.
fn fhir_updated(c: &mut Collector, raw: &SideText) -> Option<String> {
    let u = raw.updated.as_ref()?;
    if matches!(u.get_ref().as_str(), "_lastUpdated" | "meta.lastUpdated") {
        return Some("_lastUpdated".into());
    }
    c.at(
        u.span(),
        format!(
            "a FHIR side's `updated` is `_lastUpdated`, not `{}`",
            u.get_ref()
        ),
        Some("updated = \"_lastUpdated\" (the server's meta.lastUpdated)"),
    );
    None
}

/// Keys a FHIR side does not take.
fn sql_keys_on_fhir(c: &mut Collector, raw: &SideText) {
    for (key, what) in [
        (raw.sql.as_ref(), "sql"),
        (raw.table.as_ref(), "table"),
        (raw.r#where.as_ref(), "where"),
    ] {
        if let Some(k) = key {
            c.at(
                k.span(),
                format!(
                    "a FHIR side takes `resource`, `params`, `key` and `columns`, not `{what}`"
                ),
                None,
            );
        }
    }
}

/// A FHIR side's key as written, and what it names.
fn fhir_key(c: &mut Collector, raw: &SideText) -> Option<(String, FhirKey)> {
    match raw.key.as_ref() {
        None => {
            c.at(
                raw.from.span(),
                "a keyed FHIR side needs `key`: \"id\" or \"identifier:SYSTEM\"",
                Some("key = \"identifier:http://hospital.example.org/mrn\""),
            );
            None
        }
        Some(k) => match k.get_ref() {
            KeyText::One(s) if s == "id" => Some((s.clone(), FhirKey::Id)),
            KeyText::One(s) => match s.split_once(':') {
                Some(("identifier", system)) if !system.trim().is_empty() => {
                    Some((s.clone(), FhirKey::Identifier(system.to_string())))
                }
                _ => {
                    c.at(
                        k.span(),
                        format!("`{s}` is not a FHIR key"),
                        Some("\"id\" (the resource id) or \"identifier:SYSTEM\" (an identifier's value)"),
                    );
                    None
                }
            },
            KeyText::Many(_) => {
                c.at(
                    k.span(),
                    "a FHIR side has one key: \"id\" or \"identifier:SYSTEM\"",
                    None,
                );
                None
            }
        },
    }
}

/// `columns` as FHIR paths; the bad ones are reported together.
fn fhir_paths(c: &mut Collector, raw: &SideText, columns: &[String]) -> Vec<FhirPath> {
    // One message for every bad path: they share the `columns` span.
    let mut paths = Vec::new();
    let mut bad = Vec::new();
    for col in columns {
        match FhirPath::parse(col) {
            Ok(p) if p.root().is_none() => {
                bad.push(format!("`{col}` must start with an element name"))
            }
            Ok(p) => paths.push(p),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if !bad.is_empty() {
        c.at(
            raw.columns.as_ref().map(|c| c.span()).unwrap_or_default(),
            format!("columns: {}", bad.join("; ")),
            Some("FHIR paths such as birthDate, name.given, telecom[1].value, extension('URL').valueCode"),
        );
    }
    paths
}
