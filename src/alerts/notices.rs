//! The outbox messages of one step: each notice, for each of the rule's
//! notifiers that takes it, with its idempotency key
//! `alert:FINGERPRINT:EPISODE:NOTICE:NOTIFIER`.

use std::collections::BTreeMap;

use super::message::AlertMessage;
use super::state::{Notice, Step};
use crate::config::alerts::{AlertingConfig, NotifierConfig};

/// `(channel, idempotency key, payload)` of each message to queue.
pub(super) fn queue(
    step: &Step,
    labels: &BTreeMap<String, String>,
    notifiers: &[&NotifierConfig],
    general: &AlertingConfig,
    public_url: Option<&str>,
) -> Vec<(String, String, String)> {
    let ann: BTreeMap<String, String> =
        serde_json::from_str(&step.row.annotations).unwrap_or_default();
    let msg = AlertMessage {
        fingerprint: &step.row.fingerprint,
        labels,
        annotations: &ann,
        value: step.row.value,
        fired_ms: step.row.fired_ms,
        resolved_ms: step.row.resolved_ms,
        public_url,
    };
    // Alertmanager keeps a firing alert until endsAt: four re-post intervals ahead.
    let ends_in = i64::try_from(general.resend_interval.as_millis()).unwrap_or(i64::MAX / 8) * 4;
    let mut out = Vec::new();
    let wanted = step
        .notices
        .iter()
        .filter(|n| general.send_resolved || **n != Notice::Resolved);
    for notice in wanted {
        for n in notifiers {
            if let Some(payload) = msg.payload(*notice, n, ends_in) {
                let key = format!(
                    "alert:{}:{}:{}:{}",
                    step.row.fingerprint,
                    step.row.episode,
                    notice.key(),
                    n.name
                );
                out.push((n.channel(), key, payload));
            }
        }
    }
    out
}
