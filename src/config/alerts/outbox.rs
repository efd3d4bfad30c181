//! `[outbox]`: delivery of everything that leaves the process.

use std::time::Duration;

use crate::config::values;

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// How often each replica looks for due messages.
    #[serde(deserialize_with = "values::duration")]
    pub poll_interval: Duration,
    /// How long a claimed message stays this replica's (longer than any timeout).
    #[serde(deserialize_with = "outbox_lease")]
    pub lease: Duration,
    /// Attempts before a message is given up (counted as failed).
    #[serde(deserialize_with = "values::positive")]
    pub max_attempts: u32,
    /// Wait before the first retry; doubles each attempt…
    #[serde(deserialize_with = "values::duration")]
    pub backoff_initial: Duration,
    /// …up to this.
    #[serde(deserialize_with = "values::duration")]
    pub backoff_max: Duration,
    /// Delivered or failed messages are deleted after this.
    #[serde(deserialize_with = "values::duration")]
    pub retention: Duration,
    /// With no `[smtp]` relay: e-mail is written here, one `.eml` file per message.
    pub mail_dir: Option<std::path::PathBuf>,
}

fn outbox_lease<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let hint = Some("it must outlast a delivery's timeout");
    values::duration_at_least(d, Duration::from_secs(5), "lease must be at least 5s", hint)
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            poll_interval: Duration::from_secs(2),
            lease: Duration::from_secs(60),
            max_attempts: 20,
            backoff_initial: Duration::from_secs(5),
            backoff_max: Duration::from_secs(900),
            retention: Duration::from_secs(7 * 86_400),
            mail_dir: None,
        }
    }
}
