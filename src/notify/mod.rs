//! Delivery of the outbox: e-mail (lettre over SMTP), webhooks and
//! Alertmanager, with a lease per message, a timeout per attempt and
//! retries with exponential backoff.
//!
//! Every replica runs the same loop: it lists due messages, claims each
//! with a conditional update (so one replica sends it), sends it, and marks
//! it delivered, due again later, or failed for good. A relay that is down
//! delays its own messages only; it shows in `hypercare_outbox_pending` and
//! `hypercare_notifications_total{result="retry"}`.
//!
//! Knows nothing of alerts: the channel says how to send, the payload what.

pub mod email;
mod error;
pub mod http;
mod metrics;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

pub use error::{SendError, SetupError};
pub use metrics::NotifyMetrics;

use crate::config::Config;
use crate::config::alerts::{NotifierConfig, NotifierKind, OutboxConfig, SMTP_CHANNEL};
use crate::store::{OutboxRow, Store};

/// Messages claimed per pass.
const BATCH: i64 = 20;
/// How often the gauges are refreshed and old messages purged, in passes.
const HOUSEKEEPING_EVERY: u32 = 5;

pub struct Notify {
    store: Store,
    cfg: OutboxConfig,
    owner: String,
    smtp: Option<(EmailSender, Duration)>,
    /// With no relay: e-mail written as `.eml` files (`[outbox] mail_dir`).
    drop: Option<email::FileDrop>,
    http: reqwest::Client,
    /// Notifiers by outbox channel (webhooks and Alertmanagers).
    channels: BTreeMap<String, NotifierConfig>,
    metrics: Option<NotifyMetrics>,
}

use email::EmailSender;

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Notify {
    pub fn new(
        store: Store,
        config: &Config,
        owner: String,
        registry: &prometheus::Registry,
    ) -> Notify {
        let a = &config.alerting;
        let smtp = a.smtp.as_ref().and_then(|s| match EmailSender::new(s) {
            Ok(sender) => Some((sender, s.timeout)),
            Err(e) => {
                tracing::error!(error = %e, "cannot set up the SMTP transport; e-mail stays in the outbox");
                None
            }
        });
        let drop = match (&a.smtp, &a.outbox.mail_dir) {
            (None, Some(dir)) => email::FileDrop::new(dir.clone(), None)
                .map_err(|e| tracing::error!(error = %e, "cannot set up the mail drop folder"))
                .ok(),
            _ => None,
        };
        let channels = a
            .notifiers
            .values()
            .filter(|n| !matches!(n.kind, NotifierKind::Email { .. }))
            .map(|n| (n.channel(), n.clone()))
            .collect();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("hypercare/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let metrics = NotifyMetrics::new(registry)
            .map_err(|e| tracing::error!(error = %e, "notification metrics not registered"))
            .ok();
        let notify = Notify {
            store,
            cfg: a.outbox.clone(),
            owner,
            smtp,
            drop,
            http,
            channels,
            metrics,
        };
        if let Some(m) = &notify.metrics {
            m.known(&notify.known_channels());
        }
        notify
    }

    /// Every channel this config can send on (shown at 0 in the gauges).
    fn known_channels(&self) -> Vec<String> {
        let mut out: Vec<String> = self.channels.keys().cloned().collect();
        if self.smtp.is_some() || self.drop.is_some() {
            out.push(SMTP_CHANNEL.to_string());
        }
        out
    }

    /// The wait after the n-th failed attempt: initial × 2ⁿ⁻¹, capped, ±10 %.
    /// The outbox retries across passes and restarts (the time is stored),
    /// so the delays come from the same backoff as the in-process retries.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let nth = usize::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let delay = ExponentialBuilder::new()
            .with_min_delay(self.cfg.backoff_initial)
            .with_max_delay(self.cfg.backoff_max)
            .without_max_times()
            .build()
            .nth(nth)
            .unwrap_or(self.cfg.backoff_max)
            .min(self.cfg.backoff_max);
        delay.mul_f64(0.9 + fastrand::f64() * 0.2)
    }

    async fn send(&self, row: &OutboxRow) -> Result<(), SendError> {
        if row.channel == SMTP_CHANNEL
            && let (None, Some(drop)) = (&self.smtp, &self.drop)
        {
            return match tokio::time::timeout(
                Duration::from_secs(10),
                drop.send(&row.payload, &row.idempotency_key),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => Err(SendError::Timeout("mail drop", "10s".into())),
            };
        }
        if row.channel == SMTP_CHANNEL {
            let Some((sender, timeout)) = &self.smtp else {
                return Err(SendError::NoRelay);
            };
            return match tokio::time::timeout(
                *timeout + Duration::from_secs(1),
                sender.send(&row.payload, &row.idempotency_key),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => Err(SendError::Timeout(
                    "smtp",
                    humantime::format_duration(*timeout).to_string(),
                )),
            };
        }
        let Some(n) = self.channels.get(&row.channel) else {
            return Err(SendError::NoChannel(row.channel.clone()));
        };
        let key = &row.idempotency_key;
        let work = async {
            match &n.kind {
                NotifierKind::Webhook { url, .. } => {
                    http::send_webhook(&self.http, url, &row.payload, key, n.timeout).await
                }
                NotifierKind::Alertmanager { url } => {
                    http::send_alertmanager(&self.http, url, &row.payload, key, n.timeout).await
                }
                // E-mail notifiers queue on the smtp channel, never on their own.
                NotifierKind::Email { .. } => Err(SendError::NoChannel(row.channel.clone())),
            }
        };
        tokio::time::timeout(n.timeout + Duration::from_secs(1), work)
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Timeout(
                    "notifier",
                    humantime::format_duration(n.timeout).to_string(),
                ))
            })
    }

    /// Claims, sends and settles one message.
    async fn deliver(&self, row: OutboxRow, now_ms: i64) {
        let lease_until = now_ms + ms(self.cfg.lease);
        match self
            .store
            .claim_outbox(row.id, &self.owner, now_ms, lease_until)
            .await
        {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => return tracing::warn!(error = %e, "outbox: cannot claim a message"),
        }
        let attempts = row.attempts + 1;
        let result = self.send(&row).await;
        let done_ms = chrono::Utc::now().timestamp_millis();
        let (settled, outcome) = match &result {
            Ok(()) => (
                self.store
                    .outbox_delivered(row.id, &self.owner, done_ms)
                    .await,
                "sent",
            ),
            Err(e) => {
                // A permanent failure fails the same way every time: not retried.
                let give_up = !e.retryable() || attempts >= i64::from(self.cfg.max_attempts);
                let next = (!give_up).then(|| done_ms + ms(self.backoff(attempts)));
                tracing::warn!(channel = %row.channel, attempts, error = %e, retryable = e.retryable(), give_up, "outbox: delivery failed");
                let r = self
                    .store
                    .outbox_attempt_failed(row.id, &self.owner, done_ms, next, &e.to_string())
                    .await;
                (r, if give_up { "failed" } else { "retry" })
            }
        };
        if let Some(m) = &self.metrics {
            m.count(&row.channel, outcome);
        }
        match settled {
            Ok(true) => tracing::debug!(channel = %row.channel, outcome, "outbox: message settled"),
            Ok(false) => {
                tracing::warn!(channel = %row.channel, "outbox: lease lost before the message was settled")
            }
            // The lease lapses and the message is tried again: sent at least once.
            Err(e) => tracing::warn!(error = %e, "outbox: cannot record a delivery"),
        }
    }

    /// One pass: every due message (up to a batch), concurrently. Returns
    /// how many were due.
    pub async fn deliver_due(&self, now_ms: i64) -> usize {
        let due = match self.store.due_outbox(now_ms, BATCH).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "outbox: store unavailable");
                return 0;
            }
        };
        let n = due.len();
        futures_util::future::join_all(due.into_iter().map(|row| self.deliver(row, now_ms))).await;
        n
    }

    /// Refreshes the gauges from the store and deletes old settled messages.
    pub async fn housekeeping(&self, now_ms: i64) {
        match self.store.outbox_counts().await {
            Ok(counts) => {
                if let Some(m) = &self.metrics {
                    m.show(&counts, &self.known_channels(), now_ms);
                }
            }
            Err(e) => tracing::warn!(error = %e, "outbox: cannot count messages"),
        }
        if let Err(e) = self
            .store
            .purge_outbox(now_ms - ms(self.cfg.retention))
            .await
        {
            tracing::warn!(error = %e, "outbox: cannot purge old messages");
        }
    }

    /// Delivers until cancelled; a pass in flight finishes (each send is bounded).
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let mut passes = 0u32;
        loop {
            let now = chrono::Utc::now().timestamp_millis();
            let due = self.deliver_due(now).await;
            if passes.is_multiple_of(HOUSEKEEPING_EVERY) {
                self.housekeeping(now).await;
            }
            passes = passes.wrapping_add(1);
            // A full batch means more may be due: go again at once.
            let wait = if due as i64 >= BATCH {
                Duration::ZERO
            } else {
                self.cfg.poll_interval
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}
