//! The store refused while a run is under way: the run cannot renew its
//! lease, so it ends `error` (recorded once the store is back: by the
//! runner, or by takeover of its lapsed lease), never `pass` from a replica
//! that no longer held the slot; `/healthz` answers within 1 s throughout;
//! both checks run again after restore without a restart [recovery time].

use std::time::Duration;

use super::proxy::{Faulty, Mode};
use super::scene::{Scene, now_ms};
use crate::helpers::{fresh_postgres, host_port, via_port};

#[tokio::test]
async fn store_down_during_a_run_ends_it_error_and_recovers() {
    let Some(pg) = fresh_postgres("store_down_during_a_run").await else {
        return;
    };
    let proxy = Faulty::start(host_port(&pg)).await;
    let affected = format!(
        "[scheduler]\nlease = \"3s\"\n[sources.pg]\nurl = \"{pg}\"\n\
         [[reconcile]]\nname = \"slow\"\nschedule = \"*/5 * * * * *\"\ntimeout = \"20s\"\n\
         source = {{ from = \"pg\", sql = \"SELECT COUNT(*) FROM pg_sleep(3)\" }}\n\
         target = {{ from = \"pg\", sql = \"SELECT 1\" }}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let store = (via_port(&pg, proxy.port), pg.clone());
    let scene = Scene::start_with(dir, store, &affected).await;
    scene
        .wait_run("slow", "pass", 0, Duration::from_secs(20))
        .await;
    // Cut the store a second into the next run.
    let running = loop {
        let runs = scene.runs("slow").await;
        if let Some(r) = runs
            .iter()
            .find(|r| r.0 == "running" && now_ms() - r.2 >= 1000)
        {
            break r.2;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    proxy.set(Mode::Refuse);
    let outage = Duration::from_secs(6);
    let watch = tokio::spawn(super::healthz_latency(scene.base.clone(), outage));
    tokio::time::sleep(outage).await;
    let restored_at = now_ms();
    proxy.set(Mode::Pass);
    let healthz_worst = watch.await.unwrap();
    let steady_back = scene
        .wait_run("steady", "pass", restored_at, Duration::from_secs(15))
        .await;
    let slow_back = scene
        .wait_run("slow", "pass", restored_at, Duration::from_secs(30))
        .await;
    let cut_run = scene
        .runs("slow")
        .await
        .into_iter()
        .find(|r| r.2 == running)
        .expect("the run under way at the cut");
    eprintln!(
        "fault store down during a run: /healthz worst {healthz_worst:?}; the run under way ended {:?} \"{}\"; \
         steady passed {} ms and slow {} ms after restore",
        cut_run.0,
        cut_run.1,
        steady_back - restored_at,
        slow_back - restored_at
    );
    assert!(healthz_worst < Duration::from_secs(1), "{healthz_worst:?}");
    assert_eq!(cut_run.0, "error", "{cut_run:?}");
    assert!(steady_back - restored_at < 5_000);
    assert!(slow_back - restored_at < 15_000);
    scene.stop().await;
}
