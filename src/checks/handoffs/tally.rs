//! Where each event lands, the findings counted, the oldest keys kept, and
//! the verdict: the same whether the database classified the items (one
//! shared source) or the merge did (two sources).

use std::collections::BinaryHeap;

use super::sql::Window;
use crate::config::Tolerance;
use crate::config::handoffs::HandoffConfig;
use crate::results::{
    CheckResult, Details, HandoffClass, HandoffDetails, LatencyHistogram, Outcome,
};

/// Events whose clinic value is no configured clinic's id or code count
/// under this label: shown, never dropped (the same label every check uses).
use crate::results::UNASSIGNED;

/// The class of an event at `event_ms` whose first arrival (if any) came at
/// `arrival_ms`. Arriving exactly at the deadline is in time; an event is
/// stuck only once the deadline has passed. An arrival stamped before its
/// event (clocks apart) is in time.
pub fn classify(event_ms: i64, arrival_ms: Option<i64>, w: &Window) -> HandoffClass {
    match arrival_ms {
        Some(a) if a.saturating_sub(event_ms) <= w.within_ms => HandoffClass::Completed,
        Some(_) => HandoffClass::Late,
        None if event_ms.saturating_add(w.within_ms) < w.now_ms => HandoffClass::Stuck,
        None => HandoffClass::Pending,
    }
}

/// The `n` oldest items seen (by time, then key), in bounded memory.
struct Oldest {
    cap: usize,
    heap: BinaryHeap<(i64, String)>,
}

impl Oldest {
    fn new(cap: usize) -> Oldest {
        Oldest {
            cap,
            heap: BinaryHeap::new(),
        }
    }

    fn push(&mut self, at: i64, key: &str) {
        let newer = self
            .heap
            .peek()
            .is_some_and(|top| (at, key) >= (top.0, &top.1));
        if self.heap.len() >= self.cap && (self.cap == 0 || newer) {
            return;
        }
        self.heap.push((at, key.to_string()));
        if self.heap.len() > self.cap {
            self.heap.pop();
        }
    }

    fn keys(self) -> Vec<String> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|(_, k)| k)
            .collect()
    }
}

/// A run's figures as they accumulate.
pub struct Tally {
    pub details: HandoffDetails,
    latency: LatencyHistogram,
    stuck: Oldest,
    late: Oldest,
    unexpected: Oldest,
    clinics: std::collections::BTreeMap<String, String>,
}

impl Tally {
    /// `clinics`: each value a `clinic` column may hold (a configured
    /// clinic's id or one of its `codes`) with the clinic id it means.
    pub fn new(
        max_keys: usize,
        clinics: std::collections::BTreeMap<String, String>,
        pushed_down: bool,
    ) -> Tally {
        Tally {
            details: HandoffDetails {
                pushed_down,
                ..Default::default()
            },
            latency: LatencyHistogram::default(),
            stuck: Oldest::new(max_keys),
            late: Oldest::new(max_keys),
            unexpected: Oldest::new(max_keys),
            clinics,
        }
    }

    /// Counts `n` judged events of one class (and clinic), with their
    /// latency in seconds when they arrived.
    pub fn count(
        &mut self,
        class: HandoffClass,
        clinic: Option<Option<&str>>,
        latency_s: Option<i64>,
        n: u64,
    ) {
        let d = &mut self.details;
        d.events += n;
        *match class {
            HandoffClass::Completed => &mut d.completed,
            HandoffClass::Late => &mut d.late,
            HandoffClass::Pending => &mut d.pending,
            HandoffClass::Stuck => &mut d.stuck,
        } += n;
        if let Some(s) = latency_s {
            self.latency.add(s, n);
        }
        if let Some(clinic) = clinic {
            let label = clinic
                .and_then(|c| self.clinics.get(c.trim()))
                .map_or(UNASSIGNED, String::as_str);
            let entry = d.by_clinic.entry(label.to_string()).or_default();
            entry.add(class, n);
        }
    }

    /// Judges one event of the merge.
    pub fn event(
        &mut self,
        key: &str,
        at: i64,
        clinic: Option<Option<&str>>,
        arrival: Option<i64>,
        w: &Window,
    ) {
        let class = classify(at, arrival, w);
        let latency = arrival.map(|a| a.saturating_sub(at).max(0) / 1000);
        self.count(class, clinic, latency, 1);
        self.key(class, at, key);
    }

    /// Keeps a stuck or late item's key, if among the oldest.
    pub fn key(&mut self, class: HandoffClass, at: i64, key: &str) {
        match class {
            HandoffClass::Stuck => self.stuck.push(at, key),
            HandoffClass::Late => self.late.push(at, key),
            _ => {}
        }
    }

    /// An arrival with no event; `first_ms` is when it first arrived.
    pub fn unexpected(&mut self, key: &str, first_ms: i64) {
        self.details.unexpected += 1;
        self.unexpected.push(first_ms, key);
    }

    /// Keeps an unexpected item's key counted elsewhere (the pushed statement).
    pub fn unexpected_key(&mut self, key: &str, first_ms: i64) {
        self.unexpected.push(first_ms, key);
    }

    /// The run's result: fails when stuck items exceed the tolerance.
    pub fn finish(self, cfg: &HandoffConfig) -> CheckResult {
        let mut d = self.details;
        d.stuck_keys = self.stuck.keys();
        d.late_keys = self.late.keys();
        d.unexpected_keys = self.unexpected.keys();
        d.p50_seconds = self.latency.quantile(0.5);
        d.p95_seconds = self.latency.quantile(0.95);
        d.latency_counts = self.latency.bucket_counts();
        d.within_seconds = cfg.within.as_secs();
        let fail = exceeded(cfg.tolerance, d.events, d.stuck);
        CheckResult {
            outcome: if fail { Outcome::Fail } else { Outcome::Pass },
            summary: summary(&d, cfg),
            details: Details::Handoff(d),
        }
    }
}

fn exceeded(tolerance: Tolerance, events: u64, stuck: u64) -> bool {
    let events = i64::try_from(events).unwrap_or(i64::MAX);
    tolerance.exceeded(events, i64::try_from(stuck).unwrap_or(i64::MAX))
}

/// One line for people: counts and the deadline, never keys.
fn summary(d: &HandoffDetails, cfg: &HandoffConfig) -> String {
    let within = humantime::format_duration(cfg.within);
    let mut s = format!(
        "{} of {} events stuck past {within} (tolerance {}); {} completed, {} late, {} pending",
        d.stuck, d.events, cfg.tolerance, d.completed, d.late, d.pending
    );
    if d.unexpected > 0 || d.duplicated > 0 {
        s += &format!("; {} unexpected, {} duplicated", d.unexpected, d.duplicated);
    }
    if let Some(p95) = d.p95_seconds {
        let p95 = humantime::format_duration(std::time::Duration::from_secs(p95));
        s += &format!("; p95 {p95}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn window() -> Window {
        Window {
            start_ms: 0,
            read_ms: -48 * H,
            within_ms: 48 * H,
            now_ms: 100 * H,
            max_keys: 2,
        }
    }

    #[test]
    fn the_deadline_is_inclusive_for_arrivals_and_for_waiting() {
        let w = window();
        assert_eq!(classify(10 * H, Some(58 * H), &w), HandoffClass::Completed);
        assert_eq!(classify(10 * H, Some(58 * H + 1), &w), HandoffClass::Late);
        assert_eq!(classify(10 * H, Some(9 * H), &w), HandoffClass::Completed);
        assert_eq!(classify(52 * H, None, &w), HandoffClass::Pending);
        assert_eq!(classify(52 * H - 1, None, &w), HandoffClass::Stuck);
    }

    #[test]
    fn the_oldest_keys_are_kept_in_order() {
        let mut o = Oldest::new(2);
        for (at, k) in [(5, "e"), (1, "b"), (3, "c"), (1, "a"), (9, "z")] {
            o.push(at, k);
        }
        assert_eq!(o.keys(), ["a", "b"]);
        let mut none = Oldest::new(0);
        none.push(1, "a");
        assert!(none.keys().is_empty());
    }
}
