//! One document's check, start to end: metadata complete, links found,
//! location valid, then reachability (size and type against the metadata)
//! or, for the content share, the bytes themselves: counted, hashed and
//! sniffed as they stream past, never held whole.

use base64::Engine;

use super::Failure;
use super::links::Found;
use super::plan::Picked;
use super::sniff::{Sniffed, essence, sniff};
use super::storage::Storage;
use super::stream::Verifier;
use crate::config::documents::HashAlgorithm;
use crate::results::Reason;

/// What one document's check found.
pub(crate) struct Checked {
    pub failure: Option<Failure>,
    /// Whether its content was fetched (whatever the verdict).
    pub content: bool,
}

/// Why an inventory's hash cannot be read (shown as missing metadata).
#[derive(Debug, thiserror::Error)]
pub(crate) enum BadHash {
    #[error("hash algorithm is not one of {0}")]
    UnknownAlgorithm(&'static str),
    #[error("hash without an algorithm, and its length does not tell")]
    NoAlgorithm,
    #[error("hash is not hex")]
    NotHex,
    #[error("hash is neither hex nor base64 of {0}")]
    NotEncoded(&'static str),
    #[error("hash is not the length of {0}")]
    WrongLength(&'static str),
}

/// The expected digest: the algorithm named (or the default, or told by
/// the length), the value read as hex or base64.
pub(crate) fn expected_hash(
    hash: &str,
    named: Option<&str>,
    default: Option<HashAlgorithm>,
) -> Result<(HashAlgorithm, Vec<u8>), BadHash> {
    let hash = hash.trim();
    let is_hex = hash.len().is_multiple_of(2) && hash.bytes().all(|b| b.is_ascii_hexdigit());
    let alg = match named {
        Some(n) => {
            HashAlgorithm::parse(n).ok_or(BadHash::UnknownAlgorithm(HashAlgorithm::NAMES))?
        }
        None => match (default, is_hex, hash.len()) {
            (Some(a), _, _) => a,
            (None, true, 40) | (None, false, 28) => HashAlgorithm::Sha1,
            (None, true, 64) | (None, false, 44) => HashAlgorithm::Sha256,
            _ => return Err(BadHash::NoAlgorithm),
        },
    };
    let bytes = if is_hex && hash.len() == alg.digest_len() * 2 {
        (0..hash.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hash[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| BadHash::NotHex)?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(hash)
            .map_err(|_| BadHash::NotEncoded(alg.as_str()))?
    };
    if bytes.len() != alg.digest_len() {
        return Err(BadHash::WrongLength(alg.as_str()));
    }
    Ok((alg, bytes))
}

/// Checks one picked document.
pub(crate) async fn check(storage: &Storage, p: &Picked, found: &Found) -> Checked {
    let fail = |reason, detail: String| Checked {
        failure: Some((reason, detail)),
        content: false,
    };
    let d = &p.doc;
    if let Some((r, why)) = missing_metadata(p) {
        return fail(r, why);
    }
    let expected = match &d.hash {
        None => None,
        Some(h) => match expected_hash(h, d.hash_algorithm.as_deref(), storage.default_hash) {
            Ok(e) => Some(e),
            Err(why) => return fail(Reason::MetadataMissing, why.to_string()),
        },
    };
    if let Some((r, why)) = broken_link(p, found) {
        return fail(r, why);
    }
    let location = d.location.as_deref().unwrap_or_default();
    let target = match storage.resolve(location, d.from_fhir) {
        Ok(t) => t,
        Err((r, why)) => return fail(r, why),
    };
    // A FHIR Binary returns raw bytes for an Accept other than FHIR's own;
    // `*/*` could get the Binary resource as JSON, so it is not used there.
    let on_fhir = matches!(target, super::storage::Target::Http { fhir: true, .. });
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
    let v = Verifier::new(expected.as_ref().map(|(a, _)| *a)).limited(d.size, storage.max_content);
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

/// Kind, date, patient link or location absent from the metadata.
fn missing_metadata(p: &Picked) -> Option<Failure> {
    let d = &p.doc;
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
        return Some((
            Reason::MetadataMissing,
            format!("no {}", missing.join(", ")),
        ));
    }
    None
}

/// A patient or encounter link the target lacks.
fn broken_link(p: &Picked, found: &Found) -> Option<Failure> {
    let d = &p.doc;
    if let Some(patient) = &d.patient
        && !found.patient(patient)
    {
        return Some((
            Reason::BrokenLink,
            "the linked patient is not in the target".into(),
        ));
    }
    if let Some(encounter) = &d.encounter
        && !found.encounter(encounter)
    {
        return Some((
            Reason::BrokenLink,
            "the linked encounter is not in the target".into(),
        ));
    }
    None
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
        size_differs(meta_size, Some(v.size())).or_else(|| type_differs(meta_type, served))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(alg: HashAlgorithm, bytes: &[u8]) -> Vec<u8> {
        let mut v = Verifier::new(Some(alg));
        for chunk in bytes.chunks(7) {
            v.feed(chunk).expect("no limit");
        }
        v.digest().expect("a hasher")
    }

    #[test]
    fn hashes_in_every_spelling_are_read_and_match_streamed_content() {
        let body = b"hello world";
        // Known digests of "hello world".
        let sha1_hex = "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed";
        let sha1_b64 = "Kq5sNclPz7QV2+lfQIuc6R7oRu0=";
        let sha256_hex = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
        let sha3_512_hex = "840006653e9ac9e95117a15c915caab81662918e925de9e004f774ff82d7079a40d4d27b1b372657c61d46d470304c88c788b3a4527ad074d1dccbee5dbaa99a";
        for (hash, named, alg) in [
            (sha1_hex, None, HashAlgorithm::Sha1),
            (sha1_b64, None, HashAlgorithm::Sha1),
            (sha256_hex, Some("SHA-256"), HashAlgorithm::Sha256),
            (sha3_512_hex, Some("sha3-512"), HashAlgorithm::Sha3_512),
        ] {
            let (a, want) = expected_hash(hash, named, None).expect(hash);
            assert_eq!(a, alg);
            assert_eq!(digest_of(alg, body), want, "{hash}");
        }
        assert!(
            expected_hash(&"ab".repeat(64), None, None).is_err(),
            "128 hex digits need a named algorithm"
        );
        assert!(expected_hash("zz", Some("sha1"), None).is_err());
    }
}
