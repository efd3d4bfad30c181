//! FHIR R4 servers as sources, over reqwest (rustls).
//!
//! Counts use `_summary=count` and read `Bundle.total` leniently (some
//! servers omit `Bundle.type`). 429 and 503 are normal on production FHIR
//! APIs: requests are retried with backoff, honouring `Retry-After`.
//! Errors name the resource type and the HTTP status, never a URL (a URL
//! can carry identifiers).

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, RETRY_AFTER};

use super::SourceError;
use super::oauth::OAuthClient;
use crate::config::{FhirAuth, FhirSourceConfig};

mod capped;
mod export;
mod search;

/// Longest wait honoured from a `Retry-After` header.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

pub struct FhirSource {
    client: reqwest::Client,
    cfg: FhirSourceConfig,
    /// The token cache, for OAuth2 client credentials.
    oauth: Option<OAuthClient>,
    /// Whether the CapabilityStatement offers `$export`, once asked.
    exports: tokio::sync::OnceCell<bool>,
}

impl FhirSource {
    pub fn new(cfg: &FhirSourceConfig) -> Result<Self, SourceError> {
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(concat!("hypercare/", env!("CARGO_PKG_VERSION")))
            .redirect(super::redirect::same_origin())
            .build()
            .map_err(|e| SourceError::Connect(format!("HTTP client: {e}")))?;
        let oauth = match &cfg.auth {
            FhirAuth::OAuth2 {
                token_url,
                client_id,
                secret,
                scope,
            } => Some(OAuthClient::new(
                token_url.clone(),
                client_id.clone(),
                secret.clone(),
                scope.clone(),
            )),
            _ => None,
        };
        Ok(FhirSource {
            client,
            cfg: cfg.clone(),
            oauth,
            exports: tokio::sync::OnceCell::new(),
        })
    }

    /// The shared client (connection pool, connect and request timeouts).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Whether keyed diffs and inventories read by Bulk Data `$export`:
    /// as configured, or else when the server's CapabilityStatement offers
    /// a system-level `export` (asked once per source; a server that does
    /// not answer `metadata` is searched).
    pub async fn bulk(&self) -> bool {
        if let Some(b) = self.cfg.bulk {
            return b;
        }
        *self
            .exports
            .get_or_init(|| async {
                let mut url = self.cfg.base.clone();
                if let Ok(mut p) = url.path_segments_mut() {
                    p.push("metadata");
                }
                self.get_json(url, "metadata")
                    .await
                    .is_ok_and(|m| offers_export(&m))
            })
            .await
    }

    /// The base URL, without a trailing `/`.
    pub fn base(&self) -> &url::Url {
        &self.cfg.base
    }

    /// Forgets a cached OAuth2 token after the server answered 401 to it.
    pub async fn token_refused(&self) {
        if let Some(o) = &self.oauth {
            o.forget().await;
        }
    }

    /// Adds the source's credentials to a request (fetching an OAuth2
    /// token first if the cached one is missing or about to expire).
    pub async fn authorize(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, SourceError> {
        Ok(match &self.cfg.auth {
            FhirAuth::None => req,
            FhirAuth::Bearer(t) => req.bearer_auth(t.expose()),
            FhirAuth::Basic { username, password } => {
                req.basic_auth(username, Some(password.expose()))
            }
            FhirAuth::OAuth2 { .. } => match &self.oauth {
                Some(o) => req.bearer_auth(o.token(&self.client).await?),
                None => req,
            },
        })
    }

    /// `GET [base]/[resource]?[params]&_summary=count` → `Bundle.total`.
    pub async fn count(
        &self,
        resource: &str,
        params: &[(String, String)],
    ) -> Result<i64, SourceError> {
        let mut url = self.cfg.base.clone();
        url.path_segments_mut()
            .map_err(|_| SourceError::Connect("the FHIR base cannot take a path".into()))?
            .push(resource);
        url.query_pairs_mut()
            .extend_pairs(params)
            .append_pair("_summary", "count");
        let body = self.get_json(url, resource).await?;
        bundle_total(&body, resource)
    }

    /// One GET with retries on 429, 503 and connection failures: backoff
    /// from 500 ms doubling, or the server's `Retry-After`, at most 30 s.
    async fn get_json(&self, url: url::Url, what: &str) -> Result<serde_json::Value, SourceError> {
        let backoff = ExponentialBuilder::new()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(MAX_RETRY_AFTER)
            .with_max_times(self.cfg.max_retries as usize);
        let retries = self.cfg.max_retries;
        (|| self.get_once(url.clone(), what))
            .retry(backoff)
            .when(Attempt::retryable)
            .adjust(|e, next| next.map(|d| e.wait().unwrap_or(d).min(MAX_RETRY_AFTER)))
            .await
            .map_err(|e| e.into_error(what, retries))
    }

    async fn get_once(&self, url: url::Url, what: &str) -> Result<serde_json::Value, Attempt> {
        let req = self.client.get(url).header(ACCEPT, "application/fhir+json");
        let req = self.authorize(req).await.map_err(Attempt::Final)?;
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) if e.is_timeout() => {
                return Err(Attempt::Final(SourceError::Timeout(
                    self.cfg.request_timeout,
                )));
            }
            Err(e) => return Err(Attempt::Unreachable(e.without_url().to_string())),
        };
        let status = resp.status();
        if status.is_success() {
            return capped::json(resp, self.cfg.max_response, what)
                .await
                .map_err(Attempt::Final);
        }
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            return Err(Attempt::Busy(retry_after(&resp)));
        }
        if status == StatusCode::UNAUTHORIZED {
            // The token may have been revoked early: the next request fetches one.
            self.token_refused().await;
        }
        let detail = capped::body(resp, capped::ERROR_BODY)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| outcome_text(&v));
        Err(Attempt::Final(SourceError::Query(format!(
            "{what}: HTTP {status}{}",
            detail.map(|d| format!(": {d}")).unwrap_or_default()
        ))))
    }
}

/// How one GET went wrong, and whether another may go right.
enum Attempt {
    /// 429 or 503, with the server's `Retry-After` if it gave one.
    Busy(Option<Duration>),
    /// The request did not reach the server (connection refused, reset).
    Unreachable(String),
    /// Not retried: a timeout, an error status, a body that is not JSON.
    Final(SourceError),
}

impl Attempt {
    fn retryable(&self) -> bool {
        !matches!(self, Attempt::Final(_))
    }

    /// The wait the server asked for.
    fn wait(&self) -> Option<Duration> {
        match self {
            Attempt::Busy(after) => *after,
            _ => None,
        }
    }

    fn into_error(self, what: &str, retries: u32) -> SourceError {
        match self {
            Attempt::Busy(_) => SourceError::Query(format!(
                "{what}: still rate-limited or unavailable after {retries} retries"
            )),
            Attempt::Unreachable(e) => SourceError::Connect(format!("{what}: {e}")),
            Attempt::Final(e) => e,
        }
    }
}

/// Whether a CapabilityStatement lists a system-level `export` operation.
fn offers_export(cap: &serde_json::Value) -> bool {
    let rests = cap.get("rest").and_then(|r| r.as_array());
    rests.into_iter().flatten().any(|rest| {
        let ops = rest.get("operation").and_then(|o| o.as_array());
        ops.into_iter()
            .flatten()
            .any(|op| op.get("name").and_then(|n| n.as_str()) == Some("export"))
    })
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let v = resp.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

/// The count of a search bundle, accepting bundles without `type`.
pub fn bundle_total(body: &serde_json::Value, what: &str) -> Result<i64, SourceError> {
    match body.get("resourceType").and_then(|t| t.as_str()) {
        Some("Bundle") | None => {}
        Some("OperationOutcome") => {
            return Err(SourceError::Query(format!(
                "{what}: {}",
                outcome_text(body)
                    .unwrap_or_else(|| "the server returned an OperationOutcome".into())
            )));
        }
        Some(other) => {
            return Err(SourceError::Shape(format!(
                "{what}: expected a Bundle, got {other}"
            )));
        }
    }
    body.get("total")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| {
            SourceError::Shape(format!(
                "{what}: the bundle has no total (does the server support _summary=count?)"
            ))
        })
}

/// The first issue's diagnostics (or code) of an OperationOutcome, shortened.
fn outcome_text(v: &serde_json::Value) -> Option<String> {
    let issue = v.get("issue")?.get(0)?;
    let text = issue
        .get("diagnostics")
        .or_else(|| issue.get("code"))?
        .as_str()?;
    Some(text.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn export_is_offered_by_a_system_level_operation() {
        let cap = |ops: serde_json::Value| serde_json::json!({"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "operation": ops}]});
        assert!(offers_export(&cap(
            serde_json::json!([{"name": "validate"}, {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}])
        )));
        assert!(!offers_export(&cap(
            serde_json::json!([{"name": "validate"}])
        )));
        assert!(!offers_export(
            &serde_json::json!({"resourceType": "CapabilityStatement"})
        ));
    }

    #[test]
    fn totals_are_read_leniently() {
        let no_type = json!({"resourceType": "Bundle", "meta": {"tag": [{"code": "SUBSETTED"}]}, "total": 1705});
        assert_eq!(bundle_total(&no_type, "Patient").unwrap(), 1705);
        assert_eq!(bundle_total(&json!({"total": 3}), "Patient").unwrap(), 3);
        let oo = json!({"resourceType": "OperationOutcome", "issue": [{"code": "processing", "diagnostics": "bad param"}]});
        assert!(
            bundle_total(&oo, "Patient")
                .unwrap_err()
                .to_string()
                .contains("bad param")
        );
        assert!(bundle_total(&json!({"resourceType": "Bundle"}), "Patient").is_err());
    }
}
