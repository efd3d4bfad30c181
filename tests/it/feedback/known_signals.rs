//! Staff signals from a real store, on SQLite and on PostgreSQL: training
//! reports and training taps per clinic and role this week against the
//! week before (edges at exactly seven and fourteen days), fixed issues a
//! clinic still works around after the grace (taps and linked workaround
//! reports), the issues still being looked into, and the gauges read from
//! them. Judged at noon on 20 November 2026.

use hypercare::config::{Secret, StoreConfig};
use hypercare::derive::staff::{StaffFacts, WEEK_MS};
use hypercare::feedback::known::KnownMetrics;
use hypercare::store::{NewFeedbackRow, NewKnownRow, NewTap, Store};

use crate::helpers::fresh_postgres;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const GRACE: i64 = 3 * DAY;

fn noon() -> i64 {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

async fn open(url: &str) -> Store {
    let cfg = StoreConfig {
        url: Secret::new(url),
        retention: std::time::Duration::from_secs(3600),
        max_connections: 4,
    };
    Store::open(&cfg).await.expect("open store")
}

/// (ms before now, clinic, role, category, workaround)
const REPORTS: &[(i64, &str, &str, &str, bool)] = &[
    (HOUR, "east", "front_desk", "training", false),
    (3 * DAY, "east", "front_desk", "training", false),
    // One millisecond inside this week; exactly seven days is last week's.
    (WEEK_MS - 1, "east", "front_desk", "training", false),
    (WEEK_MS, "east", "front_desk", "training", false),
    (10 * DAY, "east", "front_desk", "training", false),
    // Fourteen days and more: in neither week.
    (2 * WEEK_MS + 1, "east", "front_desk", "training", false),
    (HOUR, "east", "front_desk", "notes_slow", false),
    (2 * DAY, "east", "nurse", "training", false),
    (HOUR, "north", "nurse", "training", true),
    // Linked to the fixed issue below: a workaround after the grace, and not.
    (5 * DAY, "east", "physician", "wrong_data", true),
    (DAY, "east", "physician", "wrong_data", false),
];

async fn report(store: &Store, n: usize, now: i64) -> i64 {
    let (ago, clinic, role, category, workaround) = REPORTS[n];
    let id = format!("signals-{n}");
    let row = NewFeedbackRow {
        submission_id: &id,
        created_ms: now - ago,
        clinic: Some(clinic),
        role,
        category,
        severity: "slows_work",
        workaround,
        text: "",
        redactions: "",
        contact: None,
        source: "api",
        actor: "test",
    };
    store.insert_feedback(&row).await.unwrap().id()
}

async fn issue(
    store: &Store,
    (title, clinics, training, status, at): (&str, &str, bool, &str, i64),
    reports: &[i64],
) -> i64 {
    let row = NewKnownRow {
        title,
        workaround: "Use the schedule.",
        clinics,
        roles: ",",
        training,
        redactions: "",
        status,
        at_ms: at,
        actor: "test",
    };
    store
        .insert_known(&row, reports, &|_| None)
        .await
        .unwrap()
        .0
}

async fn tap(store: &Store, issue_id: i64, clinic: &str, role: &str, at_ms: i64) {
    let tap_id = format!("tap-{issue_id}-{clinic}-{role}-{at_ms}");
    let t = NewTap {
        tap_id: &tap_id,
        issue_id,
        clinic: Some(clinic),
        role,
        at_ms,
    };
    store.insert_tap(&t).await.unwrap();
}

async fn scenario(store: Store) {
    let now = noon();
    let mut ids = Vec::new();
    for n in 0..REPORTS.len() {
        ids.push(report(&store, n, now).await);
    }
    let training = issue(
        &store,
        (
            "Where the referral screen went",
            ",east,north,",
            true,
            "investigating",
            now - 3 * DAY,
        ),
        &[],
    )
    .await;
    tap(&store, training, "east", "front_desk", now - 2 * HOUR).await;
    tap(&store, training, "east", "front_desk", now - 8 * DAY).await;
    tap(&store, training, "north", "billing", now - DAY).await;
    let fixed = issue(
        &store,
        (
            "Claims did not reach the clearinghouse",
            ",east,north,",
            false,
            "fixed",
            now - 10 * DAY,
        ),
        &ids[9..11],
    )
    .await;
    // Within the grace (fixed 10 days ago, grace 3 days: until 7 days ago).
    tap(&store, fixed, "north", "billing", now - 8 * DAY).await;
    tap(&store, fixed, "east", "nurse", now - 9 * DAY).await;
    // After it, at north only.
    tap(&store, fixed, "north", "billing", now - DAY).await;
    tap(&store, fixed, "north", "billing", now - 2 * HOUR).await;
    let newer = issue(
        &store,
        (
            "Printer queue stuck",
            ",north,",
            false,
            "investigating",
            now - HOUR,
        ),
        &[],
    )
    .await;

    let staff = StaffFacts::load(&store, now, GRACE).await.unwrap();
    let words = |clinic: &str| -> Vec<String> {
        staff
            .clinic(clinic)
            .training
            .iter()
            .map(|t| t.words(clinic))
            .collect()
    };
    assert_eq!(
        words("east"),
        [
            "front desk at east: 3 training reports this week, up from 2; 1 tap on training issues this week, as many as the week before",
            "nurse at east: 1 training report this week, up from 0",
        ]
    );
    assert_eq!(
        words("north"),
        [
            "billing at north: 0 training reports this week, as many as the week before; 1 tap on training issues this week, up from 0",
            "nurse at north: 1 training report this week, up from 0",
        ]
    );
    let late = |clinic: &str| -> Vec<(i64, u64, i64)> {
        staff
            .clinic(clinic)
            .worked_around
            .iter()
            .map(|w| (w.issue, w.signals, now - w.last_ms))
            .collect()
    };
    // East: the linked workaround report 5 days ago; its tap 9 days ago was within the grace.
    assert_eq!(late("east"), [(fixed, 1, 5 * DAY)]);
    assert_eq!(late("north"), [(fixed, 2, 2 * HOUR)]);
    assert!(late("south").is_empty());

    let investigating: Vec<(i64, String, i64)> = store
        .known_investigating()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.clinics, now - r.since_ms))
        .collect();
    assert_eq!(
        investigating,
        [
            (training, ",east,north,".to_string(), 3 * DAY),
            (newer, ",north,".to_string(), HOUR)
        ]
    );

    let registry = prometheus::Registry::new();
    let roles: Vec<String> = ["front_desk", "nurse", "billing"]
        .map(String::from)
        .to_vec();
    let m = KnownMetrics::new(&registry, &["east".into(), "north".into()], &roles).unwrap();
    m.show(&[], &staff);
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    for line in [
        r#"hypercare_training_signals{clinic="east",role="front_desk",signal="report",week="this"} 3"#,
        r#"hypercare_training_signals{clinic="east",role="front_desk",signal="report",week="last"} 2"#,
        r#"hypercare_training_signals{clinic="east",role="front_desk",signal="tap",week="this"} 1"#,
        r#"hypercare_training_signals{clinic="east",role="front_desk",signal="tap",week="last"} 1"#,
        r#"hypercare_training_signals{clinic="north",role="billing",signal="tap",week="this"} 1"#,
        r#"hypercare_training_signals{clinic="north",role="billing",signal="report",week="this"} 0"#,
        r#"hypercare_training_signals{clinic="north",role="front_desk",signal="report",week="last"} 0"#,
        r#"hypercare_known_issues_still_worked_around{clinic="east"} 1"#,
        r#"hypercare_known_issues_still_worked_around{clinic="north"} 1"#,
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    // 2 clinics × 3 roles × 2 signals × 2 weeks; `physician` is not configured here.
    assert_eq!(text.matches("hypercare_training_signals{").count(), 24);
    assert!(!text.contains("physician"));
}

#[tokio::test]
async fn staff_signals_are_counted_per_clinic_and_week_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    scenario(open(&format!("sqlite://{}/store.db", dir.path().display())).await).await;
}

#[tokio::test]
async fn staff_signals_are_counted_per_clinic_and_week_on_postgres() {
    let Some(url) = fresh_postgres("staff signals").await else {
        return;
    };
    scenario(open(&url).await).await;
}
