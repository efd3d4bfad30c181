//! Webhooks and Alertmanager: JSON over HTTP POST, each with a timeout.
//!
//! A webhook's body is queued ready to send. An Alertmanager post is queued
//! as its alerts plus how far ahead `endsAt` lies for the firing ones; the
//! time is filled in when it is sent, so a delayed delivery still keeps the
//! alert alive in Alertmanager until the next re-post.

use std::time::Duration;

use serde_json::Value;

use super::error::SendError;
use crate::config::Secret;
use crate::store::AlertmanagerPayload;

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: String,
    key: &str,
    timeout: Duration,
) -> Result<(), SendError> {
    let r = client
        .post(url)
        .timeout(timeout)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body)
        .send()
        .await
        // Without the URL: a webhook URL may hold a token.
        .map_err(|e| SendError::Request(e.without_url().to_string()))?;
    let status = r.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(SendError::Status(status.as_u16()))
    }
}

pub async fn send_webhook(
    client: &reqwest::Client,
    url: &Secret,
    payload: &str,
    key: &str,
    timeout: Duration,
) -> Result<(), SendError> {
    post(client, url.expose(), payload.to_string(), key, timeout).await
}

pub async fn send_alertmanager(
    client: &reqwest::Client,
    base: &url::Url,
    payload: &str,
    key: &str,
    timeout: Duration,
) -> Result<(), SendError> {
    let payload_error = |source| SendError::Payload {
        what: "Alertmanager",
        source,
    };
    let mut p: AlertmanagerPayload = serde_json::from_str(payload).map_err(payload_error)?;
    if let Some(ahead) = p.ends_in_ms {
        let ends = chrono::Utc::now() + chrono::Duration::milliseconds(ahead);
        for a in &mut p.alerts {
            a["endsAt"] = Value::String(ends.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        }
    }
    let mut base = base.clone();
    let path = format!("{}/", base.path().trim_end_matches('/'));
    base.set_path(&path);
    // The base is a valid URL from the config, so joining a fixed path cannot fail.
    let url = base
        .join("api/v2/alerts")
        .map_err(|e| SendError::Request(format!("bad Alertmanager URL: {e}")))?;
    let body = serde_json::to_string(&p.alerts).map_err(payload_error)?;
    post(client, url.as_str(), body, key, timeout).await
}
