//! Workflows in a running daemon (burn rates and ratios served from its
//! store) and against the demo's simulated EHR.

use std::collections::BTreeMap;
use std::time::Duration;

use hypercare::results::{Outcome, StepOutcome};

use super::*;
use crate::helpers::{Daemon, free_port, sample, wait_for, write_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_serves_burn_rates_and_baseline_ratios_from_its_store() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Every 2 s; the SLO threshold (60 ms) is below the workflow's ~75 ms,
    // so every run is bad: burn rate (1/1)/(1 − 0.99) = 100 in every window.
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"sqlite://{}/hc.db\"\n[scheduler]\nlease = \"3s\"\n{}{}",
        dir.path().display(),
        source(&base)
            .replace(
                "client_secret_env = \"HC_TEST_SECRET\"",
                "client_secret_file = \"SECRET_FILE\""
            )
            .replace(
                "SECRET_FILE",
                &dir.path().join("secret").display().to_string()
            ),
        CHART
            .replace("0 0 * * * *", "*/2 * * * * *")
            .replace("slo_latency = \"500ms\"", "slo_latency = \"60ms\"")
    );
    std::fs::write(dir.path().join("secret"), "s3cret\n").unwrap();
    let cfg = write_config(dir.path(), &text);
    let daemon = Daemon::start(&cfg, port).await;
    let seen = wait_for(Duration::from_secs(30), || async {
        let m = daemon.metrics().await;
        m.contains("hypercare_workflow_slo_burn_rate{window=\"5m\",workflow=\"open_chart\"}")
            && m.contains(
                "hypercare_workflow_baseline_ratio{percentile=\"p50\",workflow=\"open_chart\"}",
            )
    })
    .await;
    let metrics = daemon.metrics().await;
    assert!(seen.is_ok(), "no burn rate within 30 s:\n{metrics}");
    for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] {
        let rate = sample(
            &metrics,
            &format!("hypercare_workflow_slo_burn_rate{{window=\"{w}\",workflow=\"open_chart\"}}"),
        );
        assert!(
            rate.is_some_and(|r| (r - 100.0).abs() < 1e-6),
            "{w}: {rate:?}"
        );
    }
    // The target's p50 (75 ms and a little) against the fixed 40 ms.
    let ratio = sample(
        &metrics,
        "hypercare_workflow_baseline_ratio{percentile=\"p50\",workflow=\"open_chart\"}",
    )
    .unwrap();
    let p50 = sample(
        &metrics,
        "hypercare_workflow_latency_seconds{percentile=\"p50\",system=\"target\",workflow=\"open_chart\"}",
    )
    .unwrap();
    assert!(p50 >= 0.075, "the steps' delays add up to 75 ms: {p50}");
    assert!(
        (ratio - p50 * 1000.0 / 40.0).abs() < 1e-9,
        "p50 ratio {ratio} for {p50} s"
    );
    assert!(metrics.contains(
        "hypercare_check_status{check=\"open_chart\",kind=\"workflow\",status=\"pass\"} 1"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_ehr_answers_every_built_in_journey_and_is_slow_for_one_clinic() {
    let addr = hypercare::demo::ehr::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/target.db", dir.path().display());
    crate::helpers::exec(
        &db,
        "CREATE TABLE patient (id INTEGER PRIMARY KEY, mrn TEXT, clinic_id TEXT); \
         INSERT INTO patient VALUES (1, 'N-1', 'north'), (2, 'S-1', 'south'), (3, 'N-2', 'north')",
    )
    .await;
    // The demo's probes stand for clinics: they must be configured.
    let clinics = "[[clinics]]\nid = \"north\"\nname = \"North\"\n[[clinics]]\nid = \"east\"\nname = \"East\"\n";
    let text = format!(
        "[sources.target]\nurl = \"{db}\"\n{clinics}{}",
        hypercare::demo::ehr::config_text(addr)
    );
    let config = load(dir.path(), &text);
    let sources = hypercare::sources::Sources::from_config(&config).unwrap();
    let checks = hypercare::checks::build_all(&config, &sources);
    assert_eq!(checks.len(), 5);
    let mut totals = BTreeMap::new();
    for check in &checks {
        let r = check.run(Default::default()).await.result;
        assert_eq!(
            r.outcome,
            Outcome::Pass,
            "{}: {}",
            check.meta().name,
            r.summary
        );
        let w = workflow(&r.details);
        totals.insert(check.meta().name.to_string(), w.total_ms);
        if let Some(b) = &w.baseline {
            assert_eq!(b.outcome, Some(StepOutcome::Ok));
            assert_eq!(b.steps.len(), w.steps.len());
        }
    }
    // Today's appointments: about 900 ms at clinic east, about 50 ms at north.
    assert!(totals["appointments_east"] > 500.0, "{totals:?}");
    assert!(totals["appointments_north"] < 200.0, "{totals:?}");
}
