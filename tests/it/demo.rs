//! `hypercare demo` on a fresh folder, with no database server.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{BIN, read_until, sample};

#[tokio::test]
async fn demo_serves_passing_and_failing_reconciliations_within_a_minute() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir.path().join("demo"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = read_until(&mut child, "metrics ");
    let url = line.split_whitespace().last().unwrap().to_string();
    let status = |m: &str, s: &str| {
        m.lines()
            .filter(|l| {
                l.starts_with("hypercare_check_status{")
                    && l.contains(&format!("status=\"{s}\"}} 1"))
            })
            .count()
    };
    let mut metrics = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut seen = false;
    while !seen && std::time::Instant::now() < deadline {
        if let Ok(r) = reqwest::get(&url).await {
            metrics = r.text().await.unwrap_or_default();
        }
        seen = status(&metrics, "pass") >= 2 && status(&metrics, "fail") >= 3;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().unwrap();
    assert!(
        seen,
        "no passing and failing checks within a minute:\n{metrics}"
    );
    assert!(exit.success(), "demo exits 0 on SIGTERM");
    // The injected loss: clinic east is missing patients in the target.
    let east = sample(
        &metrics,
        "hypercare_reconcile_difference_records{check=\"patients_by_clinic\",group=\"east\"}",
    );
    assert!(east.is_some_and(|d| d < 0.0), "{metrics}");
    assert!(
        dir.path().join("demo/legacy.db").exists()
            && dir.path().join("demo/hypercare.toml").exists()
    );
}
