//! The digest counter. Labels are digest names from config.

use prometheus::{IntCounterVec, Opts, Registry};

#[derive(Clone)]
pub struct DigestMetrics {
    sent: IntCounterVec,
}

impl DigestMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<DigestMetrics> {
        let sent = IntCounterVec::new(
            Opts::new(
                "hypercare_digests_sent_total",
                "Digest messages this process queued to the outbox (one per recipient and period).",
            ),
            &["digest"],
        )?;
        registry.register(Box::new(sent.clone()))?;
        Ok(DigestMetrics { sent })
    }

    /// Shows a digest at 0 before its first message.
    pub fn known(&self, digest: &str) {
        self.sent.with_label_values(&[digest]).inc_by(0);
    }

    pub fn sent(&self, digest: &str, n: u64) {
        self.sent.with_label_values(&[digest]).inc_by(n);
    }
}
