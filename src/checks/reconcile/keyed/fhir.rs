//! Keyed diffs with a FHIR side: the SQL side streams its rows in key
//! order as usual; the FHIR side pages through a search (asking only for
//! the elements compared, following `next` links), renders each resource's
//! key and values as the same canonical text, and is sorted here, on disk
//! once it outgrows the check's sort memory ([`super::spill`]). Two FHIR
//! sides compare their values as text, each sorted the same way.

use futures_util::stream;

use super::json_values::canonical;
use super::merge::Acc;
use super::normalize::Class;
use super::plan::KeyKind;
use super::spill::{Sorted, Spill};
use crate::config::{FhirKey, FhirKeyed, KeyedConfig};
use crate::results::{KeyedDiff, Side};
use crate::sources::{FhirSource, SourceError, TextRow};

/// Page size asked for unless the side's `params` set `_count`.
const PAGE_SIZE: &str = "500";

/// The search parameters: the side's own, `_elements` with what is
/// compared, and `_count`.
pub fn search_params(side: &FhirKeyed) -> Vec<(String, String)> {
    let mut elements: Vec<&str> = Vec::new();
    if let FhirKey::Identifier(_) = side.key {
        elements.push("identifier");
    }
    for root in side.paths.iter().filter_map(|p| p.root()) {
        if !elements.contains(&root) && root != "id" {
            elements.push(root);
        }
    }
    let mut params = side.params.clone();
    if !elements.is_empty() {
        params.push(("_elements".into(), elements.join(",")));
    }
    if !params.iter().any(|(k, _)| k == "_count") {
        params.push(("_count".into(), PAGE_SIZE.into()));
    }
    params
}

/// The key of a resource: its id, or the value of its identifier with the system.
fn key_of(r: &serde_json::Value, key: &FhirKey) -> Option<serde_json::Value> {
    match key {
        FhirKey::Id => r.get("id").cloned(),
        FhirKey::Identifier(system) => r
            .get("identifier")?
            .as_array()?
            .iter()
            .find(|i| i.get("system").and_then(|s| s.as_str()) == Some(system))?
            .get("value")
            .cloned(),
    }
}

/// One resource as a row: its key, then each path's value rendered in the
/// class of its position (`classes[0]` is the key's), with that column's
/// compare rules. A further compared value is one more path.
fn render(
    r: &serde_json::Value,
    side: &FhirKeyed,
    cfg: &KeyedConfig,
    classes: &[Class],
) -> TextRow {
    let mut row = Vec::with_capacity(1 + side.paths.len());
    row.push(canonical(key_of(r, &side.key).as_ref(), classes[0], &[]));
    for (i, path) in side.paths.iter().enumerate() {
        let rules = cfg.rules.get(&i).map(Vec::as_slice).unwrap_or(&[]);
        row.push(canonical(path.get(r), classes[1 + i], rules));
    }
    row
}

/// Reads every resource of the side's search as a row in `classes` (key
/// first), sorted by `kinds` on disk under the check's `sort_dir` once
/// more than `sort_memory` bytes of rows have come.
pub async fn rows(
    source: &FhirSource,
    side: &FhirKeyed,
    cfg: &KeyedConfig,
    classes: &[Class],
    kinds: &[KeyKind],
) -> Result<Sorted, SourceError> {
    let mut spill = Spill::new(&cfg.sort_dir, cfg.sort_memory, kinds);
    let resource = side.resource.as_str();
    if source.bulk().await {
        source
            .export(resource, &side.params, None, |r| {
                if r.get("resourceType").and_then(|t| t.as_str()) == Some(resource) {
                    spill.push(render(&r, side, cfg, classes))?;
                }
                Ok(())
            })
            .await?;
        return spill.finish();
    }
    source
        .search_pages(resource, &search_params(side), |bundle| {
            for r in matches(&bundle, resource)? {
                spill.push(render(r, side, cfg, classes))?;
            }
            Ok(())
        })
        .await?;
    spill.finish()
}

/// The resources a search page matched: entries of the searched type whose
/// `search.mode` is `match` (or absent), not `_include`d ones or outcomes.
fn matches<'b>(
    bundle: &'b serde_json::Value,
    resource: &str,
) -> Result<Vec<&'b serde_json::Value>, SourceError> {
    match bundle.get("resourceType").and_then(|t| t.as_str()) {
        Some("Bundle") | None => {}
        Some(other) => {
            return Err(SourceError::Shape(format!(
                "{resource} search: expected a Bundle, got {other}"
            )));
        }
    }
    let entries = bundle.get("entry").and_then(|e| e.as_array());
    Ok(entries
        .into_iter()
        .flatten()
        .filter(|e| {
            let mode = e.pointer("/search/mode").and_then(|m| m.as_str());
            matches!(mode, None | Some("match"))
        })
        .filter_map(|e| e.get("resource"))
        .filter(|r| r.get("resourceType").and_then(|t| t.as_str()) == Some(resource))
        .collect())
}

/// Merges the SQL side's stream with the FHIR side's sorted rows.
pub async fn merge(
    acc: &mut Acc<'_>,
    sql: crate::sources::TextRows<'_>,
    fhir: Sorted,
    fhir_is_source: bool,
) -> Result<(), SourceError> {
    // The run files are local and read through a buffer: short blocking reads.
    let fhir = stream::iter(fhir);
    if fhir_is_source {
        acc.merge(fhir, sql).await
    } else {
        acc.merge(sql, fhir).await
    }
}

/// What a diff of two FHIR sides found, or the side that failed.
pub struct PairOutcome {
    pub diff: KeyedDiff,
    pub tracked: Vec<String>,
}

/// Two FHIR sides (the old system's facade against the new EHR): both read
/// at once, each sorted with bounded memory, merged. Values compare as
/// text after the `compare` rules; keys in byte order.
pub async fn pair(
    (source, target): (&FhirSource, &FhirSource),
    cfg: &KeyedConfig,
    check: &str,
) -> Result<PairOutcome, (Side, SourceError)> {
    let (Some(s_side), Some(t_side)) = (cfg.source.fhir.as_ref(), cfg.target.fhir.as_ref()) else {
        return Err((Side::Both, SourceError::Shape("not two FHIR sides".into())));
    };
    let classes = vec![Class::Text; 1 + s_side.paths.len()];
    let kinds = [KeyKind::Text];
    crate::checks::progress::start(check, None);
    let (s_rows, t_rows) = tokio::join!(
        rows(source, s_side, cfg, &classes, &kinds),
        rows(target, t_side, cfg, &classes, &kinds)
    );
    let s_rows = s_rows.map_err(|e| (Side::Source, e))?;
    let t_rows = t_rows.map_err(|e| (Side::Target, e))?;
    let mut acc = Acc::new(cfg.max_keys, &kinds, &cfg.source.columns, check);
    acc.track_cap = cfg.drift_keys;
    acc.diff.mode = "fhir-stream".into();
    acc.merge(stream::iter(s_rows), stream::iter(t_rows))
        .await
        .map_err(|e| (Side::Both, e))?;
    crate::checks::progress::finish(check);
    Ok(PairOutcome {
        diff: acc.diff,
        tracked: acc.tracked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FhirPath;

    #[test]
    fn asks_only_for_the_elements_compared() {
        let side = FhirKeyed {
            resource: "Patient".into(),
            params: vec![("active".into(), "true".into())],
            key: FhirKey::Identifier("urn:mrn".into()),
            paths: ["birthDate", "name[0].family", "name[0].given[0]", "id"]
                .iter()
                .map(|p| FhirPath::parse(p).unwrap())
                .collect(),
        };
        let p = search_params(&side);
        assert_eq!(
            p,
            [
                ("active", "true"),
                ("_elements", "identifier,birthDate,name"),
                ("_count", "500")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        let r = serde_json::json!({"id": "9", "identifier": [{"system": "other", "value": "x"}, {"system": "urn:mrn", "value": "M-1"}]});
        assert_eq!(key_of(&r, &side.key), Some(serde_json::json!("M-1")));
        assert_eq!(key_of(&r, &FhirKey::Id), Some(serde_json::json!("9")));
    }
}
