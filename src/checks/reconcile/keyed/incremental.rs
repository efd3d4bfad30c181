//! Incremental runs: compare only the rows changed since the previous run
//! started (minus `lag`), found through each side's `updated` column. Rows
//! are fetched by key from both sides, so a row changed on one side only is
//! still compared with the other side's copy.

use std::collections::BTreeSet;

use futures_util::StreamExt;

use super::merge::Acc;
use super::segments::Sides;
use crate::sources::{SourceError, SqlSource};

/// More changed keys than this and the run compares every row instead:
/// the key set would no longer be small.
pub const MAX_CHANGED_KEYS: usize = 200_000;
/// Keys fetched per query on each side.
const BATCH: usize = 1000;

/// `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, as the `updated` columns are compared.
pub fn since_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

/// Adds the first column of each row (parsed as `K`) to `keys`; `false`
/// once there are more than [`MAX_CHANGED_KEYS`].
pub async fn collect<K: std::str::FromStr + Ord>(
    source: &SqlSource,
    sql: String,
    keys: &mut BTreeSet<K>,
) -> Result<bool, SourceError> {
    let mut rows = source.stream_text(sql);
    while let Some(row) = rows.next().await {
        let row = row?;
        if let Some(k) = row.first().and_then(|k| k.as_deref()?.parse().ok()) {
            keys.insert(k);
            if keys.len() > MAX_CHANGED_KEYS {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

impl Sides<'_> {
    /// First keys of the rows changed on either side at or after `since_ms`;
    /// `None` when there are too many (or a side has no `updated` column).
    pub async fn changed_keys(&self, since_ms: i64) -> Result<Option<BTreeSet<i128>>, SourceError> {
        let since = since_text(since_ms);
        let (Some(s_sql), Some(t_sql)) = (
            self.plan.source.changed_keys_sql(&since),
            self.plan.target.changed_keys_sql(&since),
        ) else {
            return Ok(None);
        };
        let (mut s_keys, mut t_keys) = (BTreeSet::new(), BTreeSet::new());
        let (s_ok, t_ok) = tokio::try_join!(
            collect(self.source, s_sql, &mut s_keys),
            collect(self.target, t_sql, &mut t_keys)
        )?;
        if !(s_ok && t_ok) {
            return Ok(None);
        }
        s_keys.append(&mut t_keys);
        Ok((s_keys.len() <= MAX_CHANGED_KEYS).then_some(s_keys))
    }

    /// Compares the rows with these first keys on both sides.
    pub async fn compare_keys(
        &self,
        acc: &mut Acc<'_>,
        keys: &BTreeSet<i128>,
    ) -> Result<(), SourceError> {
        let keys: Vec<i128> = keys.iter().copied().collect();
        for batch in keys.chunks(BATCH) {
            let (s, t) = tokio::try_join!(
                self.source
                    .fetch_text(self.plan.source.rows_for_keys_sql(batch)),
                self.target
                    .fetch_text(self.plan.target.rows_for_keys_sql(batch))
            )?;
            let rows =
                |v: Vec<Vec<Option<String>>>| futures_util::stream::iter(v.into_iter().map(Ok));
            acc.merge(rows(s), rows(t)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn since_is_utc_text_with_microseconds() {
        assert_eq!(
            super::since_text(1_700_000_000_123),
            "2023-11-14 22:13:20.123000"
        );
    }
}
