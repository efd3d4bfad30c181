//! Rules judged from a real store: workflow burn rate over both windows,
//! blocking feedback in a window, staleness by schedule, discrepancies from
//! keyed details, and the default rules for any check kind.

use std::path::Path;

use chrono::{Duration, Utc};
use hypercare::alerts::Alerts;
use hypercare::alerts::rules::CheckRef;
use hypercare::config::checks::CheckKind;
use hypercare::store::{NewFeedbackRow, Store};

use crate::helpers::exec;

const CHECK: &str = "[sources.s]\nurl = \"sqlite::memory:\"\n[[reconcile]]\nname = \"checkin\"\nschedule = \"0 * * * * *\"\n\
    source = { from = \"s\", sql = \"SELECT 1\" }\ntarget = { from = \"s\", sql = \"SELECT 1\" }\n";

async fn setup(dir: &Path, rules: &str) -> (Store, Alerts, String) {
    let url = format!("sqlite://{}/store.db", dir.display());
    let text = format!("[store]\nurl = \"{url}\"\n{CHECK}{rules}");
    let config = hypercare::config::parse(&text, &dir.join("h.toml"), &|_| None).expect("config");
    let store = Store::open(&config.store).await.expect("store");
    let registry = prometheus::Registry::new();
    let alerts = Alerts::new(store.clone(), &config, &registry);
    (store, alerts, url)
}

/// Inserts finished runs of `check`: `(minutes ago, status, details JSON)`.
async fn runs(url: &str, check: &str, kind: &str, list: &[(i64, &str, &str)]) {
    let now = Utc::now();
    let mut sql = String::new();
    for (i, (ago, status, details)) in list.iter().enumerate() {
        let at = (now - Duration::minutes(*ago)).timestamp_millis() - i as i64;
        sql.push_str(&format!(
            "INSERT INTO runs (check_name, kind, slot_ms, status, owner, started_ms, finished_ms, duration_ms, details) \
             VALUES ('{check}', '{kind}', {at}, '{status}', 't', {at}, {at}, 1, '{details}');"
        ));
    }
    exec(url, &sql).await;
}

async fn firing(alerts: &Alerts) -> Vec<String> {
    alerts
        .list(Utc::now())
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.state.as_str() == "firing")
        .map(|a| a.fingerprint)
        .collect()
}

fn workflow(name: &str) -> CheckRef {
    CheckRef {
        name: name.into(),
        kind: CheckKind::Workflow,
        interval_ms: Some(60_000),
        clinics: Vec::new(),
    }
}

const BURN: &str = "[alerting]\ndefault_rules = false\n[[alerts]]\nname = \"checkin_burn\"\ncondition = \"burn_rate\"\n\
    checks = [\"checkin\"]\nobjective = 0.99\nlong_window = \"1h\"\nshort_window = \"5m\"\nthreshold = 14.4\nseverity = \"critical\"\n";

#[tokio::test]
async fn a_burn_rate_rule_fires_only_when_both_windows_burn() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, alerts, url) = setup(dir.path(), BURN).await;
    // The last hour: 40 good runs long ago, then 2 bad of the last 4 (one by outcome, one by slo_good).
    let mut list: Vec<(i64, &str, &str)> = (10..50)
        .map(|m| (m, "pass", r#"{"slo_good": true}"#))
        .collect();
    list.extend([
        (1, "pass", r#"{"slo_good": false}"#),
        (2, "fail", "{}"),
        (3, "pass", r#"{"slo_good": true}"#),
        (4, "pass", "{}"),
    ]);
    runs(&url, "checkin", "workflow", &list).await;
    // Long window: 2 bad of 44 = 4.5 % → burn 4.5, below 14.4: the short spike alone does not fire.
    alerts
        .evaluate(&[workflow("checkin")], Utc::now())
        .await
        .unwrap();
    assert!(firing(&alerts).await.is_empty());

    // More bad runs within the hour: 14 bad of 56 = 25 % → 25 over 1h, and 50 % over 5m.
    let bad: Vec<(i64, &str, &str)> = (5..17).map(|m| (m, "error", "{}")).collect();
    runs(&url, "checkin", "workflow", &bad).await;
    alerts
        .evaluate(&[workflow("checkin")], Utc::now())
        .await
        .unwrap();
    assert_eq!(
        firing(&alerts).await,
        vec![r#"checkin_burn{check="checkin",kind="workflow",severity="critical"}"#]
    );
    let view = alerts.list(Utc::now()).await.unwrap().remove(0);
    assert!(
        (view.value - 25.0).abs() < 0.01,
        "long-window burn rate {}",
        view.value
    );
}

#[tokio::test]
async fn default_rules_judge_blocking_feedback_staleness_and_discrepancies() {
    let dir = tempfile::tempdir().unwrap();
    let rules =
        "[alerting]\ndefault_for = \"0s\"\nblocker_threshold = 2\nblocker_window = \"1h\"\n";
    let (store, alerts, url) = setup(dir.path(), rules).await;
    let keyed = r#"{"missing": 2, "extra": 0, "changed": 1, "missing_keys": [], "extra_keys": [], "changed_keys": []}"#;
    runs(&url, "checkin", "reconcile", &[(10, "fail", keyed)]).await;
    runs(&url, "docs", "documents", &[(1, "pass", "{}")]).await;
    let now = Utc::now();
    for (i, severity) in ["blocks_work", "slows_work", "blocks_work"]
        .iter()
        .enumerate()
    {
        let id = format!("submission-{i}");
        store
            .insert_feedback(&NewFeedbackRow {
                submission_id: &id,
                created_ms: now.timestamp_millis() - 60_000,
                clinic: None,
                role: "nurse",
                category: "other",
                severity,
                workaround: false,
                text: "",
                redactions: "",
                contact: None,
                source: "api",
                actor: "t",
            })
            .await
            .unwrap();
    }
    let checks = [
        CheckRef {
            name: "checkin".into(),
            kind: CheckKind::Reconcile,
            interval_ms: Some(60_000),
            clinics: Vec::new(),
        },
        CheckRef {
            name: "docs".into(),
            kind: CheckKind::Documents,
            interval_ms: Some(60_000),
            clinics: Vec::new(),
        },
    ];
    alerts.evaluate(&checks, now).await.unwrap();
    let mut got = firing(&alerts).await;
    got.sort();
    assert_eq!(
        got,
        vec![
            r#"check_failing{check="checkin",kind="reconcile",severity="critical"}"#.to_string(),
            // Last run 10 minutes ago, every minute: more than 3 intervals.
            r#"check_stale{check="checkin",kind="reconcile",severity="warning"}"#.to_string(),
            r#"feedback_blockers{severity="critical"}"#.to_string(),
            r#"reconcile_discrepancy{check="checkin",kind="reconcile",severity="warning"}"#
                .to_string(),
        ]
    );
    let views = alerts.list(now).await.unwrap();
    let discrepancy = views
        .iter()
        .find(|a| a.alertname == "reconcile_discrepancy")
        .unwrap();
    assert_eq!(discrepancy.value, 3.0);
    assert_eq!(
        discrepancy.annotations["summary"],
        "Check checkin: 3 discrepant records (threshold 0)"
    );
    let blockers = views
        .iter()
        .find(|a| a.alertname == "feedback_blockers")
        .unwrap();
    assert_eq!(blockers.value, 2.0);
}
