//! Where a document is: its location resolved to a target (http(s), a
//! local file, an S3 object), and what reaching it can find or fail with.
//! The storage kinds and the verifier all read these types; this file
//! imports none of them.

use std::path::{Component, PathBuf};

use crate::config::documents::Base;
use crate::results::Reason;
use crate::sources::FhirSource;

/// A document failure: its reason and what was seen (no record values).
pub(crate) type Failure = (Reason, String);

/// What a reachability probe saw.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub size: Option<u64>,
    pub content_type: Option<String>,
}

/// A resolved location.
#[derive(Debug)]
pub(crate) enum Target {
    /// `fhir`: on the inventory's FHIR server (its credentials go along).
    Http {
        url: url::Url,
        fhir: bool,
    },
    File(PathBuf),
    S3 {
        bucket: String,
        key: object_store::path::Path,
    },
}

/// Where a location points. Relative locations resolve against the FHIR
/// base (for FHIR inventories) or the configured base.
pub fn resolve(
    location: &str,
    from_fhir: bool,
    fhir: Option<&FhirSource>,
    base: Option<&Base>,
) -> Result<Target, Failure> {
    let bad = |why: &str| (Reason::InvalidLocation, why.to_string());
    let loc = location.trim();
    if let Some(rest) = loc.strip_prefix("s3://") {
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| bad("s3 location without a key"))?;
        let key = object_store::path::Path::parse(key)
            .map_err(|_| bad("s3 key is not a valid object path"))?;
        if bucket.is_empty() {
            return Err(bad("s3 location without a bucket"));
        }
        return Ok(Target::S3 {
            bucket: bucket.to_string(),
            key,
        });
    }
    if loc.starts_with("http://") || loc.starts_with("https://") {
        let url = url::Url::parse(loc).map_err(|_| bad("malformed URL"))?;
        return Ok(http_target(url, from_fhir, fhir));
    }
    if let Some(path) = loc.strip_prefix("file://") {
        return local(path).ok_or_else(|| bad("file URL with a relative or `..` path"));
    }
    if loc.starts_with('/') {
        return local(loc).ok_or_else(|| bad("path with `..`"));
    }
    if loc.contains("://") {
        return Err(bad(
            "unsupported scheme (use http, https, s3, file or a path)",
        ));
    }
    if from_fhir && let Some(f) = fhir {
        let joined = format!("{}/{}", f.base().as_str().trim_end_matches('/'), loc);
        let url = url::Url::parse(&joined).map_err(|_| bad("relative URL does not resolve"))?;
        return Ok(http_target(url, true, fhir));
    }
    match base {
        Some(Base::Url(base)) => {
            let url = base
                .join(loc)
                .map_err(|_| bad("relative URL does not resolve"))?;
            Ok(http_target(url, false, fhir))
        }
        Some(Base::Folder(dir)) => {
            let rel = PathBuf::from(loc);
            if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(bad("relative path with `..`"));
            }
            Ok(Target::File(dir.join(rel)))
        }
        None => Err(bad("relative location and no storage base configured")),
    }
}

fn http_target(url: url::Url, from_fhir: bool, fhir: Option<&FhirSource>) -> Target {
    let fhir = from_fhir && fhir.is_some_and(|f| f.same_server(&url));
    Target::Http { url, fhir }
}

/// An absolute local path without `..`.
fn local(path: &str) -> Option<Target> {
    let p = PathBuf::from(path);
    let ok = p.is_absolute() && !p.components().any(|c| matches!(c, Component::ParentDir));
    ok.then_some(Target::File(p))
}
