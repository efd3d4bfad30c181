//! No empty panels: on a fresh `hypercare demo`, every metric a dashboard
//! queries is in `/metrics` within 20 s of the demo serving, so no panel
//! reads "No data" before the first feedback report, skip or store error.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{BIN, read_until};

#[path = "../support/promql.rs"]
mod promql;

/// Families present in a text exposition (histogram series folded).
fn families(metrics: &str) -> BTreeSet<String> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(|n| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| n.strip_suffix(s))
                .unwrap_or(n)
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_fresh_demo_serves_every_metric_the_dashboards_query_within_20_s() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // metric -> the dashboards that query it
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for q in promql::dashboard_queries(root) {
        for name in promql::metric_names(&q.expr) {
            wanted.entry(name).or_default().insert(q.dashboard.clone());
        }
    }
    assert!(
        wanted.len() > 20,
        "only {} metrics in the dashboards",
        wanted.len()
    );
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
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut missing = wanted.clone();
    while !missing.is_empty() && Instant::now() < deadline {
        if let Ok(r) = reqwest::get(&url).await {
            let have = families(&r.text().await.unwrap_or_default());
            missing.retain(|m, _| !have.contains(m));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().unwrap();
    assert!(
        missing.is_empty(),
        "not in /metrics 20 s after the demo started serving: {missing:?}"
    );
    assert!(exit.success(), "demo exits 0 on SIGTERM");
}
