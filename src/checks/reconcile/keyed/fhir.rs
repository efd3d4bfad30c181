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
    let clinic = side.clinic.as_ref().map(|c| &c.path);
    for root in side.paths.iter().chain(clinic).filter_map(|p| p.root()) {
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
    // The clinic id, as the SQL side's `CASE` over the codes gives it.
    if let Some(c) = &side.clinic {
        let value = canonical(c.path.get(r), Class::Text, &[]);
        row.push(Some(c.codes.clinic_of(value.as_deref()).to_string()));
    }
    row
}

/// A FHIR side being read as rows in `classes` (key first).
pub struct Reader<'a> {
    pub source: &'a FhirSource,
    pub side: &'a FhirKeyed,
    pub cfg: &'a KeyedConfig,
    pub classes: &'a [Class],
}

/// Which resources of a side to read.
pub enum Select<'a> {
    All,
    /// Changed at or after this FHIR instant: `_since` by `$export`,
    /// `_lastUpdated=ge…` by search.
    Since(&'a str),
    /// These search parameters besides the side's own (always a search).
    Search(Vec<(String, String)>),
}

impl Reader<'_> {
    /// Hands each selected resource, rendered as a row, to `each`.
    pub async fn read(
        &self,
        select: Select<'_>,
        mut each: impl FnMut(TextRow) -> Result<(), SourceError>,
    ) -> Result<(), SourceError> {
        let (side, resource) = (self.side, self.side.resource.as_str());
        let mut params = search_params(side);
        let since = match select {
            Select::All => None,
            Select::Since(s) => Some(s),
            Select::Search(extra) => {
                params.extend(extra);
                return self.search(&params, &mut each).await;
            }
        };
        if self.source.bulk().await {
            self.source
                .export(resource, &side.params, since, |r| {
                    if r.get("resourceType").and_then(|t| t.as_str()) == Some(resource) {
                        each(render(&r, side, self.cfg, self.classes))?;
                    }
                    Ok(())
                })
                .await?;
            return Ok(());
        }
        if let Some(s) = since {
            params.push(("_lastUpdated".into(), format!("ge{s}")));
        }
        self.search(&params, &mut each).await
    }

    async fn search(
        &self,
        params: &[(String, String)],
        each: &mut impl FnMut(TextRow) -> Result<(), SourceError>,
    ) -> Result<(), SourceError> {
        let resource = self.side.resource.as_str();
        self.source
            .search_pages(resource, params, |bundle| {
                for r in matches(&bundle, resource)? {
                    each(render(r, self.side, self.cfg, self.classes))?;
                }
                Ok(())
            })
            .await
    }
}

/// Reads every resource of the side as a row in `classes` (key first),
/// sorted by `kinds` on disk under the check's `sort_dir` once more than
/// `sort_memory` bytes of rows have come.
pub async fn rows(reader: &Reader<'_>, kinds: &[KeyKind]) -> Result<Sorted, SourceError> {
    let mut spill = Spill::new(&reader.cfg.sort_dir, reader.cfg.sort_memory, kinds);
    reader.read(Select::All, |row| spill.push(row)).await?;
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
            clinic: None,
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
