//! The store's slot-claiming rules, on SQLite and on PostgreSQL.

use hypercare::config::checks::CheckKind;
use hypercare::config::{Secret, StoreConfig};
use hypercare::results::{CheckResult, Details, Outcome};
use hypercare::store::{Claim, NewClaim, Store};

use crate::helpers::fresh_postgres;

async fn open(url: &str) -> Store {
    let cfg = StoreConfig {
        url: Secret::new(url),
        retention: std::time::Duration::from_secs(3600),
        max_connections: 4,
    };
    Store::open(&cfg).await.expect("open store")
}

fn claim(slot_ms: i64, owner: &str, now_ms: i64) -> NewClaim<'_> {
    NewClaim {
        check: "c",
        kind: CheckKind::Reconcile,
        slot_ms,
        owner,
        now_ms,
        lease_expires_ms: now_ms + 1000,
    }
}

fn passed() -> CheckResult {
    CheckResult {
        outcome: Outcome::Pass,
        summary: "ok".into(),
        details: Details::None {},
    }
}

/// One scenario, run against both backends.
async fn scenario(store: Store) {
    // A slot is claimed once.
    let Claim::Claimed { run_id } = store.claim(&claim(1000, "a", 1000)).await.unwrap() else {
        panic!("first claim")
    };
    assert_eq!(
        store.claim(&claim(1000, "b", 1001)).await.unwrap(),
        Claim::Taken
    );
    // The next slot while the first still holds a live lease: skipped, recorded once.
    assert_eq!(
        store.claim(&claim(2000, "b", 1500)).await.unwrap(),
        Claim::Overlap { recorded: true }
    );
    assert_eq!(
        store.claim(&claim(2000, "a", 1600)).await.unwrap(),
        Claim::Taken
    );
    assert!(store.heartbeat(run_id, "a", 5000).await.unwrap());
    assert!(
        !store.heartbeat(run_id, "b", 5000).await.unwrap(),
        "only the owner renews"
    );

    // The owner dies; after the lease another replica takes over, once.
    assert!(store.expired_runs(4000).await.unwrap().is_empty());
    let expired = store.expired_runs(6000).await.unwrap();
    assert_eq!(
        expired.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![run_id]
    );
    assert!(store.take_over(run_id, "b", 6000, 9000).await.unwrap());
    assert!(!store.take_over(run_id, "c", 6001, 9000).await.unwrap());
    assert!(
        !store
            .finish(run_id, "a", 7000, 10, &passed())
            .await
            .unwrap(),
        "the dead owner cannot finish it"
    );
    assert!(
        store
            .finish(run_id, "b", 7000, 1000, &passed())
            .await
            .unwrap()
    );

    // A lapsed slot too old to rerun is closed as an error, not lost.
    let Claim::Claimed { run_id: old } = store.claim(&claim(3000, "a", 8000)).await.unwrap() else {
        panic!()
    };
    assert!(store.abandon(old, 20_000, "abandoned").await.unwrap());
    let history = store.history("c", 10).await.unwrap();
    let statuses: Vec<(i64, &str)> = history
        .iter()
        .map(|r| (r.slot_ms, r.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        vec![(3000, "error"), (2000, "skipped"), (1000, "pass")]
    );
    let latest = store.latest_results().await.unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].slot_ms, 3000);
    assert_eq!(
        store.last_successes().await.unwrap(),
        vec![("c".to_string(), 7000)]
    );

    // Retention purges finished runs before the cutoff.
    assert_eq!(store.purge_before(2500).await.unwrap(), 2);
    assert_eq!(store.history("c", 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn slots_are_claimed_once_taken_over_and_purged_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    scenario(
        open(&format!(
            "sqlite://{}/nested/store.db",
            dir.path().display()
        ))
        .await,
    )
    .await;
}

#[tokio::test]
async fn slots_are_claimed_once_taken_over_and_purged_on_postgres() {
    let Some(url) = fresh_postgres("store_postgres").await else {
        return;
    };
    scenario(open(&url).await).await;
}

#[tokio::test]
async fn housekeeping_purges_runs_older_than_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&format!("sqlite://{}/store.db", dir.path().display())).await;
    let now = chrono::Utc::now();
    let day_ms = 86_400_000;
    for (slot, owner) in [
        (now.timestamp_millis() - 3 * day_ms, "old"),
        (now.timestamp_millis() - 1000, "new"),
    ] {
        assert!(
            store
                .record_skip(&claim(slot, owner, slot), "test")
                .await
                .unwrap()
        );
    }
    let metrics = std::sync::Arc::new(hypercare::metrics::Metrics::new("sqlite"));
    let day = std::time::Duration::from_secs(86_400);
    let scheduler =
        hypercare::scheduler::Scheduler::new(store.clone(), metrics, "me".into(), day, 2 * day);
    scheduler
        .housekeeping(&std::sync::Arc::new(Vec::new()), now)
        .await;
    let left: Vec<String> = store
        .history("c", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.owner)
        .collect();
    assert_eq!(left, vec!["new"]);
}

/// Two replicas claim different slots of one check at the same moment:
/// only one may run (the store's unique index on running rows decides).
async fn racing_claims(store: Store) {
    for i in 0..40 {
        let check = format!("race_{i}");
        let claim = |slot_ms: i64, owner: &'static str| NewClaim {
            check: &check,
            kind: CheckKind::Reconcile,
            slot_ms,
            owner,
            now_ms: 5000,
            lease_expires_ms: 60_000,
        };
        let (a, b) = (claim(1000, "a"), claim(2000, "b"));
        let (a, b) = tokio::join!(store.claim(&a), store.claim(&b));
        let claimed = [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|c| matches!(c, Claim::Claimed { .. }))
            .count();
        assert_eq!(claimed, 1, "round {i}: both replicas ran the check");
    }
    // A lapsed running run of an earlier slot does not block the next one.
    let old = NewClaim {
        lease_expires_ms: 100,
        ..claim(1000, "dead", 50)
    };
    assert!(matches!(
        store.claim(&old).await.unwrap(),
        Claim::Claimed { .. }
    ));
    assert!(matches!(
        store.claim(&claim(2000, "b", 200)).await.unwrap(),
        Claim::Claimed { .. }
    ));
}

#[tokio::test]
async fn racing_claims_run_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    racing_claims(open(&format!("sqlite://{}/store.db", dir.path().display())).await).await;
}

#[tokio::test]
async fn racing_claims_run_once_on_postgres() {
    let Some(url) = fresh_postgres("racing_claims").await else {
        return;
    };
    racing_claims(open(&url).await).await;
}
