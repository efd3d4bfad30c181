//! When differences are spread over most segments, bisecting would query
//! every segment again and again, and streaming every row's hash moves the
//! whole key column out of both databases. Instead each remaining segment is
//! checksummed per small bucket of keys, one grouped query per side (the
//! same single pass over the rows as a segment checksum), and only the rows
//! of buckets that differ are read and merged.

use std::collections::BTreeMap;

use futures_util::StreamExt;

use super::merge::Acc;
use super::normalize::{Class, checksum, render};
use super::plan::{Range, SidePlan};
use super::sides::{PARALLEL_SEGMENTS, Sides, parse_i128, parse_u128};
use crate::config::Engine;
use crate::sources::{SourceError, SqlSource, TextRow};

/// Rows per bucket aimed at: a differing bucket costs this many rows read
/// per side, while the bucket list costs one row per this many.
const BUCKET_ROWS: f64 = 32.0;
/// Key ranges per row query (one `OR`ed predicate).
const RANGES_PER_QUERY: usize = 200;
/// More differing buckets than this and the tables differ nearly
/// everywhere: the caller streams full rows instead.
pub const MAX_DIFFERING_BUCKETS: usize = 200_000;

/// A bucket's row count and checksum on one side.
type CountSum = (u128, u128);

/// What the bucket pass found over some segments.
pub struct Buckets {
    pub source_rows: u64,
    pub target_rows: u64,
    /// Key ranges whose buckets differ, adjacent ones joined, in key order.
    pub differing: Vec<Range>,
    pub compared: u64,
}

/// The bucket width (in keys) for a table holding `rows_per_key` rows per key.
pub fn width(rows_per_key: f64) -> i128 {
    if rows_per_key > 0.0 && rows_per_key.is_finite() {
        (BUCKET_ROWS / rows_per_key).round().max(1.0) as i128
    } else {
        1
    }
}

/// Whether every part's width fits the signed 64-bit arithmetic of the
/// bucket query.
pub fn fits(parts: &[Range]) -> bool {
    parts.iter().all(|(lo, hi)| hi - lo <= i64::MAX as i128)
}

fn bucket_map(rows: Vec<TextRow>) -> Result<BTreeMap<i128, CountSum>, SourceError> {
    rows.iter()
        .map(|r| {
            let b = parse_i128(r, 0)
                .ok_or_else(|| SourceError::Shape("bucket number is not a number".into()))?;
            Ok((b, (parse_u128(r, 1)?, parse_u128(r, 2)?)))
        })
        .collect()
}

impl Sides<'_> {
    async fn one_side(
        side: &SqlSource,
        plan: &SidePlan,
        part: Range,
        width: i128,
    ) -> Result<BTreeMap<i128, CountSum>, SourceError> {
        let sql = plan
            .buckets_sql(part, width)
            .ok_or_else(|| SourceError::Shape("no checksum".into()))?;
        bucket_map(side.fetch_text(sql).await?)
    }

    /// Compares the buckets of `parts`, four parts at a time, and collects
    /// the key ranges that differ. `None` when more than
    /// [`MAX_DIFFERING_BUCKETS`] differ.
    pub async fn buckets(
        &self,
        parts: Vec<Range>,
        width: i128,
    ) -> Result<Option<Buckets>, SourceError> {
        let mut found = Buckets {
            source_rows: 0,
            target_rows: 0,
            differing: Vec::new(),
            compared: 0,
        };
        let mut checks = futures_util::stream::iter(parts)
            .map(|p| async move {
                let (s, t) = tokio::try_join!(
                    Self::one_side(self.source, &self.plan.source, p, width),
                    Self::one_side(self.target, &self.plan.target, p, width)
                )?;
                Ok::<_, SourceError>((p, s, t))
            })
            .buffered(PARALLEL_SEGMENTS);
        while let Some(item) = checks.next().await {
            let (part, s, t) = item?;
            found.add(part, width, &s, &t);
            if found.differing.len() > MAX_DIFFERING_BUCKETS {
                return Ok(None);
            }
        }
        Ok(Some(found))
    }

    /// Reads and merges the rows of `ranges`, a batch of ranges per query.
    pub async fn stream_ranges(
        &self,
        acc: &mut Acc<'_>,
        ranges: &[Range],
    ) -> Result<(), SourceError> {
        for batch in ranges.chunks(RANGES_PER_QUERY) {
            let s = self
                .source
                .stream_text(self.plan.source.rows_in_ranges_sql(batch));
            let t = self
                .target
                .stream_text(self.plan.target.rows_in_ranges_sql(batch));
            acc.merge(s, t).await?;
        }
        Ok(())
    }
}

impl Buckets {
    /// Adds one part's buckets from both sides.
    fn add(
        &mut self,
        part: Range,
        width: i128,
        s: &BTreeMap<i128, CountSum>,
        t: &BTreeMap<i128, CountSum>,
    ) {
        self.source_rows += s.values().map(|c| c.0 as u64).sum::<u64>();
        self.target_rows += t.values().map(|c| c.0 as u64).sum::<u64>();
        let mut numbers: Vec<i128> = s.keys().chain(t.keys()).copied().collect();
        numbers.sort_unstable();
        numbers.dedup();
        self.compared += numbers.len() as u64;
        for b in numbers {
            if s.get(&b) == t.get(&b) {
                continue;
            }
            let lo = part.0 + b * width;
            let range = (lo, (lo + width).min(part.1));
            match self.differing.last_mut() {
                Some(last) if last.1 == range.0 => last.1 = range.1,
                _ => self.differing.push(range),
            }
        }
    }
}

impl SidePlan {
    /// Per bucket of `width` consecutive first keys of `r`: the bucket's
    /// number (from `r`'s start), row count and checksum, one grouped query
    /// (engines with MD5 only). `r`'s width must fit a signed 64-bit integer.
    pub fn buckets_sql(&self, r: Range, width: i128) -> Option<String> {
        let sum = checksum(self.engine, &self.encoded_row)?;
        let (k, lo) = (&self.first_key, r.0);
        // Keys minus the range's start are 0..width of r: no overflow, and
        // integer division floors them.
        let bucket = match self.engine {
            Engine::MySql => format!("({k} - ({lo})) DIV {width}"),
            _ => format!("(({k})::bigint - ({lo})) / {width}"),
        };
        let t = |x: &str| render(self.engine, x, Class::Text, Class::Text, &[]);
        Some(format!(
            "SELECT {}, {}, {sum} FROM {} WHERE {}{} GROUP BY 1",
            t(&bucket),
            t("COUNT(*)"),
            self.from,
            self.filter,
            self.range(Some(r))
        ))
    }

    /// Full rows whose first key falls in any of `ranges`, ordered by key.
    pub fn rows_in_ranges_sql(&self, ranges: &[Range]) -> String {
        let k = &self.first_key;
        let any: Vec<String> = ranges
            .iter()
            .map(|(lo, hi)| format!("({k} >= {lo} AND {k} < {hi})"))
            .collect();
        format!(
            "SELECT {} FROM {} WHERE {} AND ({}) ORDER BY {}",
            self.select,
            self.from,
            self.filter,
            any.join(" OR "),
            self.order_by
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differing_buckets_become_joined_key_ranges() {
        let mut found = Buckets {
            source_rows: 0,
            target_rows: 0,
            differing: Vec::new(),
            compared: 0,
        };
        let s: BTreeMap<i128, CountSum> = [(0, (4, 10)), (1, (4, 11)), (2, (4, 12)), (4, (1, 1))]
            .into_iter()
            .collect();
        // Bucket 1 differs, 3 is extra, 4 (the part's last, cut short)
        // differs; 0 and 2 agree.
        let t: BTreeMap<i128, CountSum> = [
            (0, (4, 10)),
            (1, (4, 99)),
            (2, (4, 12)),
            (3, (2, 5)),
            (4, (1, 2)),
        ]
        .into_iter()
        .collect();
        found.add((100, 118), 4, &s, &t);
        assert_eq!(found.differing, vec![(104, 108), (112, 118)]);
        assert_eq!(
            (found.source_rows, found.target_rows, found.compared),
            (13, 15, 5)
        );
        assert_eq!(width(2.0), 16);
        assert_eq!(width(100.0), 1);
        assert_eq!(width(0.0), 1);
    }
}
