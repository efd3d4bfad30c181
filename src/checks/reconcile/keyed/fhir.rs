//! Keyed diffs with a FHIR side: the SQL side streams its rows in key
//! order as usual; the FHIR side pages through a search (asking only for
//! the elements compared, following `next` links), renders each resource's
//! key and values as the same canonical text, and is sorted here. The FHIR
//! side's rows (key and compared values) are held in memory for the sort.

use futures_util::stream;

use super::json_values::canonical;
use super::merge::{Acc, cmp_keys};
use super::plan::Plan;
use crate::config::{FhirKey, FhirKeyed, KeyedConfig};
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

/// Reads every resource of the side's search as a row in the plan's classes
/// (key first), sorted as the SQL side is.
pub async fn rows(
    source: &FhirSource,
    side: &FhirKeyed,
    cfg: &KeyedConfig,
    plan: &Plan,
) -> Result<Vec<TextRow>, SourceError> {
    let mut rows: Vec<TextRow> = Vec::new();
    let no_rules = Vec::new();
    let resource = side.resource.as_str();
    source
        .search_pages(resource, &search_params(side), |bundle| {
            for r in matches(&bundle, resource)? {
                let mut row = Vec::with_capacity(1 + side.paths.len());
                row.push(canonical(
                    key_of(r, &side.key).as_ref(),
                    plan.classes[0],
                    &[],
                ));
                for (i, path) in side.paths.iter().enumerate() {
                    let rules = cfg.rules.get(&i).unwrap_or(&no_rules);
                    row.push(canonical(path.get(r), plan.classes[1 + i], rules));
                }
                rows.push(row);
            }
            Ok(())
        })
        .await?;
    rows.sort_by(|a, b| cmp_keys(&plan.key_kinds, &a[..1], &b[..1]));
    Ok(rows)
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
    fhir: Vec<TextRow>,
    fhir_is_source: bool,
) -> Result<(), SourceError> {
    let fhir = stream::iter(fhir.into_iter().map(Ok));
    if fhir_is_source {
        acc.merge(fhir, sql).await
    } else {
        acc.merge(sql, fhir).await
    }
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
