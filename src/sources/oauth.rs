//! OAuth2 client credentials (a shared secret, or a signed JWT assertion
//! for SMART Backend Services): one token per source, fetched when first
//! needed and reused until shortly before it expires, so probes and counts
//! do not pay a token round trip per request.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::SourceError;
use crate::config::ClientAuth;

/// A token is renewed this long before the server says it expires.
const EARLY: Duration = Duration::from_secs(30);
/// RFC 7523's client assertion type, as SMART Backend Services use it.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Lifetime assumed when the token response has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// Where and how to get a token.
pub struct OAuthClient {
    pub token_url: url::Url,
    pub client_id: String,
    pub secret: ClientAuth,
    pub scope: Option<String>,
    cached: Mutex<Option<(String, Instant)>>,
}

impl OAuthClient {
    pub fn new(
        token_url: url::Url,
        client_id: String,
        secret: ClientAuth,
        scope: Option<String>,
    ) -> Self {
        OAuthClient {
            token_url,
            client_id,
            secret,
            scope,
            cached: Mutex::new(None),
        }
    }

    /// A valid access token: the cached one, or a new one. Concurrent
    /// callers wait for one fetch.
    pub async fn token(&self, client: &reqwest::Client) -> Result<String, SourceError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.fetch(client).await?;
        let until = Instant::now() + lifetime.saturating_sub(EARLY);
        *cached = Some((token.clone(), until));
        Ok(token)
    }

    /// Drops the cached token (the server refused it), so the next request fetches one.
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self, client: &reqwest::Client) -> Result<(String, Duration), SourceError> {
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials");
            if let Some(s) = &self.scope {
                form.append_pair("scope", s);
            }
            if let ClientAuth::PrivateKey { pem, kid } = &self.secret {
                let jwt = super::smart::client_assertion(
                    &self.client_id,
                    self.token_url.as_str(),
                    pem.expose(),
                    kid.as_deref(),
                )?;
                form.append_pair("client_assertion_type", JWT_BEARER);
                form.append_pair("client_assertion", &jwt);
            }
            form.finish()
        };
        let req = client.post(self.token_url.clone());
        let req = match &self.secret {
            ClientAuth::Secret(s) => req.basic_auth(&self.client_id, Some(s.expose())),
            ClientAuth::PrivateKey { .. } => req,
        };
        let resp = req
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| SourceError::Connect(format!("token endpoint: {}", e.without_url())))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(SourceError::Query(format!("token endpoint: HTTP {status}")));
        }
        let body: serde_json::Value = resp
            .json()
            .await
            .map_err(|_| SourceError::Shape("token endpoint: the response is not JSON".into()))?;
        let token = body
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| SourceError::Shape("token endpoint: no access_token".into()))?;
        let lifetime = body
            .get("expires_in")
            .and_then(serde_json::Value::as_u64)
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        Ok((token.to_string(), lifetime))
    }
}
