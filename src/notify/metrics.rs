//! Outbox and delivery metrics, on the application's registry. The pending
//! and failed gauges are read from the store (every replica shows the same);
//! the delivery counter counts what this process did.

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

use crate::store::OutboxCounts;

/// The results of a delivery attempt (`hypercare_notifications_total`).
const RESULTS: [&str; 3] = ["sent", "retry", "failed"];

#[derive(Clone)]
pub struct NotifyMetrics {
    pending: IntGaugeVec,
    failed: IntGaugeVec,
    oldest: IntGaugeVec,
    deliveries: IntCounterVec,
}

impl NotifyMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<NotifyMetrics> {
        let m = NotifyMetrics {
            pending: IntGaugeVec::new(
                Opts::new(
                    "hypercare_outbox_pending",
                    "Messages waiting in the outbox (read from the store), by channel.",
                ),
                &["channel"],
            )?,
            failed: IntGaugeVec::new(
                Opts::new(
                    "hypercare_outbox_failed",
                    "Messages given up after their last attempt (read from the store), by channel.",
                ),
                &["channel"],
            )?,
            oldest: IntGaugeVec::new(
                Opts::new(
                    "hypercare_outbox_oldest_pending_age_seconds",
                    "Age of the oldest waiting message, by channel; 0 when none waits.",
                ),
                &["channel"],
            )?,
            deliveries: IntCounterVec::new(
                Opts::new(
                    "hypercare_notifications_total",
                    "Delivery attempts made by this process, by channel and result (sent, retry, failed).",
                ),
                &["channel", "result"],
            )?,
        };
        registry.register(Box::new(m.pending.clone()))?;
        registry.register(Box::new(m.failed.clone()))?;
        registry.register(Box::new(m.oldest.clone()))?;
        registry.register(Box::new(m.deliveries.clone()))?;
        Ok(m)
    }

    /// Shows every configured channel's delivery counters at 0.
    pub fn known(&self, channels: &[String]) {
        for ch in channels {
            for result in RESULTS {
                self.deliveries.with_label_values(&[ch, result]).inc_by(0);
            }
        }
    }

    pub fn count(&self, channel: &str, result: &str) {
        self.deliveries.with_label_values(&[channel, result]).inc();
    }

    /// Shows the store's counts; `channels` are shown at 0 when absent.
    pub fn show(&self, counts: &[OutboxCounts], channels: &[String], now_ms: i64) {
        for ch in channels {
            if !counts.iter().any(|c| &c.channel == ch) {
                self.pending.with_label_values(&[ch]).set(0);
                self.failed.with_label_values(&[ch]).set(0);
                self.oldest.with_label_values(&[ch]).set(0);
            }
        }
        for c in counts {
            self.pending.with_label_values(&[&c.channel]).set(c.pending);
            self.failed.with_label_values(&[&c.channel]).set(c.failed);
            let age = c
                .oldest_pending_ms
                .map_or(0, |t| (now_ms - t).max(0) / 1000);
            self.oldest.with_label_values(&[&c.channel]).set(age);
        }
    }
}
