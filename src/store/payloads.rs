//! What an outbox row carries, per channel: the payload types that the
//! rooms queuing messages (alerts, digests) write and `notify` reads. They
//! live here, beside the outbox, so neither side imports the other.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An e-mail as queued in the outbox (channel `smtp`). Anyone may queue
/// one: alerts and digests do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailPayload {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    /// An HTML alternative to `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Images the HTML shows by `cid:` (sent as multipart/related).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline: Vec<InlineImage>,
}

/// An inline image of an HTML e-mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineImage {
    /// Content-ID without angle brackets, as the HTML's `cid:` names it.
    pub cid: String,
    pub content_type: String,
    /// The bytes, base64.
    pub base64: String,
}

/// An Alertmanager post as queued (channel `alertmanager:NAME`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertmanagerPayload {
    /// Alerts in Alertmanager's v2 shape (labels, annotations, startsAt,
    /// endsAt for resolved ones, generatorURL).
    pub alerts: Vec<Value>,
    /// For firing alerts: `endsAt` = send time + this.
    #[serde(default)]
    pub ends_in_ms: Option<i64>,
}
