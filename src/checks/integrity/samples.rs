//! Sample keys in key order: integers by value, then text, so `9` comes
//! before `10` whether the engine returned the key as a number or as text.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A key ordered as the database would order an integer or a text key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleKey(pub String);

impl SampleKey {
    fn number(&self) -> Option<i128> {
        self.0.parse().ok()
    }
}

impl Ord for SampleKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.number(), other.number()) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.0.cmp(&other.0),
        }
    }
}

impl PartialOrd for SampleKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Sorts keys in key order.
pub fn sort(keys: &mut [String]) {
    keys.sort_by_cached_key(|k| SampleKey(k.clone()));
}

/// Keeps the `cap` smallest keys offered, in memory bounded by `cap`.
pub struct Smallest {
    cap: usize,
    /// A max-heap: its top is the largest key kept, the first to go.
    heap: BinaryHeap<SampleKey>,
}

impl Smallest {
    pub fn new(cap: usize) -> Smallest {
        Smallest {
            cap,
            heap: BinaryHeap::with_capacity(cap.min(1024) + 1),
        }
    }

    pub fn offer(&mut self, key: String) {
        if self.cap == 0 {
            return;
        }
        let key = SampleKey(key);
        if self.heap.len() < self.cap {
            self.heap.push(key);
        } else if self.heap.peek().is_some_and(|top| key < *top) {
            self.heap.pop();
            self.heap.push(key);
        }
    }

    /// The kept keys, smallest first.
    pub fn into_sorted(self) -> Vec<String> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|k| k.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_smallest_keys_in_numeric_then_text_order() {
        let mut s = Smallest::new(3);
        for k in ["10", "b", "9", "100", "a", "2"] {
            s.offer(k.to_string());
        }
        assert_eq!(s.into_sorted(), ["2", "9", "10"]);
        let mut t = Smallest::new(4);
        for k in ["b", "10", "a"] {
            t.offer(k.to_string());
        }
        assert_eq!(t.into_sorted(), ["10", "a", "b"]);
        let mut none = Smallest::new(0);
        none.offer("1".into());
        assert!(none.into_sorted().is_empty());
    }

    #[test]
    fn sorts_keys() {
        let mut keys = vec!["12".to_string(), "3".into(), "x".into()];
        sort(&mut keys);
        assert_eq!(keys, ["3", "12", "x"]);
    }
}
