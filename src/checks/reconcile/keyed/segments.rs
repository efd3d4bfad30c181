//! Moving checksums, not tables: split the integer key space into segments,
//! compare each segment's row count and checksum in both databases, recurse
//! into the ones that differ, and fetch rows only for small differing
//! segments. When most segments differ, bucket checksums (buckets.rs) find
//! the differing rows in one more pass instead of many small queries.

use crate::results::DiffMode;
use futures_util::StreamExt;

use super::buckets;
use super::merge::Acc;
use super::plan::Range;
pub use super::sides::Sides;
use super::sides::{CountSum, PARALLEL_SEGMENTS, parse_i128, parse_u128};
use crate::sources::SourceError;

/// Above this share of differing top-level segments, stream everything instead…
const STREAM_WHEN_DIFFERING: f64 = 0.5;
/// …judged as soon as this many top-level segments have been compared.
const JUDGE_AFTER: usize = 4;
/// Changed rows compared column by column per query, after a hash stream.
const DETAIL_BATCH: usize = 1000;

impl Sides<'_> {
    /// The whole key range of both sides (`None` when both are empty).
    pub async fn bounds(&self) -> Result<Option<Range>, SourceError> {
        let (s, t) = tokio::try_join!(
            self.source.fetch_text(self.plan.source.bounds_sql()),
            self.target.fetch_text(self.plan.target.bounds_sql())
        )?;
        let (s, t) = (
            s.into_iter().next().unwrap_or_default(),
            t.into_iter().next().unwrap_or_default(),
        );
        let lo = [parse_i128(&s, 0), parse_i128(&t, 0)]
            .into_iter()
            .flatten()
            .min();
        let hi = [parse_i128(&s, 1), parse_i128(&t, 1)]
            .into_iter()
            .flatten()
            .max();
        Ok(lo.zip(hi).map(|(lo, hi)| (lo, hi + 1)))
    }

    async fn checksums(&self, r: Range) -> Result<(CountSum, CountSum), SourceError> {
        let sql = |p: &super::plan::SidePlan| {
            p.checksum_sql(r)
                .ok_or_else(|| SourceError::Shape("no checksum".into()))
        };
        let (s, t) = tokio::try_join!(
            self.source.fetch_text(sql(&self.plan.source)?),
            self.target.fetch_text(sql(&self.plan.target)?)
        )?;
        let one = |rows: Vec<Vec<Option<String>>>| -> Result<CountSum, SourceError> {
            let row = rows.into_iter().next().unwrap_or_default();
            Ok((parse_u128(&row, 0)?, parse_u128(&row, 1)?))
        };
        Ok((one(s)?, one(t)?))
    }

    /// Streams both sides (optionally one key range) and merges them.
    pub async fn stream(&self, acc: &mut Acc<'_>, r: Option<Range>) -> Result<(), SourceError> {
        let s = self.source.stream_text(self.plan.source.rows_sql(r));
        let t = self.target.stream_text(self.plan.target.rows_sql(r));
        acc.merge(s, t).await
    }

    /// Streams key and row hash of both whole tables, then compares the rows
    /// whose hashes differ column by column, a batch of keys at a time.
    /// Falls back to a full-row stream when too many rows differ.
    pub async fn stream_hashes(&self, acc: &mut Acc<'_>) -> Result<(), SourceError> {
        let clock = std::time::Instant::now();
        let (Some(s_sql), Some(t_sql)) = (
            self.plan.source.hashes_sql(None),
            self.plan.target.hashes_sql(None),
        ) else {
            acc.diff.mode = DiffMode::Stream;
            return self.stream(acc, None).await;
        };
        acc.diff.mode = DiffMode::HashStream;
        acc.hashed = Some(Vec::new());
        // Rows are counted again from the start of the stream.
        crate::checks::progress::start(acc.check, None);
        let merged = acc
            .merge(
                self.source.stream_text(s_sql),
                self.target.stream_text(t_sql),
            )
            .await;
        let candidates = acc.hashed.take().unwrap_or_default();
        merged?;
        tracing::debug!(elapsed = ?clock.elapsed(), candidates = candidates.len(), "hash stream merged");
        // The merge stopped as soon as the list passed its cap.
        if candidates.len() > acc.hash_cap {
            acc.restart(DiffMode::Stream);
            return self.stream(acc, None).await;
        }
        let (s_rows, t_rows) = (acc.diff.source_rows, acc.diff.target_rows);
        acc.report_rows = false;
        for batch in candidates.chunks(DETAIL_BATCH) {
            let keys: Vec<i128> = batch.iter().filter_map(|k| k.parse().ok()).collect();
            let (s, t) = tokio::try_join!(
                self.source
                    .fetch_text(self.plan.source.rows_for_keys_sql(&keys)),
                self.target
                    .fetch_text(self.plan.target.rows_for_keys_sql(&keys))
            )?;
            let rows =
                |v: Vec<Vec<Option<String>>>| futures_util::stream::iter(v.into_iter().map(Ok));
            acc.merge(rows(s), rows(t)).await?;
        }
        acc.report_rows = true;
        acc.diff.source_rows = s_rows;
        acc.diff.target_rows = t_rows;
        tracing::debug!(elapsed = ?clock.elapsed(), "changed rows compared");
        Ok(())
    }

    /// Differences spread over most top-level segments: the agreeing ones
    /// compared so far are done; every other part of `range` is compared
    /// bucket by bucket and only differing buckets' rows are read. Hash
    /// streaming (or, past [`buckets::MAX_DIFFERING_BUCKETS`], full rows)
    /// is the fallback.
    async fn spread(
        &self,
        acc: &mut Acc<'_>,
        range: Range,
        factor: usize,
        sums: &[(Range, (CountSum, CountSum))],
    ) -> Result<(), SourceError> {
        acc.diff.segments += sums.len() as u64;
        let parts = split(range, factor);
        if !buckets::fits(&parts) {
            return self.stream_hashes(acc).await;
        }
        let (mut rows, mut keys) = (0u128, 0i128);
        for (p, ((sc, _), (tc, _))) in sums {
            rows += (*sc).max(*tc);
            keys += p.1 - p.0;
        }
        let width = buckets::width(rows as f64 / keys.max(1) as f64);
        let agreeing: Vec<&(Range, (CountSum, CountSum))> =
            sums.iter().filter(|(_, (s, t))| s == t).collect();
        let rest: Vec<Range> = parts
            .into_iter()
            .filter(|p| !agreeing.iter().any(|(q, _)| q == p))
            .collect();
        acc.diff.mode = DiffMode::Buckets;
        let Some(found) = self.buckets(rest, width).await? else {
            acc.restart(DiffMode::Stream);
            return self.stream(acc, Some(range)).await;
        };
        tracing::debug!(
            buckets = found.compared,
            ranges = found.differing.len(),
            "bucket checksums compared"
        );
        // Progress already counted the top-level segments compared.
        let counted: u64 = sums
            .iter()
            .map(|(_, ((s, _), (t, _)))| (*s).max(*t) as u64)
            .sum();
        let (mut s_rows, mut t_rows) = (found.source_rows, found.target_rows);
        for (_, ((sc, _), (tc, _))) in &agreeing {
            s_rows += *sc as u64;
            t_rows += *tc as u64;
        }
        let new_rows = s_rows.max(t_rows).saturating_sub(counted);
        crate::checks::progress::advance(acc.check, new_rows, 0);
        acc.report_rows = false;
        let streamed = self.stream_ranges(acc, &found.differing).await;
        acc.report_rows = true;
        streamed?;
        acc.diff.source_rows = s_rows;
        acc.diff.target_rows = t_rows;
        Ok(())
    }

    /// Bisects `range` into `factor` parts until segments agree or are small
    /// enough to compare row by row.
    pub async fn bisect(
        &self,
        acc: &mut Acc<'_>,
        range: Range,
        factor: usize,
        threshold: u64,
    ) -> Result<(), SourceError> {
        let mut pending = vec![range];
        let mut top_level = true;
        while let Some(r) = pending.pop() {
            let parts = split(r, factor);
            let n_parts = parts.len();
            let mut checks = futures_util::stream::iter(parts)
                .map(|p| async move { self.checksums(p).await.map(|c| (p, c)) })
                .buffered(PARALLEL_SEGMENTS);
            let mut sums: Vec<(Range, (CountSum, CountSum))> = Vec::with_capacity(n_parts);
            while let Some(item) = checks.next().await {
                let item = item?;
                if top_level {
                    let ((sc, _), (tc, _)) = item.1;
                    crate::checks::progress::advance(acc.check, sc.max(tc) as u64, 1);
                }
                sums.push(item);
                // Differences spread everywhere: stop checksumming and stream
                // hashes instead, judged early so the pass is not wasted.
                let judge = top_level && n_parts > 1 && sums.len() >= JUDGE_AFTER.min(n_parts);
                let differing = sums.iter().filter(|(_, (s, t))| s != t).count();
                if judge && differing as f64 > STREAM_WHEN_DIFFERING * sums.len() as f64 {
                    tracing::debug!(compared = sums.len(), differing, "most segments differ");
                    drop(checks);
                    return self.spread(acc, r, factor, &sums).await;
                }
            }
            acc.diff.segments += sums.len() as u64;
            tracing::debug!(segments = sums.len(), "segment checksums compared");
            if top_level {
                for (_, ((sc, _), (tc, _))) in &sums {
                    acc.diff.source_rows += *sc as u64;
                    acc.diff.target_rows += *tc as u64;
                }
            }
            let differing: Vec<(Range, u64)> = sums
                .iter()
                .filter(|(_, (s, t))| s != t)
                .map(|(p, ((sc, _), (tc, _)))| (*p, (*sc + *tc) as u64))
                .collect();
            top_level = false;
            for (p, rows) in differing {
                if rows <= threshold || p.1 - p.0 <= factor as i128 {
                    // Rows are counted once, from the top-level checksums.
                    let (s_rows, t_rows) = (acc.diff.source_rows, acc.diff.target_rows);
                    acc.report_rows = false;
                    let streamed = self.stream(acc, Some(p)).await;
                    acc.report_rows = true;
                    streamed?;
                    acc.diff.source_rows = s_rows;
                    acc.diff.target_rows = t_rows;
                } else {
                    pending.push(p);
                }
            }
        }
        Ok(())
    }
}

/// Splits `[lo, hi)` into at most `n` non-empty contiguous ranges.
pub fn split((lo, hi): Range, n: usize) -> Vec<Range> {
    let width = hi - lo;
    let n = (n as i128).min(width).max(1);
    (0..n)
        .map(|i| (lo + width * i / n, lo + width * (i + 1) / n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_cover_the_range_without_gaps() {
        let parts = split((1, 101), 32);
        assert_eq!(parts.len(), 32);
        assert_eq!(parts.first().unwrap().0, 1);
        assert_eq!(parts.last().unwrap().1, 101);
        assert!(
            parts
                .windows(2)
                .all(|w| w[0].1 == w[1].0 && w[0].0 < w[0].1)
        );
        assert_eq!(split((5, 7), 32), vec![(5, 6), (6, 7)]);
    }
}
