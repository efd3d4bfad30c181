//! FHIR Bulk Data `$export` (system level, or `Group/ID/$export` with the
//! source's `bulk_group`; `_type` the one resource type):
//! kick-off with `Prefer: respond-async`, poll the status URL from
//! `Content-Location` (honouring `Retry-After`), then stream each NDJSON
//! file line by line (never whole; each line under `max_response_mb`), and
//! `DELETE` the job at the end: after success, after an error, and when the
//! run is cancelled (dropped), so the server can free the files.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_LOCATION};

use super::super::SourceError;
use super::{FhirSource, capped, retry_after};

/// Polls at most: a guard against a job that never ends (the check's
/// timeout usually ends it first).
const MAX_POLLS: usize = 100_000;
/// The wait between polls when the server names none, and the longest
/// honoured.
const POLL_DEFAULT: Duration = Duration::from_secs(1);
const POLL_MAX: Duration = Duration::from_secs(60);
/// One NDJSON file's download: long, since files are large; per file.
const FILE_TIMEOUT: Duration = Duration::from_secs(3600);

/// The job's `DELETE`, sent when dropped unless it was sent already.
struct Job(Option<reqwest::RequestBuilder>);

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(del) = self.0.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = del.send().await;
            });
        }
    }
}

impl Job {
    async fn delete(mut self) {
        if let Some(del) = self.0.take() {
            let _ = del.send().await;
        }
    }
}

/// What an export read, for the result's details.
#[derive(Debug, Default, Clone, Copy)]
pub struct Exported {
    pub files: usize,
    pub resources: u64,
    pub polls: usize,
}

impl FhirSource {
    /// Exports every `resource` (narrowed by `_typeFilter` from `params`,
    /// and by `_since` when given) and hands each one to `each`.
    pub async fn export(
        &self,
        resource: &str,
        params: &[(String, String)],
        since: Option<&str>,
        mut each: impl FnMut(serde_json::Value) -> Result<(), SourceError>,
    ) -> Result<Exported, SourceError> {
        let what = format!("{resource} $export");
        let status_url = self.kick_off(resource, params, since, &what).await?;
        let del = self
            .authorize(self.client.delete(status_url.clone()))
            .await?;
        let job = Job(Some(del));
        let result = async {
            let (manifest, polls) = self.poll(&status_url, &what).await?;
            let mut out = Exported {
                polls,
                ..Exported::default()
            };
            for url in output_urls(&manifest, resource, &what)? {
                out.resources += self.read_file(url, &what, &mut each).await?;
                out.files += 1;
            }
            Ok(out)
        }
        .await;
        job.delete().await;
        result
    }

    async fn kick_off(
        &self,
        resource: &str,
        params: &[(String, String)],
        since: Option<&str>,
        what: &str,
    ) -> Result<url::Url, SourceError> {
        let mut url = self.cfg.base.clone();
        let mut path = url
            .path_segments_mut()
            .map_err(|_| SourceError::Connect("the FHIR base cannot take a path".into()))?;
        if let Some(group) = &self.cfg.bulk_group {
            path.extend(["Group", group]);
        }
        path.push("$export");
        drop(path);
        url.query_pairs_mut()
            .append_pair("_type", resource)
            .append_pair("_outputFormat", "application/fhir+ndjson");
        let filter: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !filter.is_empty() {
            let f = format!("{resource}?{}", filter.join("&"));
            url.query_pairs_mut().append_pair("_typeFilter", &f);
        }
        if let Some(s) = since {
            url.query_pairs_mut().append_pair("_since", s);
        }
        let req = self
            .client
            .get(url)
            .header(ACCEPT, "application/fhir+json")
            .header("Prefer", "respond-async");
        let resp = send(self.authorize(req).await?, self, what).await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(status_error(resp, what).await);
        }
        let loc = resp
            .headers()
            .get(CONTENT_LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| SourceError::Shape(format!("{what}: 202 without Content-Location")))?;
        let loc = url::Url::parse(loc)
            .or_else(|_| self.cfg.base.join(loc))
            .map_err(|_| SourceError::Shape(format!("{what}: Content-Location is not a URL")))?;
        if !self.same_server(&loc) {
            return Err(SourceError::Shape(format!(
                "{what}: the status URL is on another server; not followed"
            )));
        }
        Ok(loc)
    }

    /// Polls until the manifest (200); 202 means in progress (`X-Progress`
    /// is the server's own words, not logged: it may name anything).
    async fn poll(
        &self,
        status_url: &url::Url,
        what: &str,
    ) -> Result<(serde_json::Value, usize), SourceError> {
        let mut wait = POLL_DEFAULT;
        for polls in 1..=MAX_POLLS {
            let req = self
                .client
                .get(status_url.clone())
                .header(ACCEPT, "application/json");
            let resp = send(self.authorize(req).await?, self, what).await?;
            match resp.status() {
                StatusCode::OK => {
                    let manifest = capped::json(resp, self.cfg.max_response, what).await?;
                    return Ok((manifest, polls));
                }
                StatusCode::ACCEPTED | StatusCode::TOO_MANY_REQUESTS => {
                    wait = retry_after(&resp)
                        .unwrap_or(wait.saturating_mul(2).min(Duration::from_secs(10)))
                        .clamp(Duration::from_millis(100), POLL_MAX);
                    tokio::time::sleep(wait).await;
                }
                _ => return Err(status_error(resp, what).await),
            }
        }
        Err(SourceError::Shape(format!(
            "{what}: still running after {MAX_POLLS} polls"
        )))
    }

    /// Streams one NDJSON file: lines split as the bytes come, each parsed
    /// on its own. Credentials only go to this server.
    async fn read_file(
        &self,
        url: url::Url,
        what: &str,
        each: &mut impl FnMut(serde_json::Value) -> Result<(), SourceError>,
    ) -> Result<u64, SourceError> {
        let req = self
            .client
            .get(url.clone())
            .header(ACCEPT, "application/fhir+ndjson")
            .timeout(FILE_TIMEOUT);
        let req = if self.same_server(&url) {
            self.authorize(req).await?
        } else {
            req
        };
        let mut resp = send(req, self, what).await?;
        if !resp.status().is_success() {
            return Err(status_error(resp, what).await);
        }
        let cap = self.cfg.max_response;
        let mut lines = 0u64;
        let mut buf: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| {
            SourceError::Query(format!("{what}: reading a file: {}", e.without_url()))
        })? {
            buf.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(nl) = buf[start..].iter().position(|b| *b == b'\n') {
                lines += line(&buf[start..start + nl], what, each)?;
                start += nl + 1;
            }
            buf.drain(..start);
            if buf.len() > cap {
                return Err(SourceError::Shape(format!(
                    "{what}: an NDJSON line is longer than {} MiB (max_response_mb)",
                    cap >> 20
                )));
            }
        }
        lines += line(&buf, what, each)?;
        Ok(lines)
    }
}

/// One NDJSON line: a resource, or nothing for a blank line.
fn line(
    bytes: &[u8],
    what: &str,
    each: &mut impl FnMut(serde_json::Value) -> Result<(), SourceError>,
) -> Result<u64, SourceError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(0);
    }
    let v = serde_json::from_slice(bytes)
        .map_err(|e| SourceError::Shape(format!("{what}: a line is not JSON: {e}")))?;
    each(v)?;
    Ok(1)
}

/// The manifest's files of `resource` (a server may add others).
fn output_urls(
    manifest: &serde_json::Value,
    resource: &str,
    what: &str,
) -> Result<Vec<url::Url>, SourceError> {
    let output = manifest
        .get("output")
        .and_then(|o| o.as_array())
        .ok_or_else(|| SourceError::Shape(format!("{what}: the manifest has no output")))?;
    output
        .iter()
        .filter(|o| o.get("type").and_then(|t| t.as_str()) == Some(resource))
        .map(|o| {
            o.get("url")
                .and_then(|u| u.as_str())
                .and_then(|u| url::Url::parse(u).ok())
                .ok_or_else(|| SourceError::Shape(format!("{what}: an output without a URL")))
        })
        .collect()
}

async fn send(
    req: reqwest::RequestBuilder,
    source: &FhirSource,
    what: &str,
) -> Result<reqwest::Response, SourceError> {
    req.send().await.map_err(|e| {
        if e.is_timeout() {
            SourceError::Timeout(source.cfg.request_timeout)
        } else {
            SourceError::Connect(format!("{what}: {}", e.without_url()))
        }
    })
}

/// An unexpected status, with the OperationOutcome's text if any.
async fn status_error(resp: reqwest::Response, what: &str) -> SourceError {
    let status = resp.status();
    let detail = capped::body(resp, capped::ERROR_BODY)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| super::outcome_text(&v));
    SourceError::Query(format!(
        "{what}: HTTP {status}{}",
        detail.map(|d| format!(": {d}")).unwrap_or_default()
    ))
}
