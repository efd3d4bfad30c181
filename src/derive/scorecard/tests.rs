//! Criteria and rollback triggers on a hand-built history: two go-live
//! waves (north on 10 November; south and east on 19 November), judged at
//! noon on 20 November.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::json;

use super::{Facts, State, scorecard};
use crate::config::checks::CheckKind;
use crate::config::stabilization::{
    Criterion, CriterionKind, RollbackTrigger, StabilizationConfig, TriggerKind, Wave,
};
use crate::config::{Clinic, Name};
use crate::results::Details;
use crate::store::{OpenReport, StoredRun};

/// The p95 every figure here uses: the crate's one quantile.
fn p95(values: &mut [f64]) -> Option<f64> {
    crate::derive::quantile(values, 0.95)
}

fn n(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn at(day: u32, hour: u32, min: u32) -> i64 {
    NaiveDate::from_ymd_opt(2026, 11, day)
        .unwrap()
        .and_hms_opt(hour, min, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

/// A finished run, its details written as JSON and read as the store reads them.
fn run(check: &str, kind: &str, status: &str, ms: i64, details: serde_json::Value) -> StoredRun {
    let kind: CheckKind = kind.parse().unwrap();
    let details = match kind {
        CheckKind::Reconcile => Details::Reconcile(serde_json::from_value(details).unwrap()),
        CheckKind::Integrity => Details::Integrity(serde_json::from_value(details).unwrap()),
        CheckKind::Workflow => Details::Workflow(serde_json::from_value(details).unwrap()),
        CheckKind::Documents => Details::Documents(serde_json::from_value(details).unwrap()),
        CheckKind::Handoff => Details::Handoff(serde_json::from_value(details).unwrap()),
    };
    StoredRun {
        id: 0,
        check_name: check.into(),
        kind,
        slot_ms: ms,
        status: status.parse().unwrap(),
        owner: "test".into(),
        attempt: 1,
        started_ms: ms,
        finished_ms: Some(ms),
        lease_expires_ms: None,
        duration_ms: Some(0),
        summary: String::new(),
        details,
    }
}

fn config() -> (StabilizationConfig, Vec<Clinic>) {
    let wave = |name: &str, day: u32, clinics: &[&str], checks: &[&str]| Wave {
        name: n(name),
        go_live: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        clinics: clinics.iter().map(|c| n(c)).collect(),
        checks: checks.iter().map(|c| n(c)).collect(),
        baseline_days: 3,
    };
    let crit = |name: &str, kind| Criterion {
        name: n(name),
        kind,
    };
    let trig = |name: &str, kind| RollbackTrigger {
        name: n(name),
        kind,
        within: Duration::from_secs(7 * 86_400),
    };
    let cfg = StabilizationConfig {
        waves: vec![
            wave(
                "wave1",
                10,
                &["north"],
                &["patients_a", "docs_a", "visit_a"],
            ),
            wave(
                "wave2",
                19,
                &["south", "east"],
                &["patients_b", "docs_b", "visit_b"],
            ),
        ],
        criteria: vec![
            crit("no_drift", CriterionKind::NoDrift { days: 3 }),
            crit(
                "documents",
                CriterionKind::DocumentAccessibility { at_least: 0.999 },
            ),
            crit(
                "workflow_speed",
                CriterionKind::WorkflowP95 { max_ratio: 1.2 },
            ),
            crit("no_blockers", CriterionKind::NoOpenBlockers),
            crit("no_pages", CriterionKind::NoPageAlerts),
        ],
        rollback: vec![
            trig(
                "patients_missing",
                TriggerKind::MissingRecords { above: 0.01 },
            ),
            trig(
                "documents_down",
                TriggerKind::DocumentAccessibility { below: 0.95 },
            ),
            trig(
                "workflow_down",
                TriggerKind::WorkflowFailing {
                    for_: Duration::from_secs(1800),
                },
            ),
        ],
        contingency_owner: "Dana Reyes".into(),
        escalation: vec!["on-call lead".into()],
        evaluation_interval: Duration::from_secs(60),
    };
    let clinics = ["north", "south", "east"]
        .iter()
        .map(|c| Clinic {
            id: n(c),
            name: format!("{c} clinic"),
            codes: vec![format!("{c}-code")],
        })
        .collect();
    (cfg, clinics)
}

fn checks() -> Vec<(String, CheckKind)> {
    [
        ("patients_a", "reconcile"),
        ("docs_a", "documents"),
        ("visit_a", "workflow"),
        ("patients_b", "reconcile"),
        ("docs_b", "documents"),
        ("visit_b", "workflow"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.parse().unwrap()))
    .collect()
}

fn keyed(new: u64, missing: u64, rows: u64) -> serde_json::Value {
    json!({"missing": missing, "extra": 0, "changed": 0, "source_rows": rows, "target_rows": rows - missing,
           "drift": {"new": new, "persisting": 0, "resolved": 0, "untracked": 0, "within_grace": 0}})
}

fn history() -> Facts {
    let mut runs = Vec::new();
    // Wave 1 (north): three clean days of keyed reconciliation, though the
    // latest run misses 5 % (its rollback window has passed).
    for day in 18..=20 {
        runs.push(run(
            "patients_a",
            "reconcile",
            "pass",
            at(day, 6, 0),
            keyed(0, 50, 1000),
        ));
    }
    runs.push(run(
        "docs_a",
        "documents",
        "pass",
        at(20, 8, 0),
        json!({"checked": 10000, "failed": 5}),
    ));
    for i in 0..20 {
        let ms = 100.0 + f64::from(i);
        runs.push(run(
            "visit_a",
            "workflow",
            "pass",
            at(20, 9, i),
            json!({"total_ms": ms}),
        ));
    }
    // Wave 2 (south, east): drift on go-live day, 3 % missing, documents at
    // 92 %, and the workflow failing since 11:00 with no passing run ever.
    runs.push(run(
        "patients_b",
        "reconcile",
        "fail",
        at(19, 6, 0),
        keyed(4, 30, 1000),
    ));
    runs.push(run(
        "patients_b",
        "reconcile",
        "fail",
        at(20, 6, 0),
        keyed(0, 30, 1000),
    ));
    runs.push(run(
        "docs_b",
        "documents",
        "fail",
        at(20, 8, 0),
        json!({"checked": 1000, "failed": 80}),
    ));
    for i in 0..60 {
        runs.push(run(
            "visit_b",
            "workflow",
            "fail",
            at(20, 11, 0) + i * 60_000,
            json!({"total_ms": 5000.0}),
        ));
    }
    // North's baseline: the three days before its go-live, p95 108 ms.
    let baseline_runs = (0..20)
        .map(|i| {
            run(
                "visit_a",
                "workflow",
                "pass",
                at(8, 10, i),
                json!({"total_ms": 90.0 + f64::from(i)}),
            )
        })
        .collect();
    let mut alert = BTreeMap::new();
    alert.insert("alertname".to_string(), "check_failing".to_string());
    alert.insert("severity".to_string(), "critical".to_string());
    alert.insert("check".to_string(), "patients_b".to_string());
    Facts {
        now_ms: at(20, 12, 0),
        runs,
        baseline_runs,
        checks: checks(),
        owners: BTreeMap::new(),
        handoff_words: BTreeMap::new(),
        open: vec![OpenReport {
            id: 1,
            created_ms: at(19, 9, 0),
            clinic: Some("south".into()),
            category: "cannot_find_records".into(),
            severity: "blocks_work".into(),
            text: "[redacted] chart not found".into(),
        }],
        page_alerts: vec![alert],
        ..Facts::default()
    }
}

fn state(s: &super::Scorecard, clinic: &str, criterion: &str) -> State {
    s.clinics
        .iter()
        .find(|c| c.clinic == clinic)
        .unwrap()
        .criteria
        .iter()
        .find(|c| c.name == criterion)
        .unwrap()
        .state
}

#[test]
fn two_waves_are_judged_each_from_its_own_go_live() {
    let (cfg, clinics) = config();
    let s = scorecard(&cfg, &clinics, &history());
    let north = &s.clinics[0];
    assert_eq!(
        (north.clinic.as_str(), north.day, north.wave.as_str()),
        ("north", 10, "wave1")
    );
    for c in &north.criteria {
        assert_eq!(c.state, State::Met, "{c:?}");
    }
    assert!(north.exit_ready);
    // p95 118 ms over the pre-go-live baseline p95 108 ms.
    let ratio = north.criteria[2].value.unwrap();
    assert!((ratio - 118.0 / 108.0).abs() < 1e-9, "{ratio}");
    // Wave 1 is past its 7-day rollback window: 5 % missing arms nothing.
    assert!(north.triggers.iter().all(|t| !t.armed && !t.breached));

    let south = &s.clinics[1];
    assert_eq!((south.day, south.wave.as_str()), (1, "wave2"));
    assert_eq!(state(&s, "south", "no_drift"), State::NotMet);
    assert_eq!(state(&s, "south", "documents"), State::NotMet);
    // Only failing runs and no baseline: unknown, never met.
    assert_eq!(state(&s, "south", "workflow_speed"), State::Unknown);
    assert_eq!(state(&s, "south", "no_blockers"), State::NotMet);
    assert_eq!(state(&s, "south", "no_pages"), State::NotMet);
    assert_eq!(state(&s, "east", "no_blockers"), State::Met);
    assert_eq!(state(&s, "east", "no_pages"), State::NotMet);
    assert!(!south.exit_ready);
    let breached: Vec<&str> = south
        .triggers
        .iter()
        .filter(|t| t.breached)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        breached,
        ["patients_missing", "documents_down", "workflow_down"]
    );
    let missing = &south.triggers[0];
    assert!((missing.value.unwrap() - 0.03).abs() < 1e-9);
    assert!(
        missing
            .evidence
            .contains("30 of 1000 source records missing"),
        "{}",
        missing.evidence
    );
    // An unsliced check judges every clinic of the wave on the whole run, and says so.
    assert!(
        missing
            .evidence
            .contains("(shared by all clinics of wave2)"),
        "{}",
        missing.evidence
    );
    assert!(
        south.triggers[2]
            .evidence
            .contains("visit_b failing for 60 min"),
        "{}",
        south.triggers[2].evidence
    );

    // Overall: any clinic not met is not met.
    assert_eq!(s.overall[0].state, State::NotMet);
    assert_eq!(s.overall[2].state, State::Unknown);
    assert!(!s.exit_ready);
    assert_eq!(s.day, 10);
}

#[test]
fn without_data_criteria_are_unknown_never_met() {
    let (cfg, clinics) = config();
    let facts = Facts {
        now_ms: at(20, 12, 0),
        checks: checks(),
        ..Facts::default()
    };
    let s = scorecard(&cfg, &clinics, &facts);
    for card in &s.clinics {
        for c in ["no_drift", "documents", "workflow_speed"] {
            assert_eq!(
                state(&s, &card.clinic, c),
                State::Unknown,
                "{} {c}",
                card.clinic
            );
        }
        // Feedback and alerts come from the store itself: none is data.
        assert_eq!(state(&s, &card.clinic, "no_blockers"), State::Met);
        assert!(!card.exit_ready);
        assert!(card.triggers.iter().all(|t| !t.breached));
    }
}

#[test]
fn drift_needs_consecutive_clean_days_since_go_live() {
    let (cfg, clinics) = config();
    let mut facts = history();
    // South: clean today but go-live was yesterday with drift; east the same.
    facts.runs.retain(|r| r.check_name != "patients_b");
    facts.runs.push(run(
        "patients_b",
        "reconcile",
        "pass",
        at(19, 6, 0),
        keyed(0, 0, 1000),
    ));
    facts.runs.push(run(
        "patients_b",
        "reconcile",
        "pass",
        at(20, 6, 0),
        keyed(0, 0, 1000),
    ));
    let s = scorecard(&cfg, &clinics, &facts);
    // Two clean days, but the third day of the window is before go-live.
    assert_eq!(state(&s, "south", "no_drift"), State::Unknown);
}

#[test]
fn a_clinic_before_its_go_live_is_unknown() {
    let (mut cfg, clinics) = config();
    cfg.waves[1].go_live = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let s = scorecard(&cfg, &clinics, &history());
    assert_eq!(s.clinics[1].day, -5);
    assert!(
        s.clinics[1]
            .criteria
            .iter()
            .all(|c| c.state == State::Unknown)
    );
    assert!(
        s.clinics[1]
            .triggers
            .iter()
            .all(|t| !t.armed && !t.breached)
    );
}

#[test]
fn p95_is_nearest_rank() {
    let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(p95(&mut v), Some(95.0));
    assert_eq!(p95(&mut []), None);
    assert_eq!(p95(&mut [3.0]), Some(3.0));
}

#[test]
fn a_workflow_slower_than_its_baseline_is_not_met() {
    let (cfg, clinics) = config();
    let mut facts = history();
    // North's baseline was faster: p95 88 ms against today's 118 ms (1.34×).
    for r in &mut facts.baseline_runs {
        if let Details::Workflow(w) = &mut r.details {
            w.total_ms -= 20.0;
        }
    }
    let s = scorecard(&cfg, &clinics, &facts);
    assert_eq!(state(&s, "north", "workflow_speed"), State::NotMet);
    let c = &s.clinics[0].criteria[2];
    assert!((c.value.unwrap() - 118.0 / 88.0).abs() < 1e-9, "{c:?}");
    assert!(c.detail.contains("visit_a"), "{c:?}");
    assert!(!s.clinics[0].exit_ready);
}

/// A wave's sliced checks judge each clinic on its own slice: east lost
/// 30 of its 300 records and 80 of its 400 documents, south nothing; the
/// workflow standing for east fails without touching south.
#[test]
fn each_clinic_is_judged_on_its_own_slice_of_a_sliced_check() {
    let (cfg, clinics) = config();
    let mut facts = history();
    facts.runs.retain(|r| !r.check_name.ends_with("_b"));
    let mut keyed = keyed(0, 30, 1000);
    keyed["by_clinic"] = json!({
        "south": {"missing": 0, "extra": 0, "changed": 0, "source_rows": 600, "target_rows": 600, "new": 0},
        "east": {"missing": 30, "extra": 0, "changed": 0, "source_rows": 300, "target_rows": 270, "new": 0},
        "_unassigned": {"missing": 4, "extra": 0, "changed": 0, "source_rows": 100, "target_rows": 96, "new": 0}
    });
    facts
        .runs
        .push(run("patients_b", "reconcile", "fail", at(20, 6, 0), keyed));
    facts.runs.push(run(
        "docs_b",
        "documents",
        "fail",
        at(20, 8, 0),
        json!({"checked": 1000, "failed": 80, "by_clinic": {
            "south": {"checked": 600, "failed": 0},
            "east": {"checked": 400, "failed": 80, "by_reason": {"not_found": 80}}}}),
    ));
    for i in 0..60 {
        let ms = at(20, 11, 0) + i * 60_000;
        facts.runs.push(run(
            "visit_b",
            "workflow",
            "fail",
            ms,
            json!({"total_ms": 5000.0}),
        ));
    }
    facts.owners.insert("visit_b".into(), "east".into());
    let s = scorecard(&cfg, &clinics, &facts);
    let card = |id: &str| s.clinics.iter().find(|c| c.clinic == id).unwrap();
    let breached = |id: &str| -> Vec<String> {
        card(id)
            .triggers
            .iter()
            .filter(|t| t.breached)
            .map(|t| t.name.clone())
            .collect()
    };
    assert_eq!(
        breached("east"),
        ["patients_missing", "documents_down", "workflow_down"]
    );
    assert!(breached("south").is_empty(), "{:?}", card("south").triggers);
    let east_missing = &card("east").triggers[0].evidence;
    assert!(
        east_missing.contains("30 of 300") && !east_missing.contains("shared"),
        "{east_missing}"
    );
    assert_eq!(card("south").figures.discrepancies, Some(0));
    assert_eq!(card("east").figures.discrepancies, Some(30));
    assert_eq!(card("south").figures.documents_failed, 0);
    assert_eq!(state(&s, "south", "documents"), State::Met);
    assert_eq!(state(&s, "east", "documents"), State::NotMet);
    assert!(card("south").figures.workflows.is_empty());
    // Rows of no clinic are nobody's slice: shown once, for all clinics.
    let unowned = s.unowned.as_ref().expect("unassigned findings");
    assert_eq!((unowned.discrepancies, unowned.documents_failed), (4, 0));
    assert_eq!(unowned.checks, ["patients_b"]);
    assert_eq!(unowned.words(), "4 records differ (patients_b)");
}
