//! One probe run at a time against the loopback server: latencies and buckets,
//! the failing step, timeouts, OAuth2 tokens.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use hypercare::metrics::Metrics;
use hypercare::results::{Outcome, StepOutcome};

use super::*;
use crate::helpers::sample;

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
    let mut per_step: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for _ in 0..RUNS {
        let r = check.run().await;
        assert_eq!(r.outcome, Outcome::Pass, "{}", r.summary);
        let w = workflow(&r.details);
        assert_eq!(w.slo_good, Some(true));
        for s in &w.steps {
            per_step
                .entry(s.name.clone())
                .or_default()
                .push(s.duration_ms.unwrap());
        }
        let sum: f64 = w.steps.iter().filter_map(|s| s.duration_ms).sum();
        assert!((w.total_ms - sum).abs() < 0.01);
        metrics.record_details("open_chart", &r.details);
    }
    // One token for all 21 runs: cached, not fetched per request.
    assert_eq!(ehr.tokens_issued.load(Ordering::SeqCst), 1);
    assert_eq!(ehr.requests.load(Ordering::SeqCst), RUNS);
    let mut report = String::new();
    for (step, delay) in [
        ("search_patient", SEARCH_MS),
        ("read_patient", READ_MS),
        ("conditions", LIST_MS),
    ] {
        let p50 = median(per_step[step].clone());
        let server = median(ehr.handled.lock().unwrap()[step].clone());
        report.push_str(&format!(
            "{step}: injected {delay} ms, server-measured p50 {server:.3} ms, reported p50 {p50:.3} ms\n"
        ));
        assert!(
            p50 >= delay as f64 && p50 - delay as f64 <= 5.0,
            "{step}: reported p50 {p50:.3} ms vs injected {delay} ms (the server measured {server:.3} ms)"
        );
    }
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
    assert!(bucket("search_patient", "0.01") < 11.0 && bucket("search_patient", "0.03") >= 11.0);
    assert!(bucket("read_patient", "0.045") < 11.0 && bucket("read_patient", "0.06") >= 11.0);
    assert!(bucket("conditions", "0.01") >= 11.0);
    // The whole workflow: 75 ms and a little, in the 100 ms bucket.
    let total = |le: &str| {
        sample(
            &text,
            &format!("hypercare_workflow_duration_seconds_bucket{{system=\"target\",workflow=\"open_chart\",le=\"{le}\"}}"),
        )
        .unwrap()
    };
    assert!(total("0.06") < 11.0 && total("0.1") >= 11.0);
    assert_eq!(total("+Inf"), RUNS as f64);
    assert_eq!(
        sample(
            &text,
            "hypercare_workflow_step_outcomes_total{outcome=\"ok\",step=\"read_patient\",system=\"target\",workflow=\"open_chart\"}"
        ),
        Some(RUNS as f64)
    );
    // No identifier or URL in any label.
    assert!(
        !text.contains("1001") && !text.contains("127.0.0.1"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assertion_failure_names_its_step_and_skips_the_rest() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}{}",
        source(&base),
        CHART.replace(
            r#"expect = { json = { "/resourceType" = "Patient" } }"#,
            r#"expect = { json = { "/resourceType" = "Practitioner" } }"#
        )
    );
    let r = build(&load(dir.path(), &text), "open_chart").run().await;
    assert_eq!(r.outcome, Outcome::Fail);
    assert_eq!(
        r.summary.split(" after").next(),
        Some("step `read_patient` failed (assertion)")
    );
    let w = workflow(&r.details);
    assert_eq!(w.failed_step.as_deref(), Some("read_patient"));
    assert_eq!(w.outcome, Some(StepOutcome::Assertion));
    assert_eq!(w.slo_good, Some(false));
    let outcomes: Vec<_> = w.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [
            StepOutcome::Ok,
            StepOutcome::Assertion,
            StepOutcome::Skipped
        ]
    );
    assert_eq!(
        w.steps[1].error.as_deref(),
        Some("/resourceType is not \"Practitioner\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_recorded_on_the_step_that_timed_out() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let slow = CHART.replace(
        "[[workflows.steps]]\nname = \"read_patient\"",
        "[[workflows.steps]]\nname = \"slow_step\"\npath = \"Slow\"\ntimeout = \"150ms\"\n\n[[workflows.steps]]\nname = \"read_patient\"",
    );
    let r = build(
        &load(dir.path(), &format!("{}{slow}", source(&base))),
        "open_chart",
    )
    .run()
    .await;
    let w = workflow(&r.details);
    assert_eq!(r.outcome, Outcome::Fail, "{}", r.summary);
    assert_eq!(w.failed_step.as_deref(), Some("slow_step"));
    let by_name: BTreeMap<_, _> = w.steps.iter().map(|s| (s.name.as_str(), s)).collect();
    let slow = by_name["slow_step"];
    assert_eq!(slow.outcome, StepOutcome::Timeout);
    let took = slow.duration_ms.unwrap();
    assert!((150.0..200.0).contains(&took), "timed out after {took} ms");
    assert_eq!(by_name["read_patient"].outcome, StepOutcome::Skipped);
    assert_eq!(by_name["read_patient"].duration_ms, None);
    assert_eq!(by_name["conditions"].outcome, StepOutcome::Skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_oauth2_token_is_replaced_on_the_next_run() {
    let (base, ehr) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let check = build(
        &load(dir.path(), &format!("{}{CHART}", source(&base))),
        "open_chart",
    );
    assert_eq!(check.run().await.outcome, Outcome::Pass);
    ehr.revoked_below.store(1, Ordering::SeqCst);
    let r = check.run().await;
    let w = workflow(&r.details);
    assert_eq!(w.failed_step.as_deref(), Some("search_patient"));
    assert_eq!(w.outcome, Some(StepOutcome::HttpStatus));
    assert_eq!(w.steps[0].status, Some(401));
    assert_eq!(check.run().await.outcome, Outcome::Pass);
    assert_eq!(ehr.tokens_issued.load(Ordering::SeqCst), 2);
}
