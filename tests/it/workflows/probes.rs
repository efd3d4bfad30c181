//! One probe run at a time against the loopback server: the failing step,
//! timeouts, OAuth2 tokens. (Latencies and buckets: `tests/workflow_latency.rs`.)

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use hypercare::results::{Outcome, StepOutcome};

use super::*;

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
    let r = build(&load(dir.path(), &text), "open_chart")
        .run(Default::default())
        .await
        .result;
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
    .run(Default::default())
    .await
    .result;
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
    assert_eq!(
        check.run(Default::default()).await.result.outcome,
        Outcome::Pass
    );
    ehr.revoked_below.store(1, Ordering::SeqCst);
    let r = check.run(Default::default()).await.result;
    let w = workflow(&r.details);
    assert_eq!(w.failed_step.as_deref(), Some("search_patient"));
    assert_eq!(w.outcome, Some(StepOutcome::HttpStatus));
    assert_eq!(w.steps[0].status, Some(401));
    assert_eq!(
        check.run(Default::default()).await.result.outcome,
        Outcome::Pass
    );
    assert_eq!(ehr.tokens_issued.load(Ordering::SeqCst), 2);
}
