//! Drift from run to run: which discrepancies are new, which persist and
//! which were resolved since the previous run, and which are still within
//! the grace period (replication lag is not loss).
//!
//! Pure: it works on this run's diff and the previous run's stored diff.

use std::collections::{BTreeMap, BTreeSet};

use crate::results::{ChangedKey, Drift, KeyedDiff};

/// The rows this run looked at: all of them, or (incremental runs) those
/// whose first key part is in the set.
pub enum Examined<'a> {
    All,
    FirstKeys(&'a BTreeSet<i128>),
    /// Keys compared as text (FHIR sides: identifiers and ids are text).
    Keys(&'a BTreeSet<String>),
}

impl Examined<'_> {
    fn covers(&self, key: &str) -> bool {
        match self {
            Examined::All => true,
            Examined::FirstKeys(keys) => key
                .split('|')
                .next()
                .and_then(|k| k.parse::<i128>().ok())
                .is_some_and(|k| keys.contains(&k)),
            Examined::Keys(keys) => keys.contains(key),
        }
    }
}

/// What a run knows when it classifies its discrepancies.
pub struct Inputs<'a> {
    /// This run's discrepancies as `kind:KEY`, at most `drift_keys`.
    pub tracked: Vec<String>,
    pub previous: Option<&'a KeyedDiff>,
    pub examined: Examined<'a>,
    pub now_ms: i64,
    pub grace_ms: i64,
    /// Cap on the key lists shown (`max_keys`).
    pub max_keys: usize,
}

/// Classifies the diff's discrepancies against the previous run's, carries
/// over the previous discrepancies an incremental run did not look at, and
/// fills `drift` and `first_seen`. Returns how many discrepancies count
/// against the tolerance: those past the grace period, and every untracked one.
pub fn apply(diff: &mut KeyedDiff, input: Inputs<'_>) -> u64 {
    let empty = BTreeMap::new();
    let before = input.previous.map_or(&empty, |p| &p.first_seen);
    let mut drift = Drift::default();
    // This run's own discrepancies beyond the tracked keys.
    let mut untracked = diff
        .discrepancies()
        .saturating_sub(input.tracked.len() as u64);
    let mut now_seen: BTreeMap<String, i64> = BTreeMap::new();
    for key in input.tracked {
        let first = match before.get(&key) {
            Some(t) => {
                drift.persisting += 1;
                *t
            }
            None => {
                drift.new += 1;
                input.now_ms
            }
        };
        now_seen.insert(key, first);
    }
    for (key, first) in before {
        if now_seen.contains_key(key) {
            continue;
        }
        let plain = key.split_once(':').map_or("", |(_, k)| k);
        if input.examined.covers(plain) {
            drift.resolved += 1;
        } else {
            // Not looked at this run (its row did not change): still there.
            drift.persisting += 1;
            now_seen.insert(key.clone(), *first);
            carry(diff, key, input.previous, input.max_keys);
        }
    }
    // Incremental runs also carry the previous run's untracked ones, which
    // only a full sweep can re-examine.
    let incremental = !matches!(input.examined, Examined::All);
    if let (true, Some(p)) = (incremental, input.previous) {
        let prev_untracked = p.drift.map_or(0, |d| d.untracked);
        untracked += prev_untracked;
        carry_untracked(diff, p);
    }
    drift.untracked = untracked;
    let cutoff = input.now_ms - input.grace_ms;
    let past: u64 = now_seen.values().filter(|t| **t <= cutoff).count() as u64;
    drift.within_grace = now_seen.len() as u64 - past;
    diff.drift = Some(drift);
    diff.first_seen = now_seen;
    past + untracked
}

/// Adds a previous discrepancy that this run did not re-examine.
fn carry(diff: &mut KeyedDiff, tagged: &str, previous: Option<&KeyedDiff>, cap: usize) {
    let Some((kind, key)) = tagged.split_once(':') else {
        return;
    };
    match kind {
        "missing" => {
            diff.missing += 1;
            if diff.missing_keys.len() < cap {
                diff.missing_keys.push(key.to_string());
            }
        }
        "extra" => {
            diff.extra += 1;
            if diff.extra_keys.len() < cap {
                diff.extra_keys.push(key.to_string());
            }
        }
        "changed" => {
            diff.changed += 1;
            let columns = previous
                .and_then(|p| p.changed_keys.iter().find(|c| c.key == key))
                .map(|c| c.columns.clone())
                .unwrap_or_default();
            for c in &columns {
                *diff.changed_columns.entry(c.clone()).or_default() += 1;
            }
            if diff.changed_keys.len() < cap {
                diff.changed_keys.push(ChangedKey {
                    key: key.to_string(),
                    columns,
                });
            }
        }
        _ => {}
    }
}

/// Carries the previous run's untracked discrepancies, by kind.
fn carry_untracked(diff: &mut KeyedDiff, p: &KeyedDiff) {
    let tracked = |kind: &str| {
        p.first_seen
            .keys()
            .filter(|k| k.starts_with(kind) && k.as_bytes().get(kind.len()) == Some(&b':'))
            .count() as u64
    };
    diff.missing += p.missing.saturating_sub(tracked("missing"));
    diff.extra += p.extra.saturating_sub(tracked("extra"));
    diff.changed += p.changed.saturating_sub(tracked("changed"));
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn diff(missing: &[&str], changed: &[&str]) -> (KeyedDiff, Vec<String>) {
        let d = KeyedDiff {
            missing: missing.len() as u64,
            changed: changed.len() as u64,
            missing_keys: missing.iter().map(|k| k.to_string()).collect(),
            ..Default::default()
        };
        let tracked = missing
            .iter()
            .map(|k| format!("missing:{k}"))
            .chain(changed.iter().map(|k| format!("changed:{k}")))
            .collect();
        (d, tracked)
    }

    fn run(
        current: (KeyedDiff, Vec<String>),
        previous: Option<&KeyedDiff>,
        examined: Examined<'_>,
        now: i64,
        grace: i64,
    ) -> (KeyedDiff, u64) {
        let (mut d, tracked) = current;
        let counted = apply(
            &mut d,
            Inputs {
                tracked,
                previous,
                examined,
                now_ms: now,
                grace_ms: grace,
                max_keys: 100,
            },
        );
        (d, counted)
    }

    #[test]
    fn new_persisting_resolved_and_the_grace_period() {
        // Run 1 at t=0: records 1 and 2 missing, both new, within a 10-min grace.
        let (first, counted) = run(diff(&["1", "2"], &[]), None, Examined::All, 0, 10 * MIN);
        let d = first.drift.unwrap();
        assert_eq!(
            (d.new, d.persisting, d.resolved, d.within_grace),
            (2, 0, 0, 2)
        );
        assert_eq!(counted, 0, "nothing is past the grace period yet");

        // Run 2 at t=5 min: 2 still missing, 1 arrived (resolved), 3 new.
        let (second, counted) = run(
            diff(&["2", "3"], &[]),
            Some(&first),
            Examined::All,
            5 * MIN,
            10 * MIN,
        );
        let d = second.drift.unwrap();
        assert_eq!((d.new, d.persisting, d.resolved), (1, 1, 1));
        assert_eq!(second.first_seen["missing:2"], 0, "first seen at run 1");
        assert_eq!(second.first_seen["missing:3"], 5 * MIN);
        assert_eq!(counted, 0);

        // Run 3 at t=12 min: 2 has lasted 12 minutes (past grace), 3 only 7.
        let (third, counted) = run(
            diff(&["2", "3"], &[]),
            Some(&second),
            Examined::All,
            12 * MIN,
            10 * MIN,
        );
        assert_eq!(counted, 1);
        assert_eq!(third.drift.unwrap().within_grace, 1);
    }

    #[test]
    fn incremental_runs_carry_what_they_did_not_look_at() {
        let (full, _) = run(diff(&["10", "20"], &["30"]), None, Examined::All, 0, 0);
        // An incremental run looked at keys 20 and 40 only: 20 is fine now,
        // 40 is newly changed; 10 and 30 were not looked at and still count.
        let looked: BTreeSet<i128> = [20, 40].into_iter().collect();
        let (inc, counted) = run(
            diff(&[], &["40"]),
            Some(&full),
            Examined::FirstKeys(&looked),
            MIN,
            0,
        );
        let d = inc.drift.unwrap();
        assert_eq!((d.new, d.persisting, d.resolved), (1, 2, 1));
        assert_eq!((inc.missing, inc.changed), (1, 2));
        assert_eq!(inc.missing_keys, vec!["10"]);
        assert_eq!(counted, 3);
    }

    #[test]
    fn incremental_runs_with_text_keys_carry_what_they_did_not_look_at() {
        let (full, _) = run(
            diff(&["M-10", "M-20"], &["M-30"]),
            None,
            Examined::All,
            0,
            0,
        );
        let looked: BTreeSet<String> = ["M-20", "M-40"].map(String::from).into();
        let (inc, _) = run(
            diff(&[], &["M-40"]),
            Some(&full),
            Examined::Keys(&looked),
            MIN,
            0,
        );
        let d = inc.drift.unwrap();
        assert_eq!((d.new, d.persisting, d.resolved), (1, 2, 1));
        assert_eq!(inc.missing_keys, vec!["M-10"]);
    }

    #[test]
    fn untracked_discrepancies_count_at_once() {
        // Five missing, only three tracked (drift_keys = 3): two untracked.
        let (mut d, mut tracked) = diff(&["1", "2", "3", "4", "5"], &[]);
        tracked.truncate(3);
        let counted = apply(
            &mut d,
            Inputs {
                tracked,
                previous: None,
                examined: Examined::All,
                now_ms: 0,
                grace_ms: 10 * MIN,
                max_keys: 100,
            },
        );
        assert_eq!(d.drift.unwrap().untracked, 2);
        assert_eq!(counted, 2);
    }
}
