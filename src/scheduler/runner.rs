//! One run of one check: claim, heartbeat, timeout, cancel, record.

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::panic::AssertUnwindSafe;

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;

use super::Scheduler;
use crate::checks::{Check, Memory, RunInput, RunOutput};
use crate::results::{CheckResult, Details, Ledger, LedgerUpdate, Outcome};
use crate::store::Claim;

/// Epoch milliseconds, the store's time unit.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

impl Scheduler {
    /// Claims a slot and, if this replica got it, runs it.
    pub(crate) async fn claim_and_run(self: Arc<Self>, check: Arc<dyn Check>, slot: DateTime<Utc>) {
        let name = check.meta().name.to_string();
        let busy_here = self
            .running
            .lock()
            .map(|r| r.contains_key(&name))
            .unwrap_or(false);
        if busy_here {
            return self
                .skip(
                    check.as_ref(),
                    slot,
                    "overlap",
                    "the previous run was still running",
                )
                .await;
        }
        let claim = self.new_claim(check.as_ref(), slot, Utc::now());
        match self.store.claim(&claim).await {
            Ok(Claim::Claimed { run_id }) => self.execute(check, run_id).await,
            Ok(Claim::Taken) => {}
            Ok(Claim::Overlap { recorded }) => {
                if recorded {
                    self.metrics.count_skip(&name, "overlap");
                }
            }
            Err(e) => self.store_error("claim", &e),
        }
    }

    /// Runs a slot taken over from a replica that stopped.
    pub(crate) fn resume(self: Arc<Self>, check: Arc<dyn Check>, run_id: i64, slot: DateTime<Utc>) {
        let tracker = self.tracker.clone();
        tracker.spawn(async move {
            let now = Utc::now();
            match self.store.take_over(run_id, &self.owner, ms(now), ms(now + self.lease)).await {
                Ok(true) => {
                    tracing::info!(check = %check.meta().name, slot = %slot, "taking over a slot whose replica stopped");
                    self.execute(check, run_id).await;
                }
                Ok(false) => {}
                Err(e) => self.store_error("take_over", &e),
            }
        });
    }

    async fn execute(self: Arc<Self>, check: Arc<dyn Check>, run_id: i64) {
        let meta = check.meta().clone();
        let name = meta.name.to_string();
        // Marks the check running here until dropped, which happens even
        // when this task panics or is dropped mid-run.
        let _running = Running::start(self.clone(), &name);
        let started = Instant::now();
        let heartbeat = self.clone().heartbeat(run_id);
        let input = RunInput {
            memory: Some(self.memory(&name).await),
            cancel: self.cancel_runs.child_token(),
        };
        // A panic in a check is a bug in that check: it ends this run as
        // `error` and leaves the scheduler and every other check running.
        let run = AssertUnwindSafe(check.run(input)).catch_unwind();
        let output = tokio::select! {
            r = tokio::time::timeout(meta.timeout, run) => match r {
                Ok(Ok(output)) => output,
                Ok(Err(_)) => panicked(&name),
                Err(_) => CheckResult::error(format!("timed out after {}",
                    humantime::format_duration(meta.timeout)), Details::None {}).into(),
            },
            _ = self.cancel_runs.cancelled() => CheckResult {
                outcome: Outcome::Cancelled,
                summary: "cancelled: hypercare shut down before the run finished".into(),
                details: Details::None {},
            }.into(),
            _ = heartbeat => CheckResult::error("lost the store lease while running", Details::None {}).into(),
        };
        let took = started.elapsed();
        let finished = Utc::now();
        if let Some(update) = &output.ledger {
            self.save_ledger(&name, update).await;
        }
        let result = output.result;
        self.record(run_id, &result, took, finished).await;
        self.finished.notify_one();
        self.metrics
            .record_run(&name, meta.kind, result.outcome, took);
        self.metrics.record_details(&name, &result.details);
        tracing::info!(check = %name, outcome = result.outcome.as_str(), duration_ms = took.as_millis() as u64,
            summary = %result.summary, "check finished");
    }

    /// What the store remembers of the check: its previous completed run
    /// and its rotation ledger. What the store cannot answer is left out (the
    /// run then starts afresh, as on its first run), so the run still happens.
    async fn memory(&self, name: &str) -> Memory {
        let previous = match self.store.previous_result(name).await {
            Ok(run) => run.map(|r| r.details),
            Err(e) => {
                self.store_error("previous_result", &e);
                None
            }
        };
        let ledger = self.store.load_ledger(name).await.unwrap_or_else(|e| {
            self.store_error("load_ledger", &e);
            Ledger::default()
        });
        let not_duplicates = self.store.not_duplicates(name).await.unwrap_or_else(|e| {
            self.store_error("not_duplicates", &e);
            Vec::new()
        });
        Memory {
            previous,
            ledger,
            not_duplicates,
        }
    }

    /// Renews the lease until the run ends; returns only if the lease was
    /// lost. A beat that hangs counts as failed: each may wait only a third
    /// of the lease, and once the next beat could come after the lease this
    /// replica holds runs out, the run gives up its slot rather than run on
    /// while another replica may take it over.
    async fn heartbeat(self: Arc<Self>, run_id: i64) {
        let every = self.lease / 3;
        let mut held_until = Instant::now() + self.lease;
        loop {
            tokio::time::sleep(every).await;
            let sent = Instant::now();
            let expires = ms(Utc::now() + self.lease);
            let beat = self.store.heartbeat(run_id, &self.owner, expires);
            match tokio::time::timeout(every, beat).await {
                Ok(Ok(true)) => held_until = sent + self.lease,
                Ok(Ok(false)) => return,
                Ok(Err(e)) => self.store_error("heartbeat", &e),
                Err(_) => self.store_error(
                    "heartbeat",
                    &crate::store::StoreError::Unavailable("the heartbeat hung".into()),
                ),
            }
            if Instant::now() + every >= held_until {
                return;
            }
        }
    }

    /// Stores the result, retrying briefly if the store is down.
    async fn record(
        &self,
        run_id: i64,
        result: &CheckResult,
        took: Duration,
        finished: DateTime<Utc>,
    ) {
        let finish = || {
            self.store.finish(
                run_id,
                &self.owner,
                ms(finished),
                took.as_millis() as i64,
                result,
            )
        };
        // Three tries, 0.5 s then 1 s apart: a store that is briefly down.
        let stored = finish
            .retry(
                ExponentialBuilder::new()
                    .with_min_delay(Duration::from_millis(500))
                    .with_max_times(2),
            )
            .notify(|e, _| self.store_error("finish", e))
            .await;
        match stored {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    run_id,
                    "run was taken over by another replica; result not stored"
                );
            }
            Err(e) => self.store_error("finish", &e),
        }
    }
}

/// The result of a run whose check panicked. The panic's own message
/// (printed by the panic hook) may quote data, so the result names only
/// the check.
fn panicked(name: &str) -> RunOutput {
    tracing::error!(check = %name, "the check panicked; its run ends as error");
    CheckResult::error(
        format!("check `{name}` panicked: a bug in hypercare, the run ended as error"),
        Details::None {},
    )
    .into()
}

/// A check running on this replica: in `running` (so its next slot here is
/// an overlap) and counted in the gauge, until dropped.
struct Running {
    scheduler: Arc<Scheduler>,
    name: String,
}

impl Running {
    fn start(scheduler: Arc<Scheduler>, name: &str) -> Running {
        if let Ok(mut r) = scheduler.running.lock() {
            r.insert(name.to_string(), ());
        }
        scheduler.metrics.running().inc();
        Running {
            scheduler,
            name: name.to_string(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.scheduler.metrics.running().dec();
        // A poisoned lock still holds the map: clean it too.
        let mut r = match self.scheduler.running.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        r.remove(&self.name);
    }
}

impl Scheduler {
    /// Saves what a run changed in its rotation state.
    async fn save_ledger(&self, check: &str, update: &LedgerUpdate) {
        if let Err(e) = self.store.save_ledger(check, update).await {
            self.store_error("save_ledger", &e);
        }
    }
}
