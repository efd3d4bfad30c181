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
        seen = status(&metrics, "pass") >= 2
            && status(&metrics, "fail") >= 3
            && metrics.contains("hypercare_integrity_problems{check=\"target_integrity\"")
            && metrics.contains("hypercare_integrity_problems{check=\"legacy_integrity\"")
            && metrics.contains(
                "hypercare_workflow_baseline_ratio{percentile=\"p50\",workflow=\"appointments_east\"}",
            )
            && lab_step_ok(&metrics, "result_query")
            && metrics.contains("hypercare_handoff_items{check=\"labs_resulted\",class=\"stuck\"}");
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
    integrity_problems_match_what_was_planted(&metrics).await;
    // The demo's simulated EHR is slow for clinic east's appointment list
    // (about 900 ms against 60 ms on the legacy system), and only there.
    let ratio = |w: &str| {
        sample(
            &metrics,
            &format!("hypercare_workflow_baseline_ratio{{percentile=\"p50\",workflow=\"{w}\"}}"),
        )
        .unwrap_or_else(|| panic!("no ratio for {w}:\n{metrics}"))
    };
    assert!(ratio("appointments_east") > 5.0, "{metrics}");
    assert!(ratio("appointments_north") < 3.0, "{metrics}");
    let burn = sample(
        &metrics,
        "hypercare_workflow_slo_burn_rate{window=\"5m\",workflow=\"appointments_east\"}",
    );
    assert!(burn.is_some_and(|b| b > 50.0), "{metrics}");
    // The lab system: its MLLP listener accepted the update and rejected
    // the query as the probe expects; a few orders never got a result.
    assert!(lab_step_ok(&metrics, "adt_update"), "{metrics}");
    let lab = |class: &str| {
        let name = format!("hypercare_handoff_items{{check=\"labs_resulted\",class=\"{class}\"}}");
        sample(&metrics, &name).unwrap_or_else(|| panic!("no {class} labs:\n{metrics}"))
    };
    assert!(lab("stuck") >= 1.0 && lab("stuck") <= 10.0, "{metrics}");
    assert!(
        lab("late") > lab("stuck") && lab("completed") > 10.0 * lab("late"),
        "{metrics}"
    );
    // A dozen orders of the last hours wait for their results.
    assert!(lab("pending") >= 12.0, "{metrics}");
}

/// Whether a step of the `lab_interface` probe has ended `ok`.
fn lab_step_ok(metrics: &str, step: &str) -> bool {
    metrics.lines().any(|l| {
        l.starts_with("hypercare_workflow_step_outcomes_total{")
            && l.contains("workflow=\"lab_interface\"")
            && l.contains(&format!("step=\"{step}\""))
            && l.contains("outcome=\"ok\"")
            && l.contains("system=\"target\"")
            && !l.ends_with(" 0")
    })
}

/// The demo's integrity checks find exactly the problems its generator
/// planted (generated again here from the same seed to learn the counts).
async fn integrity_problems_match_what_was_planted(metrics: &str) {
    let again = tempfile::tempdir().unwrap();
    let facts = hypercare::demo::generate(
        &again.path().join("legacy.db"),
        &again.path().join("target.db"),
        hypercare::demo::SEED,
    )
    .await
    .unwrap();
    let problems = |check: &str, kind: &str, rule: &str| {
        sample(
            metrics,
            &format!(
                "hypercare_integrity_problems{{check=\"{check}\",kind=\"{kind}\",rule=\"{rule}\"}}"
            ),
        )
        .unwrap_or_else(|| panic!("no problems series for {rule}:\n{metrics}"))
    };
    let t = "target_integrity";
    for (kind, rule, planted) in [
        ("orphans", "appointment_patients", facts.orphan_appointments),
        ("orphans", "document_patients", facts.orphan_documents),
        (
            "orphans",
            "encounter_practitioners",
            facts.orphan_encounter_practitioners,
        ),
        ("validity", "practitioner_npi", facts.invalid_npis),
        ("validity", "legacy_code_mapping", facts.unmapped_conditions),
        (
            "validity",
            "condition_codes",
            facts.malformed_condition_codes,
        ),
    ] {
        assert!(planted > 0, "{rule}: the generator plants some");
        assert_eq!(problems(t, kind, rule), planted as f64, "{rule}");
    }
    assert_eq!(
        problems("legacy_integrity", "orphans", "calendar_patients"),
        facts.legacy_orphan_appointments as f64
    );
    assert!(problems(t, "duplicates", "duplicate_patients") >= 20.0);
    let age = sample(
        metrics,
        "hypercare_integrity_newest_age_seconds{check=\"target_integrity\",rule=\"lab_feed\"}",
    );
    assert!(
        age.is_some_and(|a| a > 3.0 * 86400.0),
        "the lab feed stopped 3 days ago"
    );
    let ratio = sample(
        metrics,
        "hypercare_integrity_completeness_ratio{check=\"target_integrity\",field=\"given\",rule=\"demographics\"}",
    );
    assert!(ratio.is_some_and(|r| r > 0.99 && r < 0.999), "{ratio:?}");
}
