//! Two `hypercare run` processes sharing one PostgreSQL store.

use std::collections::BTreeMap;
use std::time::Duration;

use sqlx::Connection;

use crate::helpers::{Daemon, exec, free_port, fresh_postgres, write_config};

/// Slots by start (ms) → (status, owner) of each run.
type Slots = BTreeMap<i64, Vec<(String, String)>>;

/// Recovery after the kill at `killed`: the first slot from then on that
/// passed, and how many runs from then on did not pass.
fn after_the_kill(per_slot: &Slots, killed: i64) -> (i64, usize) {
    let first = per_slot
        .range(killed..)
        .find(|(_, r)| r.iter().any(|(s, _)| s == "pass"))
        .map(|(slot, _)| *slot)
        .expect("a pass after the kill");
    let not_passed = per_slot
        .range(killed..)
        .flat_map(|(_, r)| r)
        .filter(|(s, _)| s != "pass")
        .count();
    (first, not_passed)
}

/// Every second from `first` to `last`: one run, no gaps. The slots.
fn each_once(per_slot: &Slots, first: i64, last: i64) -> Vec<i64> {
    let window: Vec<i64> = (first..=last).step_by(1000).collect();
    assert!(window.len() >= 28, "a 30 s window, got {}", window.len());
    for slot in &window {
        let runs = per_slot
            .get(slot)
            .unwrap_or_else(|| panic!("slot {slot} never ran; slots: {:?}", per_slot.keys()));
        assert_eq!(runs.len(), 1, "slot {slot}: {runs:?}");
    }
    window
}

/// Both replicas ran slots before the kill; after it (and the lease), only
/// the survivor, every run a pass.
fn shared_then_taken_over(per_slot: &Slots, first: i64, killed: i64, last: i64) {
    let in_window = |from: i64, to: i64| {
        per_slot
            .range(from..to)
            .flat_map(|(_, r)| r.clone())
            .collect::<Vec<_>>()
    };
    let before_kill = in_window(first, killed - 1000);
    let owners: std::collections::BTreeSet<&str> =
        before_kill.iter().map(|(_, o)| o.as_str()).collect();
    assert!(
        owners.contains("replica-a") && owners.contains("replica-b"),
        "both replicas shared the work: {owners:?}"
    );
    let after_kill = in_window(killed + 4000, last + 1);
    assert!(!after_kill.is_empty());
    assert!(
        after_kill
            .iter()
            .all(|(s, o)| o == "replica-b" && s == "pass"),
        "replica-b took over: {after_kill:?}"
    );
}

/// `hypercare run` as replica `replica-NAME`, in its own folder.
async fn replica(dir: &std::path::Path, store: &str, name: &str) -> Daemon {
    let own = dir.join(name);
    std::fs::create_dir_all(&own).unwrap();
    let port = free_port();
    let text = config(dir, store, port, &format!("replica-{name}"));
    Daemon::start(&write_config(&own, &text), port).await
}

fn config(dir: &std::path::Path, store: &str, port: u16, replica: &str) -> String {
    format!(
        r#"[server]
listen = "127.0.0.1:{port}"
[store]
url = "{store}"
[scheduler]
lease = "3s"
replica_id = "{replica}"
[sources.s]
url = "sqlite://{d}/src.db"
[[reconcile]]
name = "every_second"
schedule = "* * * * * *"
source = {{ from = "s", sql = "SELECT COUNT(*) FROM t" }}
target = {{ from = "s", sql = "SELECT COUNT(*) FROM t" }}
"#,
        d = dir.display()
    )
}

#[tokio::test]
async fn two_replicas_run_every_slot_exactly_once_and_one_takes_over_when_the_other_dies() {
    let Some(store) = fresh_postgres("two_replicas").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    exec(
        &format!("sqlite://{}/src.db", dir.path().display()),
        "CREATE TABLE t (a INT); INSERT INTO t VALUES (1)",
    )
    .await;
    let mut a = replica(dir.path(), &store, "a").await;
    let mut b = replica(dir.path(), &store, "b").await;
    let both_up = chrono::Utc::now().timestamp_millis();

    let watch = crate::faults::HealthzWatch::start(b.base.clone());
    tokio::time::sleep(Duration::from_secs(15)).await;
    a.signal("KILL");
    a.wait_exit(Duration::from_secs(5));
    let killed = chrono::Utc::now().timestamp_millis();
    tokio::time::sleep(Duration::from_secs(15)).await;
    let before_stop = chrono::Utc::now().timestamp_millis();
    // The survivor answers throughout, the kill included.
    let worst = watch.worst().await;
    assert!(worst < Duration::from_secs(1), "/healthz took {worst:?}");
    b.signal("TERM");
    assert_eq!(b.wait_exit(Duration::from_secs(15)).0, Some(0));

    let mut conn = sqlx::PgConnection::connect(&store).await.unwrap();
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT slot_ms, status, owner FROM runs WHERE check_name = 'every_second' ORDER BY slot_ms")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let mut per_slot: Slots = BTreeMap::new();
    for (slot, status, owner) in rows {
        per_slot.entry(slot).or_default().push((status, owner));
    }
    let first = (both_up / 1000 + 1) * 1000;
    let last = (before_stop / 1000 - 1) * 1000;
    let window = each_once(&per_slot, first, last);
    shared_then_taken_over(&per_slot, first, killed, last);
    let passes = per_slot
        .values()
        .flatten()
        .filter(|(s, _)| s == "pass")
        .count();
    assert!(
        passes >= window.len() - 4,
        "at most the lease after the kill may be skipped: {passes} of {}",
        window.len()
    );
    let (first_after, not_passed_after) = after_the_kill(&per_slot, killed);
    eprintln!(
        "fault kill -9 of one of two replicas: /healthz worst {worst:?} on the survivor; \
         {} slots each run once; the first slot after the kill that passed began {} ms \
         after it; {not_passed_after} slots after the kill not `pass` (lease 3 s)",
        window.len(),
        first_after - killed
    );
    assert!(
        first_after - killed < 5000,
        "taken over within the lease and a slot"
    );
    let running: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = 'running'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        running, 0,
        "a slot the killed replica held was taken over or closed"
    );
}
