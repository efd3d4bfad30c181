//! Reading the inventory: rows of a SQL query by column name, or FHIR
//! `DocumentReference` resources page by page. Each document is handed on
//! as soon as it is read (the rotation keeps only its sample), so memory
//! does not grow with the inventory beyond the ledger.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::Value;

use super::InventorySource;
use super::kinds::KindMap;
use crate::sources::SourceError;

/// One document as the inventory describes it. Kept compact (a sample can
/// be the whole inventory): boxed strings, and the few distinct content
/// types and hash algorithms shared.
#[derive(Debug, Clone, Default)]
pub(crate) struct Doc {
    pub id: Box<str>,
    /// Index into the kind map; `None` when the inventory gives no kind.
    pub kind: Option<u16>,
    pub location: Option<Box<str>>,
    pub content_type: Option<Arc<str>>,
    pub size: Option<u64>,
    pub hash: Option<Box<str>>,
    pub hash_algorithm: Option<Arc<str>>,
    pub patient: Option<Box<str>>,
    pub encounter: Option<Box<str>>,
    pub has_date: bool,
    /// The value naming the document's clinic (a SQL inventory's `clinic`
    /// column, a FHIR `custodian` reference), matched against clinic codes.
    pub clinic: Option<Arc<str>>,
    /// Read from a FHIR server: relative locations resolve against its base.
    pub from_fhir: bool,
}

/// Shares repeated values (content types, hash algorithms) among documents.
#[derive(Default)]
pub(crate) struct Interner(HashSet<Arc<str>>);

impl Interner {
    /// Distinct values shared at most; past this, values are not shared.
    const MAX: usize = 1000;

    pub fn get(&mut self, v: &str) -> Arc<str> {
        if let Some(a) = self.0.get(v) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(v);
        if self.0.len() < Self::MAX {
            self.0.insert(a.clone());
        }
        a
    }
}

/// Documents skipped by rule, by status.
pub(crate) type Skipped = BTreeMap<String, u64>;

/// Reads every document, handing each on; skipped ones are counted.
pub(crate) async fn read(
    source: &InventorySource,
    kinds: &KindMap,
    skip: &[String],
    skipped: &mut Skipped,
    mut offer: impl FnMut(Doc),
) -> Result<(), SourceError> {
    let skips = |status: Option<&str>, skipped: &mut Skipped| {
        let s = status.map(|s| s.trim().to_ascii_lowercase())?;
        let hit = skip.iter().find(|k| k.eq_ignore_ascii_case(&s))?;
        *skipped.entry(hit.clone()).or_default() += 1;
        Some(())
    };
    match source {
        InventorySource::Sql(src, sql) => {
            let mut rows = src.stream_named(sql.clone());
            let mut cols: Option<Columns> = None;
            let mut shared = Interner::default();
            while let Some(row) = rows.next().await {
                let (names, values) = row?;
                let c = match &cols {
                    Some(c) => c,
                    None => cols.insert(Columns::find(&names)?),
                };
                if skips(c.get(&values, c.status), skipped).is_some() {
                    continue;
                }
                offer(c.doc(&values, kinds, &mut shared));
            }
            Ok(())
        }
        InventorySource::Fhir(src, params) => {
            let mut shared = Interner::default();
            let mut one = |resource: &Value| {
                let status = resource.get("status").and_then(Value::as_str);
                let doc_status = resource.get("docStatus").and_then(Value::as_str);
                if skips(status, skipped).is_none() && skips(doc_status, skipped).is_none() {
                    fhir_docs(resource, kinds, &mut shared, &mut offer);
                }
            };
            // A source with `bulk = true` exports the inventory (`params`
            // as `_typeFilter`): NDJSON streamed, no pages.
            if src.bulk().await {
                let doc = Some("DocumentReference");
                src.export("DocumentReference", params, None, |r| {
                    if r.get("resourceType").and_then(Value::as_str) == doc {
                        one(&r);
                    }
                    Ok(())
                })
                .await
                .map(|_| ())
            } else {
                src.search_pages("DocumentReference", params, |bundle| {
                    entries(&bundle).for_each(&mut one);
                    Ok(())
                })
                .await
            }
        }
    }
}

/// Positions of the inventory's named columns.
struct Columns {
    id: usize,
    location: usize,
    kind: Option<usize>,
    content_type: Option<usize>,
    size: Option<usize>,
    hash: Option<usize>,
    hash_algorithm: Option<usize>,
    patient: Option<usize>,
    encounter: Option<usize>,
    date: Option<usize>,
    status: Option<usize>,
    clinic: Option<usize>,
}

impl Columns {
    fn find(names: &[String]) -> Result<Columns, SourceError> {
        let at = |n: &str| names.iter().position(|c| c == n);
        let need = |n: &str| {
            at(n).ok_or_else(|| {
                SourceError::Shape(format!(
                    "the inventory query returns no column named `{n}` (it needs id and location; kind, content_type, size, hash, hash_algorithm, patient, encounter, date and status where known)"
                ))
            })
        };
        Ok(Columns {
            id: need("id")?,
            location: need("location")?,
            kind: at("kind"),
            content_type: at("content_type"),
            size: at("size"),
            hash: at("hash"),
            hash_algorithm: at("hash_algorithm"),
            patient: at("patient"),
            encounter: at("encounter"),
            date: at("date"),
            status: at("status"),
            clinic: at("clinic"),
        })
    }

    fn get<'a>(&self, values: &'a [Option<String>], at: Option<usize>) -> Option<&'a str> {
        values
            .get(at?)?
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn doc(&self, v: &[Option<String>], kinds: &KindMap, shared: &mut Interner) -> Doc {
        let own = |at: Option<usize>| self.get(v, at).map(Box::<str>::from);
        Doc {
            id: own(Some(self.id)).unwrap_or_default(),
            kind: if self.kind.is_some() {
                kinds.of(self.get(v, self.kind))
            } else {
                None
            },
            location: own(Some(self.location)),
            content_type: self.get(v, self.content_type).map(|t| shared.get(t)),
            size: self
                .get(v, self.size)
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| *s >= 0.0 && s.fract() == 0.0)
                .map(|s| s as u64),
            hash: own(self.hash),
            hash_algorithm: self.get(v, self.hash_algorithm).map(|a| shared.get(a)),
            patient: own(self.patient),
            encounter: own(self.encounter),
            has_date: self.get(v, self.date).is_some(),
            clinic: self.get(v, self.clinic).map(|c| shared.get(c)),
            from_fhir: false,
        }
    }
}

/// The resources of a search bundle's entries.
fn entries(bundle: &Value) -> impl Iterator<Item = &Value> {
    bundle
        .get("entry")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("resource"))
        .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some("DocumentReference"))
}

/// The documents of one `DocumentReference`: one per `content` attachment
/// (`id`, then `id#2`, `id#3` …).
fn fhir_docs(r: &Value, kinds: &KindMap, shared: &mut Interner, offer: &mut impl FnMut(Doc)) {
    let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
    let codes = ["type", "category"]
        .iter()
        .flat_map(|k| codings(r.get(*k)))
        .collect::<Vec<_>>();
    let kind = kinds.of_any(codes.iter().copied());
    let patient = reference_id(r.get("subject"));
    let encounter = r
        .get("context")
        .and_then(|c| c.get("encounter"))
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|e| reference_id(Some(e)));
    let has_date = r.get("date").and_then(Value::as_str).is_some();
    // The organization keeping the document stands for its clinic.
    let clinic = r
        .get("custodian")
        .and_then(|c| c.get("reference"))
        .and_then(Value::as_str)
        .map(|c| shared.get(c));
    let contents: Vec<&Value> = r
        .get("content")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let base = Doc {
        id: id.into(),
        kind,
        patient,
        encounter,
        has_date,
        clinic,
        from_fhir: true,
        ..Doc::default()
    };
    if contents.is_empty() {
        return offer(base);
    }
    for (i, content) in contents.into_iter().enumerate() {
        let a = content.get("attachment");
        let text = |k: &str| a.and_then(|a| a.get(k)).and_then(Value::as_str);
        let mut doc = base.clone();
        if i > 0 {
            doc.id = format!("{id}#{}", i + 1).into();
        }
        doc.location = text("url").map(Into::into);
        doc.content_type = text("contentType").map(|t| shared.get(t));
        doc.size = a.and_then(|a| a.get("size")).and_then(|s| {
            s.as_u64()
                .or_else(|| s.as_str().and_then(|s| s.parse().ok()))
        });
        doc.hash = text("hash").map(Into::into);
        // FHIR's Attachment.hash is base64 of SHA-1.
        doc.hash_algorithm = doc.hash.as_ref().map(|_| shared.get("sha1"));
        offer(doc);
    }
}

/// The codes (and texts) of a CodeableConcept or a list of them.
fn codings(v: Option<&Value>) -> Vec<&str> {
    let mut out = Vec::new();
    let concepts: Vec<&Value> = match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    };
    for c in concepts {
        for coding in c
            .get("coding")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(code) = coding.get("code").and_then(Value::as_str) {
                out.push(code);
            }
        }
        if let Some(text) = c.get("text").and_then(Value::as_str) {
            out.push(text);
        }
    }
    out
}

/// The id of a reference: `Patient/123` → `123`, a full URL's last segment.
fn reference_id(v: Option<&Value>) -> Option<Box<str>> {
    let r = v?.get("reference")?.as_str()?.trim();
    let r = r.split(['?', '#']).next().unwrap_or(r);
    let mut parts = r.rsplit('/');
    let id = parts.next().filter(|s| !s.is_empty())?;
    // `Patient/123/_history/4` names a version of 123.
    if parts.next() == Some("_history") {
        return parts.next().map(Into::into);
    }
    Some(id.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_name_their_ids() {
        for (r, id) in [
            ("Patient/123", "123"),
            ("https://fhir.example/r4/Patient/p-9", "p-9"),
            ("Patient/123/_history/4", "123"),
        ] {
            assert_eq!(
                reference_id(Some(&json!({"reference": r}))).as_deref(),
                Some(id)
            );
        }
        assert_eq!(reference_id(Some(&json!({"display": "x"}))), None);
    }
}
