//! Every background loop is supervised: a loop that dies makes `/readyz`
//! fail, and a dead scheduler ends `hypercare run` with a non-zero exit so
//! that the orchestrator restarts it. The loops are made to die through the
//! application's test hook (`Application::panic_loop`,
//! `HYPERCARE_TEST_PANIC_LOOP` for the binary).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{BIN, exec, write_config};

async fn config(dir: &std::path::Path, listen: &str) -> std::path::PathBuf {
    let d = dir.display();
    exec(&format!("sqlite://{d}/src.db"), "CREATE TABLE t (a INT)").await;
    write_config(
        dir,
        &format!(
            "[server]\nlisten = \"{listen}\"\n[store]\nurl = \"sqlite://{d}/store.db\"\n\
             [sources.s]\nurl = \"sqlite://{d}/src.db\"\n\
             [[reconcile]]\nname = \"t\"\nschedule = \"* * * * * *\"\n\
             source = {{ from = \"s\", sql = \"SELECT COUNT(*) FROM t\" }}\n\
             target = {{ from = \"s\", sql = \"SELECT COUNT(*) FROM t\" }}\n"
        ),
    )
}

#[tokio::test]
async fn a_loop_that_panics_turns_readyz_503_while_healthz_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), "127.0.0.1:0").await;
    let mut app = hypercare::app::Application::build(hypercare::config::load(&path).unwrap())
        .await
        .unwrap();
    app.panic_loop("alerts");
    let base = format!("http://{}", app.local_addr());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    let running = tokio::spawn(app.run(shutdown.clone(), rx));

    let mut last = None;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await {
            let status = r.status().as_u16();
            last = Some((status, r.text().await.unwrap_or_default()));
            if status == 503 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = last.expect("readyz answered");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body, "not ready: the alerts loop stopped\n");
    let live = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert!(
        live.status().is_success(),
        "the process itself still answers"
    );

    // The alerts loop is not critical: the process runs on until told to stop.
    shutdown.cancel();
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_dead_scheduler_makes_hypercare_run_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), "127.0.0.1:0").await;
    let log = dir.path().join("stderr.txt");
    let mut child = Command::new(BIN)
        .args(["run", "-c"])
        .arg(&path)
        .env("HYPERCARE_TEST_PANIC_LOOP", "scheduler")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("spawn hypercare");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("hypercare still runs without its scheduler");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the scheduler loop stopped"),
        "the reason is told: {stderr}"
    );
}
