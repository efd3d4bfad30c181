//! Merging two key-ordered row streams into missing, extra and changed
//! records, with duplicate and NULL keys as findings of their own. Memory
//! holds one row per side and the capped key lists, whatever the table size.

use crate::results::DiffMode;
use std::cmp::Ordering;

use futures_util::{Stream, StreamExt};

use super::clinics::{Found, Tally};
use super::plan::KeyKind;
use crate::results::{ChangedKey, KeyedDiff};
use crate::sources::{SourceError, TextRow};

/// Accumulates a diff across segments.
pub struct Acc<'a> {
    pub diff: KeyedDiff,
    pub cap: usize,
    pub key_kinds: &'a [KeyKind],
    pub columns: &'a [String],
    /// Rows hold keys and one hash: equal keys with different hashes are
    /// collected here, to be compared column by column afterwards.
    pub hashed: Option<Vec<String>>,
    /// Past this many candidates the merge stops at once (the caller falls
    /// back to a full-row stream): the list never outgrows it by more than one.
    pub hash_cap: usize,
    /// The check's name, for progress reports.
    pub check: &'a str,
    /// Whether merged source rows count as progress (not for re-reads of
    /// segments whose rows the checksums already counted).
    pub report_rows: bool,
    unreported: u64,
    /// Every discrepancy as `missing:KEY`, `extra:KEY` or `changed:KEY`, up
    /// to `track_cap`, for drift from run to run.
    pub tracked: Vec<String>,
    pub track_cap: usize,
    /// Findings per clinic, when the sides carry a clinic column (last in
    /// full rows, right after the key in hash rows).
    pub clinics: Option<Tally>,
}

/// More changed rows than this and a hash stream gives up for a full-row
/// stream: the candidate keys would no longer fit a small memory.
const MAX_HASH_CANDIDATES: usize = 1_000_000;

/// Source rows merged between two progress reports.
const REPORT_EVERY: u64 = 8192;

impl<'a> Acc<'a> {
    pub fn new(
        cap: usize,
        key_kinds: &'a [KeyKind],
        columns: &'a [String],
        check: &'a str,
    ) -> Self {
        Acc {
            diff: KeyedDiff::default(),
            cap,
            key_kinds,
            columns,
            hashed: None,
            hash_cap: MAX_HASH_CANDIDATES,
            check,
            report_rows: true,
            unreported: 0,
            tracked: Vec::new(),
            track_cap: 0,
            clinics: None,
        }
    }

    /// Starts over in another mode (the previous pass is discarded).
    pub fn restart(&mut self, mode: DiffMode) {
        self.diff = KeyedDiff {
            mode,
            ..Default::default()
        };
        self.tracked.clear();
        if let Some(t) = &mut self.clinics {
            *t = Tally::default();
        }
    }

    fn track(&mut self, kind: &str, key: &str, row: &TextRow) {
        if self.tracked.len() < self.track_cap {
            let tagged = format!("{kind}:{key}");
            if let Some(clinic) = self.clinic_of(row) {
                let clinic = clinic.to_string();
                if let Some(t) = &mut self.clinics {
                    t.tracked.insert(tagged.clone(), clinic);
                }
            }
            self.tracked.push(tagged);
        }
    }

    /// The clinic id a row carries, when the diff is attributed.
    fn clinic_of<'r>(&self, row: &'r TextRow) -> Option<&'r str> {
        self.clinics.as_ref()?;
        let at = if self.hashed.is_some() {
            self.key_kinds.len()
        } else {
            row.len().checked_sub(1)?
        };
        Some(
            row.get(at)?
                .as_deref()
                .unwrap_or(super::clinics::UNASSIGNED_ID),
        )
    }

    fn attribute(&mut self, row: &TextRow, what: Found) {
        if let Some(clinic) = self.clinic_of(row) {
            let clinic = clinic.to_string();
            if let Some(t) = &mut self.clinics {
                t.add(&clinic, what);
            }
        }
    }

    fn progress(&mut self, flush: bool) {
        if self.report_rows && (flush || self.unreported >= REPORT_EVERY) && self.unreported > 0 {
            crate::checks::progress::advance(self.check, self.unreported, 0);
            self.unreported = 0;
        }
    }
}

fn cmp_part(kind: KeyKind, a: &str, b: &str) -> Ordering {
    match (kind, a.parse::<i128>(), b.parse::<i128>()) {
        (KeyKind::Int, Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.as_bytes().cmp(b.as_bytes()),
    }
}

pub(super) fn cmp_keys(kinds: &[KeyKind], a: &[Option<String>], b: &[Option<String>]) -> Ordering {
    kinds
        .iter()
        .zip(a.iter().zip(b))
        .map(|(k, (x, y))| cmp_part(*k, x.as_deref().unwrap_or(""), y.as_deref().unwrap_or("")))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

fn key_text(key: &[Option<String>]) -> String {
    key.iter()
        .map(|k| k.as_deref().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("|")
}

fn push_capped(list: &mut Vec<String>, cap: usize, key: String) {
    if list.len() < cap {
        list.push(key);
    }
}

impl Acc<'_> {
    /// Next row of one side that has a usable key: NULL keys and repeats of
    /// the previous key are counted as findings and passed over.
    async fn next<S>(
        &mut self,
        rows: &mut S,
        last: &mut Option<TextRow>,
        target: bool,
    ) -> Result<Option<TextRow>, SourceError>
    where
        S: Stream<Item = Result<TextRow, SourceError>> + Unpin,
    {
        let k = self.key_kinds.len();
        while let Some(row) = rows.next().await {
            let row = row?;
            let d = &mut self.diff;
            if row[..k].iter().any(Option::is_none) {
                if target {
                    d.null_keys.target += 1
                } else {
                    d.null_keys.source += 1
                }
                continue;
            }
            if target {
                d.target_rows += 1
            } else {
                d.source_rows += 1
            }
            if self.report_rows {
                let side = if target {
                    Found::TargetRow
                } else {
                    Found::SourceRow
                };
                self.attribute(&row, side);
            }
            let d = &mut self.diff;
            if last
                .as_ref()
                .is_some_and(|l| cmp_keys(self.key_kinds, &l[..k], &row[..k]).is_eq())
            {
                if target {
                    d.duplicate_keys.target += 1
                } else {
                    d.duplicate_keys.source += 1
                }
                push_capped(&mut d.duplicate_keys.keys, self.cap, key_text(&row[..k]));
                continue;
            }
            *last = Some(row.clone());
            return Ok(Some(row));
        }
        Ok(None)
    }

    /// Merges two streams ordered by key (as the plan orders them).
    pub async fn merge<S, T>(&mut self, mut source: S, mut target: T) -> Result<(), SourceError>
    where
        S: Stream<Item = Result<TextRow, SourceError>> + Unpin,
        T: Stream<Item = Result<TextRow, SourceError>> + Unpin,
    {
        let k = self.key_kinds.len();
        let (mut last_s, mut last_t) = (None, None);
        let mut s = self.next(&mut source, &mut last_s, false).await?;
        let mut t = self.next(&mut target, &mut last_t, true).await?;
        loop {
            let order = match (&s, &t) {
                (None, None) => {
                    self.progress(true);
                    return Ok(());
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(a), Some(b)) => cmp_keys(self.key_kinds, &a[..k], &b[..k]),
            };
            match order {
                Ordering::Less => {
                    let row = s.take().unwrap_or_default();
                    self.diff.missing += 1;
                    self.attribute(&row, Found::Missing);
                    let key = key_text(&row[..k]);
                    self.track("missing", &key, &row);
                    push_capped(&mut self.diff.missing_keys, self.cap, key);
                    s = self.next(&mut source, &mut last_s, false).await?;
                }
                Ordering::Greater => {
                    let row = t.take().unwrap_or_default();
                    self.diff.extra += 1;
                    self.attribute(&row, Found::Extra);
                    let key = key_text(&row[..k]);
                    self.track("extra", &key, &row);
                    push_capped(&mut self.diff.extra_keys, self.cap, key);
                    t = self.next(&mut target, &mut last_t, true).await?;
                }
                Ordering::Equal => {
                    let (a, b) = (s.take().unwrap_or_default(), t.take().unwrap_or_default());
                    match &mut self.hashed {
                        Some(candidates) if a[k..] != b[k..] => {
                            candidates.push(key_text(&a[..k]));
                            if candidates.len() > self.hash_cap {
                                return Ok(());
                            }
                        }
                        Some(_) => {}
                        None => self.compare(&a, &b),
                    }
                    s = self.next(&mut source, &mut last_s, false).await?;
                    t = self.next(&mut target, &mut last_t, true).await?;
                }
            }
        }
    }

    fn compare(&mut self, a: &TextRow, b: &TextRow) {
        let k = self.key_kinds.len();
        let differing: Vec<String> = a[k..]
            .iter()
            .zip(&b[k..])
            .zip(self.columns)
            .filter(|((x, y), _)| x != y)
            .map(|(_, name)| name.clone())
            .collect();
        if differing.is_empty() {
            return;
        }
        self.diff.changed += 1;
        self.attribute(a, Found::Changed);
        self.track("changed", &key_text(&a[..k]), a);
        for c in &differing {
            *self.diff.changed_columns.entry(c.clone()).or_default() += 1;
        }
        if self.diff.changed_keys.len() < self.cap {
            self.diff.changed_keys.push(ChangedKey {
                key: key_text(&a[..k]),
                columns: differing,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(
        v: &[(&str, Option<&str>)],
    ) -> impl Stream<Item = Result<TextRow, SourceError>> + Unpin {
        let rows: Vec<Result<TextRow, SourceError>> = v
            .iter()
            .map(|(k, x)| Ok(vec![Some(k.to_string()), x.map(String::from)]))
            .collect();
        futures_util::stream::iter(rows)
    }

    #[tokio::test]
    async fn finds_missing_extra_changed_duplicates_in_one_pass() {
        let cols = vec!["name".to_string()];
        let kinds = [KeyKind::Int];
        let mut acc = Acc::new(10, &kinds, &cols, "t");
        let source = rows(&[
            ("1", Some("a")),
            ("2", Some("b")),
            ("9", None),
            ("10", Some("x")),
            ("10", Some("x")),
        ]);
        let target = rows(&[
            ("1", Some("a")),
            ("3", Some("c")),
            ("9", Some("")),
            ("10", Some("x")),
        ]);
        acc.merge(source, target).await.unwrap();
        let d = acc.diff;
        assert_eq!((d.missing, d.extra, d.changed), (1, 1, 1));
        assert_eq!(d.missing_keys, vec!["2"]);
        assert_eq!(d.extra_keys, vec!["3"]);
        assert_eq!(d.changed_keys[0].key, "9", "NULL and '' differ");
        assert_eq!(d.duplicate_keys.source, 1);
        assert_eq!((d.source_rows, d.target_rows), (5, 4));
    }

    #[tokio::test]
    async fn the_hash_candidate_cap_stops_the_merge_not_after_it() {
        let cols = vec!["hash".to_string()];
        let kinds = [KeyKind::Int];
        let mut acc = Acc::new(10, &kinds, &cols, "t");
        acc.hashed = Some(Vec::new());
        acc.hash_cap = 3;
        let pulled = std::sync::atomic::AtomicUsize::new(0);
        let side = |h: &'static str| {
            futures_util::stream::iter(1..=1000)
                .inspect(|_| {
                    pulled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                })
                .map(move |i| Ok(vec![Some(i.to_string()), Some(h.to_string())]))
        };
        acc.merge(side("a"), side("b")).await.unwrap();
        assert_eq!(acc.hashed.map(|c| c.len()), Some(4), "cap + 1, then stop");
        let pulled = pulled.load(std::sync::atomic::Ordering::Relaxed);
        assert!(pulled < 20, "{pulled} rows read of 2000");
    }

    #[test]
    fn integer_keys_compare_by_value_text_keys_by_bytes() {
        assert_eq!(cmp_part(KeyKind::Int, "9", "10"), Ordering::Less);
        assert_eq!(cmp_part(KeyKind::Text, "9", "10"), Ordering::Greater);
        assert_eq!(cmp_part(KeyKind::Text, "B", "a"), Ordering::Less);
    }
}
