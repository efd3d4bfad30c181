//! The scheduler against faults inside a run and extreme config values.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hypercare::checks::{Check, RunInput, RunOutput};
use hypercare::config::checks::{CheckKind, CheckMeta};
use hypercare::config::{CronSchedule, Name, Secret, StoreConfig};
use hypercare::metrics::Metrics;
use hypercare::results::RunStatus;
use hypercare::scheduler::{CheckSet, Scheduler};
use hypercare::store::Store;

/// A check with a bug: every run panics.
struct Panics {
    meta: CheckMeta,
    runs: AtomicUsize,
}

#[async_trait]
impl Check for Panics {
    fn meta(&self) -> &CheckMeta {
        &self.meta
    }
    async fn run(&self, _input: RunInput) -> RunOutput {
        self.runs.fetch_add(1, Ordering::SeqCst);
        panic!("index out of bounds in record 42");
    }
}

async fn sqlite(dir: &tempfile::TempDir) -> Store {
    let cfg = StoreConfig {
        url: Secret::new(format!("sqlite://{}/store.db", dir.path().display())),
        retention: Duration::from_secs(3600),
        max_connections: 4,
    };
    Store::open(&cfg).await.expect("open store")
}

fn every_second(name: &str) -> CheckMeta {
    let text = "* * * * * *";
    CheckMeta {
        name: Name::parse(name).unwrap(),
        kind: CheckKind::Reconcile,
        schedule: CronSchedule {
            text: text.into(),
            schedule: text.parse().unwrap(),
        },
        timeout: Duration::from_secs(10),
        enabled: true,
        max_groups: 10,
        clinic: None,
    }
}

#[tokio::test]
async fn a_panicking_check_ends_as_error_and_its_next_slot_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir).await;
    let metrics = Arc::new(Metrics::new("sqlite"));
    let day = Duration::from_secs(86_400);
    let scheduler = Scheduler::new(
        store.clone(),
        metrics.clone(),
        "me".into(),
        Duration::from_secs(30),
        day,
    );
    let check = Arc::new(Panics {
        meta: every_second("nightly_patients"),
        runs: AtomicUsize::new(0),
    });
    let set: CheckSet = Arc::new(vec![check.clone() as Arc<dyn Check>]);
    let base = DateTime::<Utc>::from_timestamp(Utc::now().timestamp() - 10, 0).unwrap();
    for n in 0..2 {
        let slot = base + chrono::Duration::seconds(n);
        let mut next = std::collections::HashMap::from([("nightly_patients".to_string(), slot)]);
        scheduler.tick(&set, &mut next, slot);
        tokio::time::timeout(Duration::from_secs(10), scheduler.finished().notified())
            .await
            .unwrap_or_else(|_| panic!("run {n} stored no result"));
    }
    assert_eq!(
        check.runs.load(Ordering::SeqCst),
        2,
        "the second slot was not skipped as an overlap"
    );
    let runs = store.history("nightly_patients", 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    for run in &runs {
        assert_eq!(run.status, RunStatus::Error, "{run:?}");
        let summary = &run.summary;
        assert!(summary.contains("`nightly_patients` panicked"), "{summary}");
        assert!(
            !summary.contains("record 42"),
            "the panic text reached the result: {summary}"
        );
    }
    assert_eq!(metrics.running().get(), 0);
}

#[tokio::test]
async fn housekeeping_with_an_endless_retention_purges_nothing_and_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir).await;
    let metrics = Arc::new(Metrics::new("sqlite"));
    let scheduler = Scheduler::new(
        store,
        metrics,
        "me".into(),
        Duration::from_secs(30),
        Duration::MAX,
    );
    let none: CheckSet = Arc::new(Vec::new());
    scheduler.housekeeping(&none, Utc::now()).await;
}
