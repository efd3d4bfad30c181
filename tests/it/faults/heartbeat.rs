//! The store hung (path frozen, nothing forwarded) while a long run is
//! under way: every lease renewal hangs. A hung beat counts as failed [the
//! first within the lease of 3 s], and the run gives up its slot rather
//! than run on while another replica may take it over [it ends `error`
//! long before its 20-s query would have]; `/healthz` answers within 1 s
//! throughout; the steady check passes again after restore.

use std::time::{Duration, Instant};

use super::proxy::{Faulty, Mode};
use super::scene::{Scene, now_ms};
use crate::helpers::{fresh_postgres, host_port, sample, via_port};

const SLOW_ERRORS: &str =
    r#"hypercare_check_runs_total{check="slow",kind="reconcile",outcome="error"}"#;
const HUNG_BEATS: &str = r#"hypercare_store_errors_total{operation="heartbeat"}"#;

async fn metric(base: &str, name: &str) -> f64 {
    let text = match reqwest::get(format!("{base}/metrics")).await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    sample(&text, name).unwrap_or(0.0)
}

#[tokio::test]
async fn a_hung_heartbeat_counts_as_failed_and_the_run_gives_up_its_slot() {
    let Some(pg) = fresh_postgres("hung_heartbeat").await else {
        return;
    };
    let proxy = Faulty::start(host_port(&pg)).await;
    let affected = format!(
        "[scheduler]\nlease = \"3s\"\n[sources.pg]\nurl = \"{pg}\"\n\
         [[reconcile]]\nname = \"slow\"\nschedule = \"*/5 * * * * *\"\ntimeout = \"40s\"\n\
         source = {{ from = \"pg\", sql = \"SELECT COUNT(*) FROM pg_sleep(20)\" }}\n\
         target = {{ from = \"pg\", sql = \"SELECT 1\" }}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let scene = Scene::start_with(dir, (via_port(&pg, proxy.port), pg.clone()), &affected).await;
    // Freeze the store a second into the first run.
    let started = loop {
        let runs = scene.runs("slow").await;
        if let Some(r) = runs
            .iter()
            .find(|r| r.0 == "running" && now_ms() - r.2 >= 1000)
        {
            break r.2;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let cut = Instant::now();
    proxy.set(Mode::Freeze);
    let watch = tokio::spawn(super::healthz_latency(
        scene.base.clone(),
        Duration::from_secs(6),
    ));
    let (mut hung_counted, mut ended) = (None, None);
    let restore_at = Duration::from_secs(6);
    let mut restored_at = None;
    // Until the run has ended, at the latest when its query would have.
    while ended.is_none() && now_ms() < started + 20_000 {
        if hung_counted.is_none() && metric(&scene.base, HUNG_BEATS).await > 0.0 {
            hung_counted = Some(cut.elapsed());
        }
        if metric(&scene.base, SLOW_ERRORS).await > 0.0 {
            ended = Some(cut.elapsed());
        }
        if restored_at.is_none() && cut.elapsed() >= restore_at {
            proxy.set(Mode::Pass);
            restored_at = Some(now_ms());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let restored_at = restored_at.unwrap_or_else(|| {
        proxy.set(Mode::Pass);
        now_ms()
    });
    let healthz_worst = watch.await.unwrap();
    let steady_back = scene
        .wait_run("steady", "pass", restored_at, Duration::from_secs(15))
        .await;
    eprintln!(
        "fault store hung during a run (heartbeat): /healthz worst {healthz_worst:?}; first hung beat \
         counted {hung_counted:?} after the freeze; the run ended error {ended:?} after the freeze \
         (its query takes 20 s); steady passed {} ms after restore",
        steady_back - restored_at
    );
    assert!(healthz_worst < Duration::from_secs(1), "{healthz_worst:?}");
    let hung = hung_counted.expect("a hung heartbeat is counted as a store error");
    assert!(hung < Duration::from_secs(3), "within the lease: {hung:?}");
    let ended = ended.expect("the run gave up before its query ended");
    assert!(ended < Duration::from_secs(15), "{ended:?}");
    assert!(steady_back - restored_at < 5_000);
    scene.stop().await;
}
