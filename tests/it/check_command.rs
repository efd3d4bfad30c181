//! `hypercare check --json` with a PostgreSQL source and a MariaDB target.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{BIN, exec, free_port, fresh_mysql, fresh_postgres, write_config};

const PATIENTS: &str = "CREATE TABLE patients (id INT PRIMARY KEY, clinic VARCHAR(20) NOT NULL, deleted INT NOT NULL DEFAULT 0)";

/// Inserts `n` patients of `clinic` starting at id `from`.
fn inserts(from: i32, n: i32, clinic: &str) -> String {
    let rows: Vec<String> = (from..from + n)
        .map(|i| format!("({i}, '{clinic}', 0)"))
        .collect();
    format!(
        "INSERT INTO patients (id, clinic, deleted) VALUES {}",
        rows.join(",")
    )
}

fn config(pg: &str, my: &str) -> String {
    format!(
        r#"[sources.legacy]
url = "{pg}"
[sources.ehr]
url = "{my}"
connect_timeout = "2s"

[[reconcile]]
name = "patients_total"
schedule = "0 * * * * *"
tolerance = 5
source = {{ from = "legacy", sql = "SELECT COUNT(*) FROM patients WHERE deleted = 0" }}
target = {{ from = "ehr", sql = "SELECT COUNT(*) FROM patients" }}

[[reconcile]]
name = "patients_by_clinic"
schedule = "0 * * * * *"
source = {{ from = "legacy", sql = "SELECT clinic, COUNT(*) FROM patients WHERE deleted = 0 GROUP BY clinic" }}
target = {{ from = "ehr", sql = "SELECT clinic, COUNT(*) FROM patients GROUP BY clinic" }}

# MariaDB returns DECIMAL for SUM() and UNSIGNED for casts: both read as counts.
[[reconcile]]
name = "patients_decimal_unsigned"
schedule = "0 * * * * *"
tolerance = 5
source = {{ from = "legacy", sql = "SELECT clinic, COUNT(*) FROM patients WHERE deleted = 0 GROUP BY clinic" }}
target = {{ from = "ehr", sql = "SELECT clinic, CAST(SUM(1) AS UNSIGNED) FROM patients GROUP BY clinic UNION ALL SELECT 'all', SUM(1) FROM patients" }}
"#
    )
}

fn check_json(cfg: &std::path::Path, names: &[&str]) -> (Option<i32>, Value) {
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(cfg)
        .args(names)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), json)
}

#[tokio::test]
async fn check_json_reports_counts_groups_and_verdicts_across_postgres_and_mariadb() {
    let (Some(pg), Some(my)) = (
        fresh_postgres("check_json_pg_mariadb").await,
        fresh_mysql("check_json_pg_mariadb").await,
    ) else {
        return;
    };
    // Source: north 100, south 50, east 20, and 7 soft-deleted rows the query filters out.
    exec(
        &pg,
        &format!(
            "{PATIENTS}; {}; {}; {}; {}; UPDATE patients SET deleted = 1 WHERE id >= 1000",
            inserts(1, 100, "north"),
            inserts(200, 50, "south"),
            inserts(300, 20, "east"),
            inserts(1000, 7, "north")
        ),
    )
    .await;
    // Target: north 100, south 48 (two lost), east 20, west 3 (extra).
    exec(
        &my,
        &format!(
            "{PATIENTS}; {}; {}; {}; {}",
            inserts(1, 100, "north"),
            inserts(200, 48, "south"),
            inserts(300, 20, "east"),
            inserts(400, 3, "west")
        ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config(&pg, &my));

    let (code, json) = check_json(&cfg, &[]);
    assert_eq!(code, Some(1), "a failing check exits 1: {json:#}");
    let runs = json.as_array().unwrap();
    assert_eq!(runs.len(), 3);
    let decimal = runs
        .iter()
        .find(|r| r["name"] == "patients_decimal_unsigned")
        .unwrap();
    assert_eq!(
        decimal["details"]["groups"]["south"]["target"], 48,
        "{decimal:#}"
    );
    assert_eq!(
        decimal["details"]["groups"]["all"]["target"], 171,
        "{decimal:#}"
    );
    let total = runs.iter().find(|r| r["name"] == "patients_total").unwrap();
    assert_eq!(total["kind"], "reconcile");
    assert_eq!(total["status"], "pass", "{total:#}");
    assert_eq!(total["details"]["source_count"], 170);
    assert_eq!(total["details"]["target_count"], 171);
    for key in ["started_at", "duration_ms", "summary"] {
        assert!(total.get(key).is_some(), "missing {key}");
    }
    let groups = runs
        .iter()
        .find(|r| r["name"] == "patients_by_clinic")
        .unwrap();
    assert_eq!(groups["status"], "fail");
    let g = &groups["details"]["groups"];
    assert_eq!(g["north"]["difference"], 0);
    assert_eq!(
        (g["south"]["source"].as_i64(), g["south"]["target"].as_i64()),
        (Some(50), Some(48))
    );
    assert_eq!(g["west"]["difference"], 3);
    assert_eq!(g["south"]["beyond_tolerance"], true);
    assert_eq!(g["east"]["beyond_tolerance"], false);
    let summary = groups["summary"].as_str().unwrap();
    assert!(
        summary.contains("south -2") && summary.contains("west +3"),
        "{summary}"
    );

    // The target becomes unreachable: an error that names the target, exit 2.
    let closed = format!("mysql://root@127.0.0.1:{}/nowhere", free_port());
    let cfg = write_config(dir.path(), &config(&pg, &closed));
    let (code, json) = check_json(&cfg, &["patients_total"]);
    assert_eq!(code, Some(2));
    let run = &json[0];
    assert_eq!(run["status"], "error");
    let summary = run["summary"].as_str().unwrap();
    assert!(summary.starts_with("target `ehr`"), "{summary}");
    assert_eq!(run["details"]["error_side"], "target");

    // A database error that quotes a record value: the summary (status page,
    // logs, alerts) gives the kind of failure only; the message with the
    // value stays in the details.
    let quoting = format!(
        "[sources.legacy]\nurl = \"{pg}\"\n[[reconcile]]\nname = \"quotes\"\nschedule = \"0 * * * * *\"\n\
         source = {{ from = \"legacy\", sql = \"SELECT CAST('MRN 4411-207' AS INTEGER)\" }}\n\
         target = {{ from = \"legacy\", sql = \"SELECT 1\" }}\n"
    );
    let cfg = write_config(dir.path(), &quoting);
    let (code, json) = check_json(&cfg, &["quotes"]);
    assert_eq!(code, Some(2));
    let summary = json[0]["summary"].as_str().unwrap();
    assert_eq!(summary, "source `legacy`: query failed");
    let error = json[0]["details"]["error"].as_str().unwrap();
    assert!(error.contains("MRN 4411-207"), "{error}");
}

#[tokio::test]
async fn a_query_of_the_wrong_shape_is_an_error_naming_the_side() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/s.db", dir.path().display());
    exec(
        &db,
        "CREATE TABLE t (a INT, b INT, c INT); INSERT INTO t VALUES (1, 2, 3)",
    )
    .await;
    let cfg = write_config(
        dir.path(),
        &format!(
            "[sources.s]\nurl = \"{db}\"\n[[reconcile]]\nname = \"shape\"\nschedule = \"0 * * * * *\"\n\
         source = {{ from = \"s\", sql = \"SELECT COUNT(*) FROM t\" }}\ntarget = {{ from = \"s\", sql = \"SELECT a, b, c FROM t\" }}\n"
        ),
    );
    let (code, json) = check_json(&cfg, &[]);
    assert_eq!(code, Some(2));
    let summary = json[0]["summary"].as_str().unwrap();
    assert_eq!(summary, "target `s`: unexpected result");
    let error = json[0]["details"]["error"].as_str().unwrap();
    assert!(error.contains("got 3"), "{error}");
}
