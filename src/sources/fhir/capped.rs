//! Response bodies read up to a cap: a FHIR server (or whatever answers at
//! its address) decides how much it sends, hypercare how much it keeps.

use super::super::SourceError;
use super::super::body::{BodyError, read_capped};

/// Bytes of an error body read for its OperationOutcome text.
pub const ERROR_BODY: usize = 64 * 1024;

/// Why a body was not read whole.
pub enum Short {
    /// Over `cap` bytes (by `Content-Length` or as it came).
    TooLarge,
    /// The connection failed mid-body.
    Failed(String),
}

/// The body, refusing it as soon as it passes `cap` bytes (the shared
/// capped reader, its errors told the FHIR way).
pub async fn body(resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, Short> {
    let cap = u64::try_from(cap).unwrap_or(u64::MAX);
    read_capped(resp, cap).await.map_err(|e| match e {
        BodyError::TooLarge { .. } => Short::TooLarge,
        BodyError::Read(e) => Short::Failed(e.without_url().to_string()),
    })
}

/// A page or bundle as JSON, read under `cap`.
pub async fn json(
    resp: reqwest::Response,
    cap: usize,
    what: &str,
) -> Result<serde_json::Value, SourceError> {
    let bytes = body(resp, cap).await.map_err(|e| match e {
        Short::TooLarge => SourceError::Shape(format!(
            "{what}: the response is larger than {} MiB (max_response_mb)",
            cap >> 20
        )),
        Short::Failed(e) => SourceError::Query(format!("{what}: reading the response: {e}")),
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| SourceError::Shape(format!("{what}: the response is not JSON: {e}")))
}
