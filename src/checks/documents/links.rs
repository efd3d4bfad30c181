//! Do the sample's linked patients and encounters exist in the target?
//! Looked up in bulk before the documents are checked: on a SQL target by
//! streaming its ids past the set the sample needs (bounded by that set), on
//! a FHIR target with `Patient?_id=a,b,…` in batches.

use std::collections::HashSet;

use futures_util::StreamExt;
use serde_json::Value;

use super::LinkSource;
use super::plan::Picked;
use crate::sources::{FhirSource, SourceError, SqlSource};

/// Ids per `_id=` search.
const FHIR_BATCH: usize = 50;

/// The linked ids found in the target (`None`: links are not checked).
pub(crate) struct Found {
    patients: Option<HashSet<String>>,
    encounters: Option<HashSet<String>>,
}

impl Found {
    pub fn everything() -> Found {
        Found {
            patients: None,
            encounters: None,
        }
    }

    pub fn patient(&self, id: &str) -> bool {
        self.patients.as_ref().is_none_or(|s| s.contains(id))
    }

    pub fn encounter(&self, id: &str) -> bool {
        self.encounters.as_ref().is_none_or(|s| s.contains(id))
    }
}

pub(crate) async fn lookup(
    source: &LinkSource,
    picked: &[Box<Picked>],
) -> Result<Found, SourceError> {
    let patients: HashSet<&str> = picked
        .iter()
        .filter_map(|p| p.doc.patient.as_deref())
        .collect();
    let encounters: HashSet<&str> = picked
        .iter()
        .filter_map(|p| p.doc.encounter.as_deref())
        .collect();
    match source {
        LinkSource::Sql {
            source,
            patients: p_sql,
            encounters: e_sql,
        } => Ok(Found {
            patients: Some(sql_ids(source, p_sql, &patients).await?),
            encounters: match e_sql {
                Some(sql) => Some(sql_ids(source, sql, &encounters).await?),
                None => None,
            },
        }),
        LinkSource::Fhir(fhir) => Ok(Found {
            patients: Some(fhir_ids(fhir, "Patient", &patients).await?),
            encounters: Some(fhir_ids(fhir, "Encounter", &encounters).await?),
        }),
    }
}

/// The ids among `wanted` that the query's first column returns.
async fn sql_ids(
    source: &SqlSource,
    sql: &str,
    wanted: &HashSet<&str>,
) -> Result<HashSet<String>, SourceError> {
    let mut found = HashSet::new();
    if wanted.is_empty() {
        return Ok(found);
    }
    let bound = source.statement_timeout() + std::time::Duration::from_secs(1);
    let scan = async {
        let mut rows = source.stream_named(sql.to_string());
        while let Some(row) = rows.next().await {
            let (_, values) = row?;
            if let Some(Some(id)) = values.into_iter().next() {
                let id = id.trim();
                if wanted.contains(id) {
                    found.insert(id.to_string());
                }
            }
        }
        Ok::<_, SourceError>(())
    };
    tokio::time::timeout(bound, scan)
        .await
        .map_err(|_| SourceError::Timeout(source.statement_timeout()))??;
    Ok(found)
}

/// The ids among `wanted` the FHIR server has, asked `FHIR_BATCH` at a time.
async fn fhir_ids(
    fhir: &FhirSource,
    resource: &str,
    wanted: &HashSet<&str>,
) -> Result<HashSet<String>, SourceError> {
    let mut found = HashSet::new();
    let mut ids: Vec<&str> = wanted.iter().copied().collect();
    ids.sort_unstable();
    for batch in ids.chunks(FHIR_BATCH) {
        let params = vec![
            ("_id".to_string(), batch.join(",")),
            ("_elements".to_string(), "id".to_string()),
            ("_count".to_string(), FHIR_BATCH.to_string()),
        ];
        fhir.search_pages(resource, &params, |bundle| {
            for e in bundle
                .get("entry")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = e.pointer("/resource/id").and_then(Value::as_str) {
                    found.insert(id.to_string());
                }
            }
            Ok(())
        })
        .await?;
    }
    Ok(found)
}
