//! Handoffs: planted completed, late, pending, stuck, unexpected and
//! duplicated items, PostgreSQL events to MariaDB arrivals (streamed merge)
//! and in one shared database (one pushed statement), with the clock edges:
//! exactly at the deadline, arrivals stamped before their event, `at` as
//! `timestamptz` written with offsets, `timestamp`, `DATETIME` and `TIMESTAMP`.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};
use hypercare::checks::CheckMeta;
use hypercare::checks::handoffs::HandoffCheck;
use hypercare::results::{Details, HandoffDetails, Outcome};
use hypercare::sources::Sources;
use serde_json::Value;

use crate::helpers::{BIN, exec, fresh_mysql, fresh_postgres, write_config};

/// The judged moment: windows start 14 days before, deadlines are 48 h.
pub(crate) const NOW: &str = "2026-03-10T12:00:00Z";

/// Events: (key, when as written, clinic). `+05:00` is read as the instant it names.
pub(crate) const EVENTS: &[(i32, &str, &str)] = &[
    (101, "2026-03-01 10:00:00+00", "east"),
    (102, "2026-03-02 00:00:00+05", "E03"),
    (103, "2026-03-03 08:00:00+00", "west"),
    (104, "2026-03-04 10:00:00+00", "west"),
    (201, "2026-03-01 00:00:00+00", "east"),
    (202, "2026-02-26 00:00:00+00", "west"),
    (301, "2026-03-09 12:00:00+00", "east"),
    (302, "2026-03-08 12:00:00+00", "west"),
    (401, "2026-03-08 16:59:59.999+05", "east"),
    (402, "2026-02-25 00:00:00+00", "north"),
    (403, "2026-03-05 00:00:00+00", "east"),
    (501, "2026-02-01 00:00:00+00", "east"),
    (990, "2026-02-23 00:00:00+00", "east"),
];

/// Arrivals in UTC: (key, when).
const ARRIVALS: &[(&str, &str)] = &[
    ("101", "2026-03-01 13:00:00.000"),
    ("101", "2026-03-02 09:00:00.000"),
    ("102", "2026-03-02 19:00:00.000"),
    ("103", "2026-03-05 08:00:00.000"),
    ("104", "2026-03-04 09:58:00.000"),
    ("201", "2026-03-03 00:00:00.001"),
    ("202", "2026-03-05 00:00:00.000"),
    ("990", "2026-02-25 00:00:00.000"),
    ("X9", "2026-03-06 00:00:00.000"),
];

pub(crate) fn utc(written: &str) -> String {
    let t = DateTime::parse_from_str(&format!("{written}00"), "%Y-%m-%d %H:%M:%S%.f%z")
        .unwrap_or_else(|e| panic!("{written}: {e}"));
    t.with_timezone(&Utc)
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

pub(crate) fn pg_events() -> String {
    let rows: Vec<String> = EVENTS
        .iter()
        .map(|(k, at, c)| format!("({k}, '{at}', 'finished', '{c}')"))
        .collect();
    format!(
        "CREATE TABLE encounters (id integer PRIMARY KEY, closed_at timestamptz, status text, facility text);
         INSERT INTO encounters VALUES {}, (601, '2026-03-05 00:00:00+00', 'cancelled', 'east')",
        rows.join(", ")
    )
}

pub(crate) fn arrivals_table(time_type: &str) -> String {
    arrivals_typed(time_type, "varchar(20)")
}

/// The arrivals with keys of `key_type`; an integer key type writes the
/// unexpected arrival `X9` as 9009.
pub(crate) fn arrivals_typed(time_type: &str, key_type: &str) -> String {
    let integer = key_type.to_ascii_uppercase().contains("INT");
    let rows: Vec<String> = ARRIVALS
        .iter()
        .map(|(k, at)| {
            let k = if integer && *k == "X9" { "9009" } else { k };
            format!("('{k}', '{at}')")
        })
        .collect();
    format!(
        "CREATE TABLE claims (encounter_ref {key_type}, created_at {time_type});
         INSERT INTO claims VALUES {}",
        rows.join(", ")
    )
}

pub(crate) fn config(from_url: &str, to_url: &str) -> String {
    // `key` is reserved in MariaDB: its queries quote it.
    let key = if to_url.starts_with("mysql") {
        "`key`"
    } else {
        "key"
    };
    format!(
        r#"[sources.ehr]
url = "{from_url}"
[sources.billing]
url = "{to_url}"

[[clinics]]
id = "east"
name = "East clinic"
codes = ["E03"]
[[clinics]]
id = "west"
name = "West clinic"

[[handoffs]]
name = "visits_billed"
schedule = "0 */10 * * * *"
within = "48h"
look_back = "14d"
tolerance = 2
max_keys = 2
from = {{ from = "ehr", sql = "SELECT id AS key, closed_at AS at, facility AS clinic FROM encounters WHERE status = 'finished'" }}
to   = {{ from = "billing", sql = "SELECT encounter_ref AS {key}, created_at AS at FROM claims" }}
"#
    )
}

pub(crate) async fn judge(dir: &Path, text: &str) -> (Outcome, HandoffDetails) {
    let path = write_config(dir, text);
    let config = hypercare::config::load(&path).expect("valid config");
    let sources = Sources::from_config(&config).expect("sources");
    let h = &config.handoffs[0];
    let check = HandoffCheck::new(CheckMeta::handoff(h), h, &sources, &config);
    let now = DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc);
    let result = check.judge(now).await;
    sources.close().await;
    match result.details {
        Details::Handoff(d) => (result.outcome, d),
        other => panic!("{}: {other:?}", result.summary),
    }
}

pub(crate) fn assert_planted(outcome: Outcome, d: &HandoffDetails) {
    assert_planted_with(outcome, d, "X9");
}

/// As [`assert_planted`], the unexpected arrival's key being `unexpected`.
pub(crate) fn assert_planted_with(outcome: Outcome, d: &HandoffDetails, unexpected: &str) {
    let counts = [
        d.events,
        d.completed,
        d.late,
        d.pending,
        d.stuck,
        d.unexpected,
        d.duplicated,
    ];
    assert_eq!(counts, [11, 4, 2, 2, 3, 1, 1], "{d:?}");
    assert_eq!(d.stuck_keys, ["402", "403"], "the two oldest stuck");
    assert_eq!(d.late_keys, ["202", "201"]);
    assert_eq!(d.unexpected_keys, [unexpected]);
    // 0 (arrived 2 min early), 3 h, 24 h, 48 h, 48 h + 1 ms, 7 d.
    assert_eq!(
        (d.p50_seconds, d.p95_seconds),
        (Some(86_400), Some(604_000))
    );
    assert_eq!(d.latency_counts.iter().sum::<u64>(), 6);
    assert_eq!(d.within_seconds, 172_800);
    let east = &d.by_clinic["east"];
    assert_eq!(
        (east.events, east.stuck, east.pending, east.late),
        (6, 2, 1, 1)
    );
    assert_eq!(
        d.by_clinic["_unassigned"].stuck, 1,
        "north is not a configured clinic"
    );
    assert_eq!(
        outcome,
        Outcome::Fail,
        "3 stuck is above the tolerance of 2"
    );
}

#[tokio::test]
async fn postgres_events_to_mariadb_arrivals_are_classed_exactly() {
    let Some(pg) = fresh_postgres("handoffs_pg_my").await else {
        return;
    };
    let Some(my) = fresh_mysql("handoffs_pg_my").await else {
        return;
    };
    exec(&pg, &pg_events()).await;
    exec(&my, &arrivals_table("DATETIME(3)")).await;
    let dir = tempfile::tempdir().unwrap();
    let (outcome, d) = judge(dir.path(), &config(&pg, &my)).await;
    assert!(!d.pushed_down);
    assert_planted(outcome, &d);
}

#[tokio::test]
async fn one_shared_database_is_judged_by_one_statement() {
    let Some(pg) = fresh_postgres("handoffs_shared").await else {
        return;
    };
    exec(&pg, &pg_events()).await;
    exec(&pg, &arrivals_table("timestamp(3)")).await;
    let dir = tempfile::tempdir().unwrap();
    let text = config(&pg, &pg).replace("from = \"billing\"", "from = \"ehr\"");
    let (outcome, d) = judge(dir.path(), &text).await;
    assert!(d.pushed_down);
    assert_planted(outcome, &d);

    let Some(my) = fresh_mysql("handoffs_shared").await else {
        return;
    };
    let rows: Vec<String> = EVENTS
        .iter()
        .map(|(k, at, c)| format!("({k}, '{}', 'finished', '{c}')", utc(at)))
        .collect();
    let events = format!(
        "CREATE TABLE encounters (id INT PRIMARY KEY, closed_at TIMESTAMP(3) NULL, status VARCHAR(20), facility VARCHAR(20));
         INSERT INTO encounters VALUES {}",
        rows.join(", ")
    );
    exec(&my, &format!("SET time_zone = '+00:00'; {events}")).await;
    exec(&my, &arrivals_table("DATETIME(3)")).await;
    let text = config(&my, &my)
        .replace("from = \"billing\"", "from = \"ehr\"")
        .replace("id AS key", "id AS `key`");
    let (outcome, d) = judge(dir.path(), &text).await;
    assert!(d.pushed_down);
    assert_planted(outcome, &d);
}

/// The issue's shortest form on OpenEMR's own tables (`form_encounter`,
/// `claims` with a version per resubmission), through `hypercare check`.
#[tokio::test]
async fn the_shortest_form_on_openemr_tables() {
    let Some(my) = fresh_mysql("handoffs_openemr").await else {
        return;
    };
    exec(&my, "CREATE TABLE form_encounter (id BIGINT PRIMARY KEY AUTO_INCREMENT, date DATETIME, pid BIGINT,
        encounter BIGINT, facility_id INT, pc_catid INT);
      CREATE TABLE claims (patient_id BIGINT, encounter_id INT, version INT UNSIGNED, payer_id INT,
        status TINYINT, bill_process TINYINT, bill_time DATETIME, PRIMARY KEY (patient_id, encounter_id, version));
      INSERT INTO form_encounter (date, pid, encounter, facility_id, pc_catid) VALUES
        (UTC_TIMESTAMP() - INTERVAL 5 DAY, 1, 1001, 3, 5), (UTC_TIMESTAMP() - INTERVAL 4 DAY, 2, 1002, 3, 5),
        (UTC_TIMESTAMP() - INTERVAL 3 DAY, 3, 1003, 4, 5), (UTC_TIMESTAMP() - INTERVAL 10 HOUR, 4, 1004, 4, 5),
        (UTC_TIMESTAMP() - INTERVAL 40 DAY, 5, 1005, 4, 5);
      INSERT INTO claims VALUES (1, 1001, 1, 7, 2, 2, UTC_TIMESTAMP() - INTERVAL 4 DAY),
        (1, 1001, 2, 7, 2, 2, UTC_TIMESTAMP() - INTERVAL 3 DAY),
        (2, 1002, 1, 7, 2, 2, UTC_TIMESTAMP() - INTERVAL 1 DAY)").await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"[sources.ehr]
url = "{my}"
[sources.billing]
url = "{my}"

[[handoffs]]
name = "visits_billed"
schedule = "0 */10 * * * *"
within = "48h"              # the deadline after each event
look_back = "14d"           # events older than this are not judged
tolerance = 0               # stuck items accepted (count or percent)
from = {{ from = "ehr", sql = "SELECT encounter AS `key`, date AS at FROM form_encounter" }}
to   = {{ from = "billing", sql = "SELECT encounter_id AS `key`, bill_time AS at FROM claims" }}
"#
        ),
    );
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    let runs: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let run = &runs[0];
    assert_eq!(run["kind"], "handoff");
    assert_eq!(run["status"], "fail", "{run}");
    let d = &run["details"];
    let counts: Vec<u64> = [
        "events",
        "completed",
        "late",
        "pending",
        "stuck",
        "unexpected",
        "duplicated",
    ]
    .iter()
    .map(|k| d[k].as_u64().unwrap())
    .collect();
    assert_eq!(counts, [4, 1, 1, 1, 1, 0, 1], "{d}");
    assert_eq!(d["stuck_keys"], serde_json::json!(["1003"]));
    assert_eq!(d["late_keys"], serde_json::json!(["1002"]));
    assert_eq!(d["p50_seconds"], 86_400);
    let summary = run["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("1 of 4 events stuck past 2days"),
        "{summary}"
    );
    assert!(!summary.contains("1003"), "no keys in summaries: {summary}");
}
