//! The rotation: which documents a run checks, and which of those get their
//! content verified.
//!
//! Documents stream past [`Plan::offer`] one by one; the plan keeps only the
//! best `sample` candidates in two bounded heaps:
//! 1. documents that failed last time, oldest check first, up to half the
//!    sample (so a mass failure cannot stall the rotation);
//! 2. then documents never checked (new ones), in inventory order;
//! 3. then the least recently checked.
//!
//! With `sample` × runs per cycle ≥ the inventory, every document is
//! checked within the cycle; the coverage figures say whether it was.
//! Content verification goes to `content_share` of the sample: failed and
//! never-verified documents first, then the longest unverified.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::inventory::{Doc, Skipped};
use super::kinds::KindMap;
use crate::config::documents::DocumentsConfig;
use crate::results::{Ledger, LedgerEntry};

/// A picked document and what the ledger knew of it. Candidates and picks
/// are one type, boxed, so choosing the sample moves pointers and a growing
/// heap never holds two copies of the sample.
pub(crate) struct Picked {
    /// Rotation priority: (class, last checked ms, inventory order), lowest first.
    key: (u8, i64, u64),
    pub doc: Doc,
    pub prior: Option<LedgerEntry>,
    /// Whether its content is fetched and verified this run.
    pub content: bool,
    /// Whether it was already checked within the cycle before this run.
    pub covered: bool,
    pub content_covered: bool,
}

/// Per-kind inventory and coverage counts before this run's checks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KindCounts {
    pub inventory: u64,
    pub covered: u64,
    pub content_covered: u64,
}

/// What the plan chose, and what it saw on the way.
pub(crate) struct Selection {
    // Boxed: the heaps that pick the sample move pointers, and their growth
    // never holds two copies of a sample that can be the whole inventory.
    #[expect(clippy::vec_box, reason = "see above: bounded peak memory")]
    pub picked: Vec<Box<Picked>>,
    pub kinds: Vec<KindCounts>,
    pub skipped: Skipped,
    /// Ledger ids no longer in the inventory.
    pub removed: Vec<String>,
}

impl PartialEq for Picked {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl Eq for Picked {}
impl PartialOrd for Picked {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Picked {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.key.cmp(&o.key)
    }
}

pub(crate) struct Plan {
    ledger: HashMap<String, LedgerEntry>,
    since_ms: i64,
    sample: usize,
    recheck_cap: usize,
    content_share: f64,
    /// Max-heaps: the worst candidate is popped when a heap overflows.
    failed: BinaryHeap<Box<Picked>>,
    rest: BinaryHeap<Box<Picked>>,
    seq: u64,
    kinds: Vec<KindCounts>,
}

impl Plan {
    pub fn new(cfg: &DocumentsConfig, kinds: &KindMap, ledger: Ledger, now_ms: i64) -> Plan {
        Plan {
            ledger: ledger.entries,
            since_ms: now_ms - cfg.cycle.as_millis() as i64,
            sample: cfg.sample,
            recheck_cap: (cfg.sample / 2).max(1),
            content_share: cfg.content_share,
            failed: BinaryHeap::new(),
            rest: BinaryHeap::new(),
            seq: 0,
            kinds: vec![KindCounts::default(); kinds.count()],
        }
    }

    /// Considers one inventory document.
    pub fn offer(&mut self, doc: Doc) {
        self.seq += 1;
        let prior = self.ledger.remove(&*doc.id);
        let covered = prior.is_some_and(|p| p.checked_ms >= self.since_ms);
        let content_covered =
            prior.is_some_and(|p| p.content_ms > 0 && p.content_ms >= self.since_ms);
        if let Some(k) = doc.kind.and_then(|k| self.kinds.get_mut(usize::from(k))) {
            k.inventory += 1;
            k.covered += u64::from(covered);
            k.content_covered += u64::from(content_covered);
        } else if let Some(k) = self.kinds.last_mut() {
            // No kind at all: counted with `_other` (and failed as metadata_missing when checked).
            k.inventory += 1;
            k.covered += u64::from(covered);
            k.content_covered += u64::from(content_covered);
        }
        let (key, failed) = match prior {
            Some(p) if p.reason.is_some() => ((0, p.checked_ms, self.seq), true),
            Some(p) => ((2, p.checked_ms, self.seq), false),
            None => ((1, 0, self.seq), false),
        };
        let cand = Box::new(Picked {
            key,
            doc,
            prior,
            content: false,
            covered,
            content_covered,
        });
        if !failed {
            return self.push_rest(cand);
        }
        self.failed.push(cand);
        if self.failed.len() > self.recheck_cap
            && let Some(mut out) = self.failed.pop()
        {
            // Beyond the recheck share: it waits its turn among the rest.
            out.key.0 = 2;
            self.push_rest(out);
        }
    }

    fn push_rest(&mut self, cand: Box<Picked>) {
        self.rest.push(cand);
        if self.rest.len() > self.sample {
            self.rest.pop();
        }
    }

    /// The sample, in priority order, with its content share marked.
    pub fn finish(self) -> Selection {
        let mut picked: Vec<Box<Picked>> = self.failed.into_sorted_vec();
        let room = self.sample.saturating_sub(picked.len());
        let mut rest = self.rest.into_sorted_vec();
        rest.truncate(room);
        picked.append(&mut rest);
        let n = (picked.len() as f64 * self.content_share).ceil() as usize;
        let mut order: Vec<usize> = (0..picked.len()).collect();
        order.sort_by_key(|&i| {
            let p = picked[i].prior;
            (
                Reverse(p.is_some_and(|p| p.reason.is_some())),
                p.map_or(0, |p| p.content_ms),
                i,
            )
        });
        for &i in order.iter().take(n) {
            picked[i].content = true;
        }
        Selection {
            picked,
            kinds: self.kinds,
            skipped: Skipped::new(),
            removed: self.ledger.into_keys().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Reason;

    fn cfg(sample: usize) -> DocumentsConfig {
        let text = format!(
            r#"
[sources.db]
url = "sqlite::memory:"
[[documents]]
name = "d"
schedule = "0 * * * * *"
sample = {sample}
content_share = 0.5
kinds = {{ referral = ["r"] }}
inventory = {{ from = "db", sql = "SELECT 1" }}
"#
        );
        crate::config::parse(&text, std::path::Path::new("t.toml"), &|_| None)
            .expect("valid")
            .documents
            .remove(0)
    }

    fn doc(id: &str) -> Doc {
        Doc {
            id: id.into(),
            kind: Some(0),
            ..Doc::default()
        }
    }

    #[test]
    fn failed_first_then_new_then_oldest_and_content_to_the_unverified() {
        let cfg = cfg(4);
        let kinds = KindMap::new(&cfg.kinds);
        let now = 1_000_000_000;
        let entry = |checked_ms, content_ms, reason| LedgerEntry {
            checked_ms,
            content_ms,
            reason,
        };
        let mut ledger = Ledger::default();
        ledger
            .entries
            .insert("old".into(), entry(now - 5000, now - 5000, None));
        ledger
            .entries
            .insert("older".into(), entry(now - 9000, 0, None));
        ledger
            .entries
            .insert("recent".into(), entry(now - 10, now - 10, None));
        ledger.entries.insert(
            "bad".into(),
            entry(now - 10, now - 10, Some(Reason::NotFound)),
        );
        ledger
            .entries
            .insert("gone".into(), entry(now - 10, 0, None));
        let mut plan = Plan::new(&cfg, &kinds, ledger, now);
        for id in ["recent", "old", "new", "older", "bad"] {
            plan.offer(doc(id));
        }
        let s = plan.finish();
        let ids: Vec<&str> = s.picked.iter().map(|p| &*p.doc.id).collect();
        assert_eq!(ids, ["bad", "new", "older", "old"]);
        let content: Vec<&str> = s
            .picked
            .iter()
            .filter(|p| p.content)
            .map(|p| &*p.doc.id)
            .collect();
        assert_eq!(content, ["bad", "new"]);
        assert_eq!(s.removed, ["gone"]);
        assert_eq!(s.kinds[0].inventory, 5);
        assert_eq!(
            s.kinds[0].covered,
            5 - 1,
            "all but the new one were checked within the cycle"
        );
    }
}
