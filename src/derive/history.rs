//! The SLO samples of each workflow over the longest window (3 days), kept
//! in memory and topped up from the store: each refresh reads only the runs
//! that finished since the last one (with a margin for replicas' clocks),
//! instead of three days of runs every few seconds.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use super::burn::LONGEST_MS;
use crate::store::{Store, StoreError};

/// Runs finished up to this long before the last read are read again, so a
/// run another replica stamped with a slightly earlier clock is not missed.
const OVERLAP_MS: i64 = 120_000;

#[derive(Default)]
pub struct History {
    series: Mutex<HashMap<String, Series>>,
}

#[derive(Default, Clone)]
struct Series {
    /// By run id: (finished_ms, good).
    runs: BTreeMap<i64, (i64, bool)>,
    /// When the store was last read; `None` before the first read.
    read_at_ms: Option<i64>,
}

impl History {
    /// `(finished_ms, good)` of the workflow's runs over the last 3 days.
    pub async fn samples(
        &self,
        store: &Store,
        workflow: &str,
        now_ms: i64,
    ) -> Result<Vec<(i64, bool)>, StoreError> {
        let mut series = self
            .series
            .lock()
            .map(|s| s.get(workflow).cloned().unwrap_or_default())
            .unwrap_or_default();
        let since = match series.read_at_ms {
            Some(at) => at - OVERLAP_MS,
            None => now_ms - LONGEST_MS,
        };
        for run in store.runs_since(workflow, since).await? {
            let finished = run.finished_ms.unwrap_or(now_ms);
            series.runs.insert(run.id, (finished, run.good_for_slo()));
        }
        series.runs.retain(|_, (t, _)| *t > now_ms - LONGEST_MS);
        series.read_at_ms = Some(now_ms);
        let samples = series.runs.values().copied().collect();
        if let Ok(mut all) = self.series.lock() {
            all.insert(workflow.to_string(), series);
        }
        Ok(samples)
    }
}
