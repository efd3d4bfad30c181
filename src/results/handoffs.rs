//! What a handoff check finds: how many events of the look-back window
//! reached the other system in time, late, not yet, or never (stuck), which
//! arrivals had no event or came twice, and how long arrivals took. Keys
//! live only in the capped key lists (store and `check --json`), never in
//! summaries, logs or metric labels.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Upper bounds (seconds) of the latency buckets kept in details and shown
/// as `hypercare_handoff_latency_items{at_most}`; a last bucket holds the rest.
pub const LATENCY_BUCKETS: [u64; 10] = [
    60, 300, 900, 3_600, 14_400, 43_200, 86_400, 172_800, 604_800, 2_592_000,
];

/// Figures of a handoff check. Every field defaults when read back, so
/// details stored by an older version still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HandoffDetails {
    /// Events of the look-back window judged in this run.
    pub events: u64,
    pub completed: u64,
    pub late: u64,
    pub pending: u64,
    pub stuck: u64,
    /// Arrivals in the window with no event.
    pub unexpected: u64,
    /// Keys that arrived more than once.
    pub duplicated: u64,
    /// The oldest stuck, late and unexpected items' keys, capped.
    pub stuck_keys: Vec<String>,
    pub late_keys: Vec<String>,
    pub unexpected_keys: Vec<String>,
    /// Event-to-arrival latency of completed and late items (nearest rank,
    /// to three significant digits).
    pub p50_seconds: Option<u64>,
    pub p95_seconds: Option<u64>,
    /// Completed and late items per latency bucket ([`LATENCY_BUCKETS`], then the rest).
    pub latency_counts: Vec<u64>,
    /// Per configured clinic, where the event side names a `clinic`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_clinic: BTreeMap<String, ClinicHandoffs>,
    /// The deadline the run judged by, seconds.
    pub within_seconds: u64,
    /// Whether both sides were compared by one statement in their shared database.
    pub pushed_down: bool,
    /// Why the run could not judge (a side failed); the message may quote
    /// database text, so it stays in details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One clinic's events by class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClinicHandoffs {
    pub events: u64,
    pub completed: u64,
    pub late: u64,
    pub pending: u64,
    pub stuck: u64,
}

/// Where an event landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoffClass {
    Completed,
    Late,
    Pending,
    Stuck,
}

impl ClinicHandoffs {
    pub fn add(&mut self, class: HandoffClass, n: u64) {
        self.events += n;
        let slot = match class {
            HandoffClass::Completed => &mut self.completed,
            HandoffClass::Late => &mut self.late,
            HandoffClass::Pending => &mut self.pending,
            HandoffClass::Stuck => &mut self.stuck,
        };
        *slot += n;
    }
}

impl HandoffDetails {
    /// Stuck items as a share of the judged events (0 when none were judged).
    pub fn stuck_share(&self) -> f64 {
        if self.events == 0 {
            return 0.0;
        }
        self.stuck as f64 / self.events as f64
    }
}

/// A latency rounded down to three significant digits (≤ 1 % off), so a
/// run keeps at most a few thousand distinct values however many items it
/// judges. The databases compute the same rounding when a run is pushed down.
pub fn latency_bucket(seconds: u64) -> u64 {
    let mut step = 1;
    while seconds >= step * 1000 {
        step *= 10;
    }
    seconds - seconds % step
}

/// Latencies counted by their rounded value: bounded memory, exact quantiles
/// of the rounded values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencyHistogram {
    counts: BTreeMap<u64, u64>,
    total: u64,
}

impl LatencyHistogram {
    /// Adds `n` items that took `seconds` (negative skew counts as 0).
    pub fn add(&mut self, seconds: i64, n: u64) {
        let s = latency_bucket(u64::try_from(seconds).unwrap_or(0));
        *self.counts.entry(s).or_default() += n;
        self.total += n;
    }

    /// The nearest-rank quantile `q` (0 to 1); `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        self.counts.iter().find_map(|(s, n)| {
            seen += n;
            (seen >= rank).then_some(*s)
        })
    }

    /// Counts per [`LATENCY_BUCKETS`] bucket, then the rest.
    pub fn bucket_counts(&self) -> Vec<u64> {
        let mut out = vec![0; LATENCY_BUCKETS.len() + 1];
        for (s, n) in &self.counts {
            let i = LATENCY_BUCKETS.partition_point(|le| le < s);
            out[i] += n;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_keep_three_significant_digits() {
        assert_eq!(latency_bucket(0), 0);
        assert_eq!(latency_bucket(999), 999);
        assert_eq!(latency_bucket(1_234), 1_230);
        assert_eq!(latency_bucket(172_800), 172_000);
        assert_eq!(latency_bucket(3_600), 3_600);
    }

    #[test]
    fn quantiles_are_the_nearest_rank_of_rounded_values() {
        let mut h = LatencyHistogram::default();
        assert_eq!(h.quantile(0.5), None);
        for s in 1..=100 {
            h.add(s * 60, 1);
        }
        h.add(-5, 0);
        assert_eq!(h.quantile(0.5), Some(3_000));
        assert_eq!(h.quantile(0.95), Some(5_700));
        assert_eq!(h.bucket_counts()[0], 1);
        assert_eq!(h.bucket_counts()[3], 45);
        assert_eq!(h.bucket_counts().iter().sum::<u64>(), 100);
    }
}
