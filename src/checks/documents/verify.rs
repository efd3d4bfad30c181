//! One document's check, start to end: metadata complete, links found,
//! location valid, then reachability (size and type against the metadata)
//! or, for the content share, the bytes themselves: counted, hashed and
//! sniffed as they stream past, never held whole.

use super::content::{Verifier, expected_hash};
use super::inventory::Doc;
use super::links::Found;
use super::location::{Failure, Target};
use super::plan::Picked;
use super::sniff::{Sniffed, essence, sniff};
use super::storage::Storage;
use crate::config::documents::HashAlgorithm;
use crate::results::Reason;

/// What one document's check found.
pub(crate) struct Checked {
    pub failure: Option<Failure>,
    /// Whether its content was fetched (whatever the verdict).
    pub content: bool,
}

/// Checks one picked document.
pub(crate) async fn check(storage: &Storage, p: &Picked, found: &Found) -> Checked {
    let d = &p.doc;
    let failed = |failure| Checked {
        failure: Some(failure),
        content: false,
    };
    let expected = match before_fetch(d, storage.default_hash, found) {
        Ok(e) => e,
        Err(f) => return failed(f),
    };
    let location = d.location.as_deref().unwrap_or_default();
    let target = match storage.resolve(location, d.from_fhir) {
        Ok(t) => t,
        Err(f) => return failed(f),
    };
    // A FHIR Binary returns raw bytes for an Accept other than FHIR's own;
    // `*/*` could get the Binary resource as JSON, so it is not used there.
    let on_fhir = matches!(target, Target::Http { fhir: true, .. });
    let accept = d.content_type.as_deref().unwrap_or(if on_fhir {
        "application/octet-stream"
    } else {
        "*/*"
    });
    if !p.content {
        let failure = match storage.probe(&target, accept).await {
            Ok(seen) => judge_probe(
                d.size,
                d.content_type.as_deref(),
                seen.size,
                seen.content_type.as_deref(),
            ),
            Err(f) => Some(f),
        };
        return Checked {
            failure,
            content: false,
        };
    }
    let v = Verifier::new(expected.as_ref().map(|(a, _)| *a));
    let failure = match storage.fetch(&target, accept, v).await {
        Ok((v, served)) => judge_content(
            d.size,
            d.content_type.as_deref(),
            served.as_deref(),
            expected,
            v,
        ),
        Err(f) => Some(f),
    };
    Checked {
        failure,
        content: true,
    }
}

/// What can be judged before storage is asked: the metadata is complete,
/// its hash readable, its patient and encounter in the target. The
/// expected digest, if the inventory gives one.
fn before_fetch(
    d: &Doc,
    default_hash: Option<HashAlgorithm>,
    found: &Found,
) -> Result<Option<(HashAlgorithm, Vec<u8>)>, Failure> {
    let missing: Vec<&str> = [
        ("location", d.location.is_none()),
        ("kind", d.kind.is_none()),
        ("date", !d.has_date),
        ("patient", d.patient.is_none()),
    ]
    .into_iter()
    .filter_map(|(what, absent)| absent.then_some(what))
    .collect();
    if !missing.is_empty() {
        return Err((
            Reason::MetadataMissing,
            format!("no {}", missing.join(", ")),
        ));
    }
    let expected = match &d.hash {
        None => None,
        Some(h) => Some(
            expected_hash(h, d.hash_algorithm.as_deref(), default_hash)
                .map_err(|e| (Reason::MetadataMissing, e.to_string()))?,
        ),
    };
    let broken = |what: &str| {
        (
            Reason::BrokenLink,
            format!("the linked {what} is not in the target"),
        )
    };
    if d.patient.as_deref().is_some_and(|p| !found.patient(p)) {
        return Err(broken("patient"));
    }
    if d.encounter.as_deref().is_some_and(|e| !found.encounter(e)) {
        return Err(broken("encounter"));
    }
    Ok(expected)
}

/// Types that say nothing: not held against the metadata.
fn generic(ct: &str) -> bool {
    matches!(
        essence(ct).as_str(),
        "application/octet-stream" | "binary/octet-stream" | ""
    )
}

fn type_differs(meta: Option<&str>, served: Option<&str>) -> Option<Failure> {
    let (m, s) = (meta?, served?);
    (!generic(s) && essence(m) != essence(s)).then(|| {
        (
            Reason::TypeMismatch,
            format!("metadata says {}, served as {}", essence(m), essence(s)),
        )
    })
}

fn size_differs(meta: Option<u64>, seen: Option<u64>) -> Option<Failure> {
    let (m, s) = (meta?, seen?);
    (m != s).then(|| {
        (
            Reason::SizeMismatch,
            format!("metadata says {m} bytes, found {s}"),
        )
    })
}

fn judge_probe(
    meta_size: Option<u64>,
    meta_type: Option<&str>,
    size: Option<u64>,
    served: Option<&str>,
) -> Option<Failure> {
    size_differs(meta_size, size).or_else(|| type_differs(meta_type, served))
}

fn judge_content(
    meta_size: Option<u64>,
    meta_type: Option<&str>,
    served: Option<&str>,
    expected: Option<(HashAlgorithm, Vec<u8>)>,
    v: Verifier,
) -> Option<Failure> {
    if let Some(f) =
        size_differs(meta_size, Some(v.size)).or_else(|| type_differs(meta_type, served))
    {
        return Some(f);
    }
    let claimed = meta_type.or(served.filter(|s| !generic(s)));
    if let Some(want) = claimed.and_then(Sniffed::claimed) {
        let got = sniff(&v.head);
        let binary = |s: Sniffed| {
            matches!(
                s,
                Sniffed::Pdf | Sniffed::Tiff | Sniffed::Jpeg | Sniffed::Png
            )
        };
        if got != want {
            let reason = if binary(got) {
                Reason::TypeMismatch
            } else {
                Reason::Unreadable
            };
            return Some((
                reason,
                format!("claims {}, the bytes are {}", want.as_str(), got.as_str()),
            ));
        }
        if want == Sniffed::Pdf && !v.tail.windows(5).any(|w| w == b"%%EOF") {
            return Some((
                Reason::Unreadable,
                "PDF without its %%EOF end marker (truncated?)".into(),
            ));
        }
    }
    let (alg, want) = expected?;
    let got = v.digest()?;
    (got != want).then(|| (Reason::HashMismatch, format!("{} differs", alg.as_str())))
}
