//! The running daemon: outages of a source, config reloads.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::helpers::{
    Daemon, Proxy, exec, free_port, fresh_mysql, fresh_postgres, host_port, sample, via_port,
    wait_for, write_config,
};

const STATUS: &str = "hypercare_check_status{check=\"patients\",kind=\"reconcile\",status=";

async fn status_is(base: &str, status: &str) -> bool {
    let Ok(r) = reqwest::get(format!("{base}/metrics")).await else {
        return false;
    };
    let text = r.text().await.unwrap_or_default();
    sample(&text, &format!("{STATUS}\"{status}\"}}")) == Some(1.0)
}

#[tokio::test]
async fn the_daemon_survives_a_target_outage_keeps_serving_and_recovers() {
    let (Some(pg), Some(my)) = (
        fresh_postgres("target_outage").await,
        fresh_mysql("target_outage").await,
    ) else {
        return;
    };
    for url in [&pg, &my] {
        exec(
            url,
            "CREATE TABLE patients (id INT PRIMARY KEY); INSERT INTO patients VALUES (1), (2), (3)",
        )
        .await;
    }
    let proxy = Proxy::start(host_port(&my)).await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"[server]
listen = "127.0.0.1:0"
[store]
url = "sqlite://{dir}/store.db"
[sources.legacy]
url = "{pg}"
[sources.ehr]
url = "{target}"
connect_timeout = "1s"
statement_timeout = "2s"
[[reconcile]]
name = "patients"
schedule = "* * * * * *"
timeout = "4s"
source = {{ from = "legacy", sql = "SELECT COUNT(*) FROM patients" }}
target = {{ from = "ehr", sql = "SELECT COUNT(*) FROM patients" }}
"#,
        dir = dir.path().display(),
        target = via_port(&my, proxy.port),
    );
    let path = write_config(dir.path(), &text);
    let cfg = hypercare::config::load(&path).unwrap();
    let app = hypercare::app::Application::build(cfg).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let state = app.state();
    let shutdown = CancellationToken::new();
    let (_reload_tx, reload_rx) = mpsc::channel(1);
    let running = tokio::spawn(app.run(shutdown.clone(), reload_rx));

    wait_for(Duration::from_secs(20), || status_is(&base, "pass"))
        .await
        .expect("first pass");
    proxy.cut();
    wait_for(Duration::from_secs(20), || status_is(&base, "error"))
        .await
        .expect("error while the target is cut off");
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert!(health.status().is_success());
    let latest = state.store.latest_results().await.unwrap();
    let run = latest.iter().find(|r| r.check_name == "patients").unwrap();
    assert_eq!(run.status.as_str(), "error");
    assert!(run.summary.starts_with("target `ehr`"), "{}", run.summary);
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        sample(
            &metrics,
            "hypercare_check_runs_total{check=\"patients\",kind=\"reconcile\",outcome=\"error\"}"
        )
        .unwrap_or(0.0)
            >= 1.0
    );

    proxy.restore();
    wait_for(Duration::from_secs(20), || status_is(&base, "pass"))
        .await
        .expect("recovery after the target returns");
    shutdown.cancel();
    running.await.unwrap().unwrap();
}

fn sqlite_config(dir: &std::path::Path, port: u16, checks: &[&str]) -> String {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"sqlite://{d}/store.db\"\n[sources.s]\nurl = \"sqlite://{d}/src.db\"\n",
        d = dir.display()
    );
    for name in checks {
        text.push_str(&format!(
            "[[reconcile]]\nname = \"{name}\"\nschedule = \"* * * * * *\"\nsource = {{ from = \"s\", sql = \"SELECT 1\" }}\ntarget = {{ from = \"s\", sql = \"SELECT 1\" }}\n"
        ));
    }
    text
}

#[tokio::test]
async fn sighup_applies_a_valid_config_and_keeps_the_old_one_when_invalid() {
    let dir = tempfile::tempdir().unwrap();
    exec(
        &format!("sqlite://{}/src.db", dir.path().display()),
        "CREATE TABLE t (a INT)",
    )
    .await;
    let port = free_port();
    let path = write_config(dir.path(), &sqlite_config(dir.path(), port, &["one"]));
    let daemon = Daemon::start(&path, port).await;
    let configured = |m: &str| sample(m, "hypercare_checks_configured");
    assert_eq!(configured(&daemon.metrics().await), Some(1.0));

    write_config(
        dir.path(),
        &sqlite_config(dir.path(), port, &["one", "two"]),
    );
    daemon.signal("HUP");
    wait_for(Duration::from_secs(10), || async {
        configured(&daemon.metrics().await) == Some(2.0)
    })
    .await
    .expect("the valid config was applied");

    let runs = |m: &str| {
        sample(
            m,
            "hypercare_check_runs_total{check=\"one\",kind=\"reconcile\",outcome=\"pass\"}",
        )
    };
    let watch = crate::faults::HealthzWatch::start(daemon.base.clone());
    write_config(dir.path(), "[[reconcile]]\nname = \"broken\"\n");
    let hup = std::time::Instant::now();
    daemon.signal("HUP");
    wait_for(Duration::from_secs(10), || async {
        sample(
            &daemon.metrics().await,
            "hypercare_config_reloads_total{result=\"error\"}",
        ) == Some(1.0)
    })
    .await
    .expect("the invalid config was refused");
    let refused = hup.elapsed();
    let m = daemon.metrics().await;
    assert_eq!(configured(&m), Some(2.0), "the old config stays in force");
    // The old checks keep their schedule after the refused reload.
    let before = runs(&m).unwrap_or(0.0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = runs(&daemon.metrics().await).unwrap_or(0.0);
    let worst = watch.worst().await;
    eprintln!(
        "fault SIGHUP with a bad config: /healthz worst {worst:?}; refused in {refused:?}; \
         `one` passed {} times in the 3 s after",
        after - before
    );
    assert!(worst < Duration::from_secs(1), "/healthz took {worst:?}");
    assert!(
        after - before >= 1.0,
        "`one` kept running: {before} -> {after}"
    );
    assert_eq!(
        sample(&m, "hypercare_config_reloads_total{result=\"ok\"}"),
        Some(1.0)
    );
}
