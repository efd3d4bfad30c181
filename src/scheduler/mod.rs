//! The scheduler: wakes at each check's cron slots, claims each slot in the
//! store (so among replicas every slot runs once), runs it with a timeout,
//! and takes over slots whose replica died.
//!
//! The loop calls plain functions (`tick`, `housekeeping`) that tests can
//! call directly. Shutdown is an input: a cancelled token stops new runs;
//! `drain` lets running ones finish, then cancels them.

mod runner;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::checks::Check;
use crate::metrics::Metrics;
use crate::store::{NewClaim, Store};

pub use runner::ms;

/// The checks the scheduler runs; replaced whole on reload.
pub type CheckSet = Arc<Vec<Arc<dyn Check>>>;

/// State shared by the loop and the runs it spawns.
pub struct Scheduler {
    pub(crate) store: Store,
    pub(crate) metrics: Arc<Metrics>,
    /// This replica's name in the store's `owner` column.
    pub(crate) owner: String,
    pub(crate) lease: Duration,
    /// Runs in progress here, by check name: to skip overlaps locally.
    pub(crate) running: Mutex<HashMap<String, ()>>,
    pub(crate) tracker: TaskTracker,
    /// Cancelled when the drain runs out: running checks stop and record `cancelled`.
    pub(crate) cancel_runs: CancellationToken,
    /// Finished runs older than this are deleted.
    retention: Duration,
    /// When this process last purged old runs (epoch ms); purges run hourly.
    last_purge_ms: AtomicI64,
    /// Notified each time a run's result is stored, so the derive loop
    /// refreshes the gauges at once.
    finished: Arc<tokio::sync::Notify>,
}

/// How often old runs are purged.
const PURGE_EVERY_MS: i64 = 3_600_000;

impl Scheduler {
    pub fn new(
        store: Store,
        metrics: Arc<Metrics>,
        owner: String,
        lease: Duration,
        retention: Duration,
    ) -> Arc<Scheduler> {
        Arc::new(Scheduler {
            retention,
            last_purge_ms: AtomicI64::new(0),
            finished: Arc::new(tokio::sync::Notify::new()),
            store,
            metrics,
            owner,
            lease,
            running: Mutex::new(HashMap::new()),
            tracker: TaskTracker::new(),
            cancel_runs: CancellationToken::new(),
        })
    }

    /// Runs until `shutdown` is cancelled, then returns without draining.
    pub async fn run(
        self: Arc<Self>,
        mut checks: watch::Receiver<CheckSet>,
        shutdown: CancellationToken,
    ) {
        let mut set = checks.borrow_and_update().clone();
        let mut next = next_slots(&set, Utc::now());
        let mut next_housekeeping = Utc::now();
        let mut upkeep: Option<tokio::task::JoinHandle<()>> = None;
        loop {
            let now = Utc::now();
            if now >= next_housekeeping {
                // Off the scheduling path: a slow purge or a hung store delays
                // the upkeep, never the next slot. One pass at a time.
                if upkeep.as_ref().is_none_or(|h| h.is_finished()) {
                    let (this, set) = (self.clone(), set.clone());
                    upkeep = Some(tokio::spawn(
                        async move { this.housekeeping(&set, now).await },
                    ));
                }
                next_housekeeping = now + self.lease / 3;
            }
            let wake = next
                .values()
                .copied()
                .chain([next_housekeeping])
                .min()
                .unwrap_or(next_housekeeping);
            let sleep = (wake - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                _ = shutdown.cancelled() => {
                    if let Some(h) = upkeep {
                        h.abort();
                    }
                    return;
                }
                changed = checks.changed() => {
                    if changed.is_err() { return; }
                    set = checks.borrow_and_update().clone();
                    next = next_slots(&set, Utc::now());
                    continue;
                }
                _ = tokio::time::sleep(sleep) => {}
            }
            self.tick(&set, &mut next, Utc::now());
        }
    }

    /// Starts every check whose slot has come. Slots passed over while the
    /// loop was late are recorded as skipped; the newest one runs.
    pub fn tick(
        self: &Arc<Self>,
        set: &CheckSet,
        next: &mut HashMap<String, DateTime<Utc>>,
        now: DateTime<Utc>,
    ) {
        for check in set.iter() {
            let meta = check.meta();
            let Some(due) = next.get(meta.name.as_str()).copied() else {
                continue;
            };
            if due > now {
                continue;
            }
            let mut slots: Vec<DateTime<Utc>> = vec![due];
            slots.extend(
                meta.schedule
                    .schedule
                    .after(&due)
                    .take_while(|s| *s <= now)
                    .take(1000),
            );
            if let Some(following) = meta.schedule.schedule.after(&now).next() {
                next.insert(meta.name.to_string(), following);
            } else {
                next.remove(meta.name.as_str());
            }
            let newest = slots.pop().unwrap_or(due);
            let (this, check, late) = (self.clone(), check.clone(), slots);
            self.tracker.spawn(async move {
                for slot in late {
                    this.skip(
                        check.as_ref(),
                        slot,
                        "late",
                        "missed: the scheduler was late",
                    )
                    .await;
                }
                this.claim_and_run(check, newest).await;
            });
        }
    }

    /// Notified each time a run's result is stored here.
    pub fn finished(&self) -> Arc<tokio::sync::Notify> {
        self.finished.clone()
    }

    /// Heartbeat-independent upkeep: take over or close slots whose replica
    /// stopped, purge old runs.
    pub async fn housekeeping(self: &Arc<Self>, set: &CheckSet, now: DateTime<Utc>) {
        match self.store.expired_runs(ms(now)).await {
            Ok(expired) => {
                for run in expired {
                    let Some(check) = by_name(set, &run.check_name) else {
                        continue;
                    };
                    let slot = DateTime::from_timestamp_millis(run.slot_ms).unwrap_or(now);
                    let newest = check
                        .meta()
                        .schedule
                        .schedule
                        .after(&slot)
                        .next()
                        .is_none_or(|n| n > now);
                    if newest {
                        self.clone().resume(check.clone(), run.id, slot);
                    } else {
                        let why = format!(
                            "abandoned: replica `{}` stopped before finishing",
                            run.owner
                        );
                        if let Err(e) = self.store.abandon(run.id, ms(now), &why).await {
                            self.store_error("abandon", &e);
                        }
                    }
                }
            }
            Err(e) => self.store_error("expired_runs", &e),
        }
        self.purge(now).await;
    }

    /// Deletes runs older than the retention, at most hourly.
    async fn purge(&self, now: DateTime<Utc>) {
        let last = self.last_purge_ms.load(Ordering::Relaxed);
        if ms(now) - last < PURGE_EVERY_MS {
            return;
        }
        self.last_purge_ms.store(ms(now), Ordering::Relaxed);
        // Checked: a retention reaching before the clock's first date
        // (config caps it at 100 years) purges nothing rather than panicking.
        let Some(cutoff) = chrono::Duration::from_std(self.retention)
            .ok()
            .and_then(|r| now.checked_sub_signed(r))
        else {
            return;
        };
        match self.store.purge_before(ms(cutoff)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(runs = n, "purged runs older than the retention"),
            Err(e) => self.store_error("purge", &e),
        }
    }

    /// Waits for running checks up to `drain`, then cancels the rest and
    /// waits (briefly) for them to record `cancelled`.
    pub async fn drain(&self, drain: Duration) {
        self.tracker.close();
        if tokio::time::timeout(drain, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(drain = ?drain, "drain timed out; cancelling running checks");
            self.cancel_runs.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(10), self.tracker.wait()).await;
        }
    }

    pub(crate) async fn skip(
        &self,
        check: &dyn Check,
        slot: DateTime<Utc>,
        reason: &str,
        why: &str,
    ) {
        let now = Utc::now();
        let claim = self.new_claim(check, slot, now);
        match self.store.record_skip(&claim, why).await {
            Ok(true) => self.metrics.count_skip(check.meta().name.as_str(), reason),
            Ok(false) => {}
            Err(e) => self.store_error("record_skip", &e),
        }
    }

    pub(crate) fn new_claim<'a>(
        &'a self,
        check: &'a dyn Check,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> NewClaim<'a> {
        NewClaim {
            check: check.meta().name.as_str(),
            kind: check.meta().kind,
            slot_ms: ms(slot),
            owner: &self.owner,
            now_ms: ms(now),
            lease_expires_ms: ms(now + self.lease),
        }
    }

    pub(crate) fn store_error(&self, operation: &'static str, e: &crate::store::StoreError) {
        self.metrics.count_store_error(operation);
        tracing::warn!(operation, error = %e, "store operation failed");
    }
}

/// The configured check of that name, if any.
fn by_name<'a>(set: &'a CheckSet, name: &str) -> Option<&'a Arc<dyn Check>> {
    set.iter().find(|c| c.meta().name.as_str() == name)
}

/// The next slot of each enabled check after `now`.
pub fn next_slots(set: &CheckSet, now: DateTime<Utc>) -> HashMap<String, DateTime<Utc>> {
    set.iter()
        .filter(|c| c.meta().enabled)
        .filter_map(|c| {
            Some((
                c.meta().name.to_string(),
                c.meta().schedule.schedule.after(&now).next()?,
            ))
        })
        .collect()
}
