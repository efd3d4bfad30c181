//! OAuth2 client credentials (a shared secret, or a signed JWT assertion
//! for SMART Backend Services): one token per source, fetched when first
//! needed and reused until shortly before it expires, so probes and counts
//! do not pay a token round trip per request.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::SourceError;
use super::body::read_capped;
use crate::config::ClientAuth;

/// A token is renewed this long before the server says it expires.
const EARLY: Duration = Duration::from_secs(30);
/// RFC 7523's client assertion type, as SMART Backend Services use it.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Lifetime assumed when the token response has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// Longest a token is reused, whatever `expires_in` says: a server's
/// `expires_in` of years (or 2^64 s) would otherwise overflow the clock.
const MAX_LIFETIME: Duration = Duration::from_secs(86_400);
/// A token response is a few hundred bytes; more is refused unread.
pub const TOKEN_MAX_BYTES: u64 = 64 * 1024;

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
        let now = Instant::now();
        let until = now
            .checked_add(lifetime.min(MAX_LIFETIME).saturating_sub(EARLY))
            .unwrap_or(now);
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
        let bytes = read_capped(resp, TOKEN_MAX_BYTES)
            .await
            .map_err(|e| SourceError::Shape(format!("token endpoint: {e}")))?;
        parse_token(&bytes)
    }
}

/// The access token and its lifetime from a token response's JSON.
/// `expires_in` may be a number or numeric text (both are seen in the
/// wild); anything else means the default lifetime.
pub(super) fn parse_token(bytes: &[u8]) -> Result<(String, Duration), SourceError> {
    let body: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| SourceError::Shape("token endpoint: the response is not JSON".into()))?;
    let token = body
        .get("access_token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| SourceError::Shape("token endpoint: no access_token".into()))?;
    let lifetime = match body.get("expires_in") {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    let lifetime = lifetime.map_or(DEFAULT_LIFETIME, Duration::from_secs);
    Ok((token.to_string(), lifetime.min(MAX_LIFETIME)))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn token_endpoint(answer: &'static str) -> url::Url {
        let app = axum::Router::new().fallback(move || async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                answer,
            )
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        url::Url::parse(&format!("http://{addr}/token")).unwrap()
    }

    #[tokio::test]
    async fn a_huge_expires_in_is_capped_not_a_panic() {
        let url =
            token_endpoint(r#"{"access_token":"t1","expires_in":18446744073709551615}"#).await;
        let oauth = OAuthClient::new(
            url,
            "id".into(),
            crate::config::ClientAuth::Secret(crate::config::Secret::new("s")),
            None,
        );
        let client = reqwest::Client::new();
        assert_eq!(oauth.token(&client).await.unwrap(), "t1");
        // Cached: the second call does not fetch again, and did not overflow.
        assert_eq!(oauth.token(&client).await.unwrap(), "t1");
    }

    #[test]
    fn token_responses_parse_or_say_why() {
        let day = Duration::from_secs(86_400);
        let ok = |t: &str| parse_token(t.as_bytes()).map(|(_, d)| d).ok();
        assert_eq!(
            ok(r#"{"access_token":"a","expires_in":3600}"#),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            ok(r#"{"access_token":"a","expires_in":"3600"}"#),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            ok(r#"{"access_token":"a","expires_in":1e300}"#),
            Some(DEFAULT_LIFETIME)
        );
        assert_eq!(
            ok(r#"{"access_token":"a","expires_in":99999999999}"#),
            Some(day)
        );
        assert_eq!(
            ok(r#"{"access_token":"a","expires_in":-5}"#),
            Some(DEFAULT_LIFETIME)
        );
        assert!(ok(r#"{"access_token":""}"#).is_none());
        assert!(ok(r#"[1,2]"#).is_none());
        assert!(parse_token(b"\xff\xfe{").is_err());
    }
}
