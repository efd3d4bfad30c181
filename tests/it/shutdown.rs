//! SIGTERM while a check is running: bounded drain, run recorded as cancelled.

use std::time::Duration;

use sqlx::Connection;

use crate::helpers::{Daemon, exec, free_port, wait_for, write_config};

/// A SQLite query that counts to a billion: runs for many seconds.
const SLOW: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT COUNT(*) FROM c";

async fn run_status(store: &str) -> Vec<String> {
    let Ok(mut c) = sqlx::SqliteConnection::connect(store).await else {
        return vec![];
    };
    sqlx::query_scalar("SELECT status FROM runs WHERE check_name = 'slow' ORDER BY id")
        .fetch_all(&mut c)
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn sigterm_during_a_long_check_exits_0_within_the_drain_and_records_it_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    exec(&format!("sqlite://{d}/src.db"), "CREATE TABLE t (a INT)").await;
    let port = free_port();
    let path = write_config(
        dir.path(),
        &format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"sqlite://{d}/store.db\"\n\
         [scheduler]\ndrain_timeout = \"1s\"\n[sources.s]\nurl = \"sqlite://{d}/src.db\"\n\
         [[reconcile]]\nname = \"slow\"\nschedule = \"* * * * * *\"\ntimeout = \"5m\"\n\
         source = {{ from = \"s\", sql = \"{SLOW}\" }}\ntarget = {{ from = \"s\", sql = \"SELECT 1\" }}\n"
        ),
    );
    let mut daemon = Daemon::start(&path, port).await;
    let watch = crate::faults::HealthzWatch::start(daemon.base.clone());
    let store = format!("sqlite://{d}/store.db");
    wait_for(Duration::from_secs(10), || async {
        run_status(&store)
            .await
            .first()
            .is_some_and(|s| s == "running")
    })
    .await
    .expect("the slow check started");
    // Served while the long run is under way, up to the signal.
    let worst = watch.worst().await;
    assert!(worst < Duration::from_secs(1), "/healthz took {worst:?}");

    daemon.signal("TERM");
    let (code, took) = daemon.wait_exit(Duration::from_secs(15));
    assert_eq!(code, Some(0));
    // drain (1 s) plus the time to record and close, well under the 5 min check timeout.
    assert!(took < Duration::from_secs(6), "took {took:?}");
    eprintln!("fault SIGTERM mid-run: /healthz worst {worst:?} before; exit 0 after {took:?}");
    let statuses = run_status(&store).await;
    assert_eq!(
        statuses.first().map(String::as_str),
        Some("cancelled"),
        "{statuses:?}"
    );
    assert!(
        !statuses.iter().any(|s| s == "running"),
        "no run left running: {statuses:?}"
    );
}

#[tokio::test]
async fn a_check_past_its_timeout_ends_as_error_and_later_slots_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    exec(&format!("sqlite://{d}/src.db"), "CREATE TABLE t (a INT)").await;
    let path = write_config(
        dir.path(),
        &format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"sqlite://{d}/store.db\"\n\
         [sources.s]\nurl = \"sqlite://{d}/src.db\"\n\
         [[reconcile]]\nname = \"slow\"\nschedule = \"* * * * * *\"\ntimeout = \"1s\"\n\
         source = {{ from = \"s\", sql = \"{SLOW}\" }}\ntarget = {{ from = \"s\", sql = \"SELECT 1\" }}\n"
        ),
    );
    let app = hypercare::app::Application::build(hypercare::config::load(&path).unwrap())
        .await
        .unwrap();
    let state = app.state();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    let running = tokio::spawn(app.run(shutdown.clone(), rx));
    let timed_out = || async {
        let runs = state.store.history("slow", 20).await.unwrap_or_default();
        runs.iter()
            .filter(|r| r.status.as_str() == "error" && r.summary == "timed out after 1s")
            .count()
            >= 2
    };
    wait_for(Duration::from_secs(15), timed_out)
        .await
        .expect("two runs ended as timed out");
    shutdown.cancel();
    running.await.unwrap().unwrap();
}
