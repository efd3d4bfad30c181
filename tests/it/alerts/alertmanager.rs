//! A real Alertmanager (Debian's prometheus-alertmanager) receives the alert
//! while it fires, keeps it through re-posts, and sees it resolved after.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{config, drifting_source, fix, port, tool};
use crate::helpers::{Daemon, wait_for, write_config};

const BINARY: &str = "/usr/bin/prometheus-alertmanager";

struct Alertmanager {
    child: Child,
    base: String,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_alertmanager(dir: &std::path::Path) -> Alertmanager {
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
    )
    .unwrap();
    let port = port();
    let child = Command::new(BINARY)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.join("am-data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alertmanager");
    let base = format!("http://127.0.0.1:{port}");
    let am = Alertmanager { child, base };
    let ready = wait_for(Duration::from_secs(30), || async {
        reqwest::get(format!("{}/-/ready", am.base))
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(ready.is_ok(), "alertmanager did not become ready");
    am
}

/// The alerts Alertmanager lists with this alertname (active ones by default).
async fn listed(am: &Alertmanager) -> Vec<Value> {
    let url = format!(
        "{}/api/v2/alerts?filter=alertname%3D%22patients_drift%22",
        am.base
    );
    let Ok(r) = reqwest::get(url).await else {
        return Vec::new();
    };
    r.json::<Vec<Value>>().await.unwrap_or_default()
}

#[tokio::test]
async fn alertmanager_shows_the_alert_while_it_fires_and_resolved_after() {
    if !tool(
        "alertmanager end to end",
        "prometheus-alertmanager",
        Command::new(BINARY).arg("--version"),
        "apt-get install prometheus-alertmanager",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let am = start_alertmanager(dir.path()).await;
    let source = drifting_source(dir.path()).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let p = port();
    let notifier = format!(
        "[notifiers.am]\ntype = \"alertmanager\"\nurl = \"{}\"\n",
        am.base
    );
    let d = Daemon::start(
        &write_config(
            dir.path(),
            &config(p, &store, &source, "one", "\"am\"", &notifier),
        ),
        p,
    )
    .await;

    let firing = wait_for(Duration::from_secs(30), || async {
        !listed(&am).await.is_empty()
    })
    .await;
    assert!(firing.is_ok(), "Alertmanager never received the alert");
    let alert = listed(&am).await.remove(0);
    assert_eq!(alert["labels"]["check"], "patients");
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(alert["status"]["state"], "active");
    assert_eq!(
        alert["annotations"]["summary"],
        "Check patients found drift"
    );
    assert_eq!(
        alert["generatorURL"],
        "https://hypercare.example.org/admin/alerts"
    );
    // endsAt lies ahead (4 × resend_interval); re-posts keep moving it on.
    let ends_at = |a: &Value| -> chrono::DateTime<chrono::Utc> {
        a["endsAt"].as_str().unwrap().parse().unwrap()
    };
    let ends_first = ends_at(&alert);
    assert!(
        ends_first > chrono::Utc::now(),
        "endsAt lies ahead while firing"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let again = listed(&am).await;
    assert_eq!(again.len(), 1, "still one alert while it fires");
    assert!(ends_at(&again[0]) > ends_first, "re-posted before endsAt");

    let ends = ends_at(&listed(&am).await[0]);
    fix(&source).await;
    let resolved = wait_for(Duration::from_secs(30), || async {
        listed(&am).await.is_empty()
    })
    .await;
    assert!(
        resolved.is_ok(),
        "Alertmanager still lists the alert as active: {:?}",
        listed(&am).await
    );
    // Gone before its last endsAt: hypercare posted the resolution, it did not just lapse.
    assert!(chrono::Utc::now() < ends, "the alert only lapsed at {ends}");
    drop(d);
}
