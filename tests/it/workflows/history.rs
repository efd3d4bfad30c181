//! SLO history read back from the store, on SQLite and PostgreSQL.

use std::time::Duration;

use hypercare::results::{Details, Outcome, StepOutcome, WorkflowDetails};

/// Stores a finished workflow run of check `w`; `good` is its `slo_good`.
async fn store_run(store: &hypercare::store::Store, slot_ms: i64, outcome: Outcome, good: bool) {
    use hypercare::store::{Claim, NewClaim};
    let claim = NewClaim {
        check: "w",
        kind: hypercare::config::checks::CheckKind::Workflow,
        slot_ms,
        owner: "me",
        now_ms: slot_ms,
        lease_expires_ms: slot_ms + 1000,
    };
    let Claim::Claimed { run_id } = store.claim(&claim).await.unwrap() else {
        panic!("claim")
    };
    let result = hypercare::results::CheckResult {
        outcome,
        summary: "s".into(),
        details: Details::Workflow(WorkflowDetails {
            outcome: Some(StepOutcome::Ok),
            total_ms: 100.0,
            slo_good: Some(good),
            ..Default::default()
        }),
    };
    assert!(
        store
            .finish(run_id, "me", slot_ms + 10, 10, &result)
            .await
            .unwrap()
    );
}

/// The SLO history read from the store, topped up incrementally, on one backend.
async fn slo_history_scenario(url: &str) {
    let store = hypercare::store::Store::open(&hypercare::config::StoreConfig {
        url: hypercare::config::Secret::new(url),
        retention: Duration::from_secs(86400 * 90),
        max_connections: 2,
    })
    .await
    .unwrap();
    let min = 60_000;
    let now = 10 * 86_400_000;
    // Four days ago (outside 3d), then four runs in the last 5 minutes:
    // good, over the SLO, failed, good.
    store_run(&store, now - 4 * 1440 * min, Outcome::Fail, false).await;
    store_run(&store, now - 4 * min, Outcome::Pass, true).await;
    store_run(&store, now - 3 * min, Outcome::Pass, false).await;
    store_run(&store, now - 2 * min, Outcome::Fail, false).await;
    store_run(&store, now - min, Outcome::Pass, true).await;
    let history = hypercare::derive::History::default();
    let samples = history.samples(&store, "w", now).await.unwrap();
    assert_eq!(samples.len(), 4, "{samples:?}");
    let rates = hypercare::derive::burn_rates(&samples, now, 0.99);
    assert!((rates[0].1.unwrap() - 50.0).abs() < 1e-9, "{rates:?}");
    // One more good run; the next read adds it and keeps the others.
    store_run(&store, now + min, Outcome::Pass, true).await;
    let later = now + 2 * min;
    let samples = history.samples(&store, "w", later).await.unwrap();
    assert_eq!(samples.len(), 5);
    // 30m: 2 bad of 5. 5m, (later − 5 min, later]: the runs of −3, −2, −1
    // and +1 minutes (each finished 10 ms after its slot), 2 bad of 4.
    let rates = hypercare::derive::burn_rates(&samples, later, 0.99);
    assert!((rates[1].1.unwrap() - 40.0).abs() < 1e-9, "{rates:?}");
    assert!((rates[0].1.unwrap() - 50.0).abs() < 1e-9, "{rates:?}");
}

#[tokio::test]
async fn slo_history_is_read_from_the_store_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    slo_history_scenario(&format!("sqlite://{}/hc.db", dir.path().display())).await;
}

#[tokio::test]
async fn slo_history_is_read_from_the_store_on_postgres() {
    let Some(url) =
        crate::helpers::fresh_postgres("slo_history_is_read_from_the_store_on_postgres").await
    else {
        return;
    };
    slo_history_scenario(&url).await;
}
