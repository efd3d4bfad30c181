//! Reported step latency against known injected delays, and the histogram
//! buckets those latencies land in.
//!
//! This is its own test binary, not part of `tests/it`, so it runs alone:
//! `cargo test` runs test binaries one after another, while the tests of one
//! binary share the cores (daemons, the demo's data generation), which
//! moved a debug build's reported p50 by up to 6 ms.

// Shared with tests/it/workflows; this test uses part of it.
#[allow(dead_code)]
#[path = "it/workflows/fixtures.rs"]
mod fixtures;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use fixtures::*;
use hypercare::metrics::Metrics;
use hypercare::results::Outcome;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The value of a metric sample line such as `name{labels} value`.
fn sample(metrics: &str, name_and_labels: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_step_latency_matches_the_injected_delays_and_fills_the_right_buckets() {
    let (base, ehr) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n[workflow_metrics]\nbuckets = [\"10ms\", \"30ms\", \"45ms\", \"60ms\", \"100ms\"]\n{CHART}",
        source(&base)
    );
    let config = load(dir.path(), &text);
    let check = build(&config, "open_chart");
    let metrics = Metrics::new("sqlite");
    metrics
        .workflows()
        .set_buckets(&config.workflow_metrics.buckets);
    const RUNS: usize = 21;
    // Up to three rounds of 21 runs: the machine may be shared, and a round
    // that shared its cores with a build is measured again. A probe that added 5 ms or more
    // fails every round.
    let mut per_step: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut report = String::new();
    let mut rounds = 0;
    let within = loop {
        rounds += 1;
        ehr.handled.lock().unwrap().clear();
        let mut round: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for _ in 0..RUNS {
            let r = check.run(Default::default()).await.result;
            assert_eq!(r.outcome, Outcome::Pass, "{}", r.summary);
            let w = workflow(&r.details);
            assert_eq!(w.slo_good, Some(true));
            for s in &w.steps {
                round
                    .entry(s.name.clone())
                    .or_default()
                    .push(s.duration_ms.unwrap());
            }
            let sum: f64 = w.steps.iter().filter_map(|s| s.duration_ms).sum();
            assert!((w.total_ms - sum).abs() < 0.01);
            metrics.record_details("open_chart", &r.details);
        }
        let mut ok = true;
        for (step, delay) in [
            ("search_patient", SEARCH_MS),
            ("read_patient", READ_MS),
            ("conditions", LIST_MS),
        ] {
            let p50 = median(round[step].clone());
            let server = median(ehr.handled.lock().unwrap()[step].clone());
            report.push_str(&format!(
                "round {rounds}, {step}: injected {delay} ms, server-measured p50 {server:.3} ms, reported p50 {p50:.3} ms\n"
            ));
            ok &= p50 >= delay as f64 && p50 - delay as f64 <= 5.0;
        }
        for (step, d) in round {
            per_step.entry(step).or_default().extend(d);
        }
        if ok || rounds == 3 {
            break ok;
        }
    };
    assert!(
        within,
        "a reported p50 is not within 5 ms of its injected delay:\n{report}"
    );
    // One token for every run: cached, not fetched per request.
    assert_eq!(ehr.tokens_issued.load(Ordering::SeqCst), 1);
    assert_eq!(ehr.requests.load(Ordering::SeqCst), RUNS * rounds);
    eprintln!("{report}");

    let text = metrics.render();
    let bucket = |step: &str, le: &str| {
        sample(
            &text,
            &format!(
                "hypercare_workflow_step_duration_seconds_bucket{{step=\"{step}\",system=\"target\",workflow=\"open_chart\",le=\"{le}\"}}"
            ),
        )
        .unwrap_or_else(|| panic!("no bucket {step} {le} in\n{text}"))
    };
    // Every bucket holds exactly the reported durations at or below it.
    for (step, durations) in &per_step {
        for le in ["0.01", "0.03", "0.045", "0.06", "0.1", "+Inf"] {
            let bound: f64 = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            let want = durations.iter().filter(|ms| *ms / 1000.0 <= bound).count();
            assert_eq!(
                bucket(step, le),
                want as f64,
                "{step} le={le}: {durations:?}"
            );
        }
    }
    // And the medians land where the injected delays put them: 20 ms in
    // (10, 30], 50 ms in (45, 60], 5 ms in (0, 10].
    let half = (RUNS * rounds) as f64 / 2.0;
    assert!(bucket("search_patient", "0.01") < half && bucket("search_patient", "0.03") > half);
    assert!(bucket("read_patient", "0.045") < half && bucket("read_patient", "0.06") > half);
    assert!(bucket("conditions", "0.01") > half);
    // The whole workflow: 75 ms and a little, in the 100 ms bucket.
    let total = |le: &str| {
        sample(
            &text,
            &format!("hypercare_workflow_duration_seconds_bucket{{system=\"target\",workflow=\"open_chart\",le=\"{le}\"}}"),
        )
        .unwrap()
    };
    assert!(total("0.06") < half && total("0.1") > half);
    assert_eq!(total("+Inf"), (RUNS * rounds) as f64);
    assert_eq!(
        sample(
            &text,
            "hypercare_workflow_step_outcomes_total{outcome=\"ok\",step=\"read_patient\",system=\"target\",workflow=\"open_chart\"}"
        ),
        Some((RUNS * rounds) as f64)
    );
    // No identifier or URL in any label.
    assert!(
        !text.contains("1001") && !text.contains("127.0.0.1"),
        "{text}"
    );
}
