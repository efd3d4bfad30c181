//! `[[integrity]]` checks through `hypercare check --json` against real
//! PostgreSQL, MariaDB and SQLite: one EHR-like fixture with problems of
//! every rule kind planted, each found exactly (counts and sample keys), and
//! no clean row reported.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{BIN, exec, fresh_mysql, fresh_postgres, write_config};

const SCHEMA: &str = "
CREATE TABLE patient (id INT PRIMARY KEY, mrn VARCHAR(16) NOT NULL, family VARCHAR(64),
  given VARCHAR(64), birth_date DATE, gender VARCHAR(8), zip VARCHAR(10), phone VARCHAR(20),
  deleted INT NOT NULL, updated_at TIMESTAMP NULL);
CREATE TABLE practitioner (id INT PRIMARY KEY, npi VARCHAR(10));
CREATE TABLE appointment (id INT PRIMARY KEY, patient_id INT, practitioner_ref VARCHAR(20),
  start_at TIMESTAMP NULL);
CREATE TABLE lab_result (id INT PRIMARY KEY, patient_id INT NOT NULL, loinc VARCHAR(10),
  icd10 VARCHAR(10), legacy_code VARCHAR(10));
CREATE TABLE code_map (legacy_code VARCHAR(10) PRIMARY KEY, target_code VARCHAR(10) NOT NULL,
  retired INT NOT NULL);
CREATE TABLE empty_feed (id INT PRIMARY KEY, received_at TIMESTAMP NULL);
CREATE TABLE legacy_person (id INT PRIMARY KEY, dob VARCHAR(20))";

/// The planted problems, by row (see each rule's expectations below).
const PATIENTS: &str = "INSERT INTO patient VALUES
(1, '10000001', 'Lindqvist', 'Liam', '1961-03-04', 'M', '02139', '(617) 555-0101', 0, NULL),
(2, '10000002', 'Moreau', 'Maya', '1990-07-12', 'F', '02139-4307', '617-555-0102', 0, NULL),
(3, '10000003', 'Okafor', 'Ava', '1980-02-01', 'F', '10001', '212.555.0103', 0, NULL),
(4, '10000004', 'Tanaka', 'Theo', '2001-11-30', 'M', '94110', '555-1234', 0, NULL),
(5, '10000005', 'Reyes', 'Noah', '1975-06-30', 'M', '73301', '+1 512 555 0105', 0, NULL),
(6, '10000006', 'Novak', 'Nora', '1988-09-09', 'F', '1234', '6175550106', 0, NULL),
(7, '10000007', 'Haddad', 'Omar', '1970-01-15', 'M', 'ABCDE', '617 555 0107', 0, NULL),
(8, '10000008', 'Okafor', 'Bea', '1980-02-01', 'F', '10001', '212-555-0108', 0, NULL),
(9, '10000009', 'Okafor', 'Ava', '1980-02-01', 'F', '10001', '212-555-0109', 1, NULL),
(10, '10000010', 'Okafor', '', '1980-02-01', 'U', '10001', '212-555-0110', 0, NULL),
(11, '10000011', 'Brennan', NULL, '1999-05-05', 'M', '60601', '312-555-0111', 0, NULL),
(12, '10000012', 'reyes ', 'N.', '1975-06-30', 'M', '73301', '512-555-0112', 0, NULL),
(13, '10000013', 'Ivanova', 'Iris', NULL, 'F', '60601', '312-555-0113', 0, NULL),
(14, '10000014', '  ', 'Ezra', '1983-03-03', 'M', '60601', '312-555-0114', 0, NULL),
(15, '10000015', 'Costa', 'Lena', '1900-01-01', 'F', '60601', '312-555-0115', 0, NULL),
(16, 'MRN-0016', 'Mensah', 'Kai', '2031-05-01', 'M', '60601', '312-555-0116', 0, NULL),
(17, '10000017', ' OKAFOR ', 'ava', '1980-02-01', 'f', '10001', '212-555-0117', 0, NULL),
(18, '10000018', 'Weber', 'Zoe', '1995-12-31', 'X', '80202', '303-555-0118', 0, NULL),
(19, '10000019', 'REYES', 'noah', '1975-06-30', 'M', '73301', '512-555-0119', 0, NULL),
(20, '10000020', 'Sato', 'Mila', '2010-10-10', 'F', '80202', NULL, 0, NULL)";

const OTHERS: &str = "
INSERT INTO practitioner VALUES (1, '1234567893'), (2, '1245319599'), (3, '1234567890'),
  (4, '12345'), (5, NULL), (6, ''), (7, '1679576722');
INSERT INTO lab_result VALUES (1, 1, '2160-0', 'E11.9', 'L1'), (2, 2, '718-7', 'I10', 'L1'),
  (3, 3, '2160-1', 'e11.9', 'L2'), (4, 4, '718', 'E11,9', 'X9'), (5, 5, '4548-4', 'S72.001A', 'L3'),
  (6, 6, NULL, NULL, NULL), (7, 7, '  ', ' ', 'L1');
INSERT INTO code_map VALUES ('L1', 'T1', 0), ('L2', 'T2', 1), ('L3', 'T3', 0);
INSERT INTO legacy_person VALUES (1, '1980-01-01'), (2, '12/31/1999'), (3, '1900-01-01'),
  (4, '2031-01-01 08:00:00'), (5, '1975-06-30 10:00'), (6, ''), (7, NULL), (8, '1899-12-31')";

/// Appointments; start times relative to now so freshness is judged now.
fn appointments() -> String {
    let ago = |hours: i64| {
        (chrono::Utc::now() - chrono::Duration::hours(hours))
            .format("'%Y-%m-%d %H:%M:%S'")
            .to_string()
    };
    format!(
        "INSERT INTO appointment VALUES (1, 1, '1', {}), (2, 2, '2', {}), (3, 3, ' 3 ', {}),
         (4, 4, '7', NULL), (5, 999, '1', NULL), (6, 5, 'abc', NULL), (7, NULL, '2', NULL),
         (8, 6, '77', NULL), (9, 998, '', NULL), (10, 8, NULL, NULL), (11, 9, '1', NULL),
         (12, 12, '0007', NULL);
         UPDATE patient SET updated_at = {}",
        ago(2),
        ago(3),
        ago(24),
        ago(240)
    )
}

fn config(url: &str) -> String {
    format!(
        r#"[sources.ehr]
url = "{url}"

[[integrity]]
name = "ehr_integrity"
schedule = "0 0 * * * *"
from = "ehr"
sample_keys = 10

[[integrity.rules]]
name = "duplicate_patients"
kind = "duplicates"
table = "patient"
key = "id"
match = ["lower_trim(family)", "initial(given)", "birth_date"]
where = "deleted = 0"

[[integrity.rules]]
name = "appointment_patient"
kind = "orphans"
table = "appointment"
key = "id"
column = "patient_id"
ref_table = "patient"
ref_column = "id"
ref_where = "deleted = 0"

[[integrity.rules]]
name = "appointment_practitioner"
kind = "orphans"
table = "appointment"
key = "id"
column = "practitioner_ref"
ref_table = "practitioner"
ref_column = "id"
cast = "integer"

[[integrity.rules]]
name = "demographics"
kind = "completeness"
table = "patient"
key = "id"
fields = ["family", "given", "birth_date"]
min_ratio = 0.9
where = "deleted = 0"

[[integrity.rules]]
name = "birth_dates"
kind = "validity"
table = "patient"
key = "id"
column = "birth_date"
builtin = "date_range"
where = "deleted = 0"

[[integrity.rules]]
name = "legacy_dob_text"
kind = "validity"
table = "legacy_person"
key = "id"
column = "dob"
builtin = "date_range"

[[integrity.rules]]
name = "appointment_dates"
kind = "validity"
table = "appointment"
key = "id"
column = "start_at"
builtin = "date_range"
max = "today"

[[integrity.rules]]
name = "zip"
kind = "validity"
table = "patient"
key = "id"
column = "zip"
builtin = "zip"
where = "deleted = 0"

[[integrity.rules]]
name = "zip_lenient"
kind = "validity"
table = "patient"
key = "id"
column = "zip"
builtin = "zip"
tolerance = "20%"
where = "deleted = 0"

[[integrity.rules]]
name = "phone"
kind = "validity"
table = "patient"
key = "id"
column = "phone"
builtin = "phone"
where = "deleted = 0"

[[integrity.rules]]
name = "gender"
kind = "validity"
table = "patient"
key = "id"
column = "gender"
values = ["F", "M", "U"]
where = "deleted = 0"

[[integrity.rules]]
name = "mrn"
kind = "validity"
table = "patient"
key = "id"
column = "mrn"
pattern = "^[0-9]{{8}}$"
where = "deleted = 0"

[[integrity.rules]]
name = "npi"
kind = "validity"
table = "practitioner"
key = "id"
column = "npi"
builtin = "npi"

[[integrity.rules]]
name = "loinc"
kind = "validity"
table = "lab_result"
key = "id"
column = "loinc"
builtin = "loinc"

[[integrity.rules]]
name = "icd10"
kind = "validity"
table = "lab_result"
key = "id"
column = "icd10"
builtin = "icd10cm"

[[integrity.rules]]
name = "code_mapping"
kind = "validity"
table = "lab_result"
key = "id"
column = "legacy_code"
mapping_table = "code_map"
mapping_column = "legacy_code"
mapping_where = "retired = 0"

[[integrity.rules]]
name = "appointment_feed"
kind = "freshness"
table = "appointment"
column = "start_at"
max_age = "1d"

[[integrity.rules]]
name = "patient_updates"
kind = "freshness"
table = "patient"
column = "updated_at"
max_age = "1d"

[[integrity.rules]]
name = "empty_feed"
kind = "freshness"
table = "empty_feed"
column = "received_at"
max_age = "1h"

[[integrity]]
name = "capped"
schedule = "0 0 * * * *"
from = "ehr"
sample_keys = 1

[[integrity.rules]]
name = "appointment_patient"
kind = "orphans"
table = "appointment"
key = "id"
column = "patient_id"
ref_table = "patient"
ref_column = "id"
ref_where = "deleted = 0"

[[integrity.rules]]
name = "duplicate_patients"
kind = "duplicates"
table = "patient"
key = "id"
match = ["lower_trim(family)", "initial(given)", "birth_date"]
where = "deleted = 0"

[[integrity]]
name = "clean"
schedule = "0 0 * * * *"
from = "ehr"

[[integrity.rules]]
name = "valid_patients_only"
kind = "validity"
table = "patient"
key = "id"
column = "zip"
builtin = "zip"
where = "id IN (1, 2, 3, 5)"

[[integrity.rules]]
name = "resolving_appointments"
kind = "orphans"
table = "appointment"
key = "id"
column = "patient_id"
ref_table = "patient"
ref_column = "id"
where = "id <= 4"

[[integrity]]
name = "broken"
schedule = "0 0 * * * *"
from = "ehr"

[[integrity.rules]]
name = "no_such_column"
kind = "validity"
table = "patient"
key = "id"
column = "colour"
values = ["blue"]

[[integrity.rules]]
name = "still_runs"
kind = "validity"
table = "patient"
key = "id"
column = "zip"
builtin = "zip"
"#
    )
}

fn check_json(cfg: &Path) -> Vec<Value> {
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(cfg)
        .output()
        .expect("run hypercare");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        out.status.code(),
        Some(2),
        "a check errored, so exit 2: {json:#}"
    );
    json.as_array().expect("an array").clone()
}

fn run<'a>(runs: &'a [Value], name: &str) -> &'a Value {
    runs.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no run of {name}"))
}

fn rule<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["details"]["rules"]
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["name"] == name))
        .unwrap_or_else(|| panic!("no rule {name} in {run:#}"))
}

/// Asserts status, rows checked, problems and sample keys of a rule.
fn expect(run: &Value, name: &str, status: &str, checked: i64, problems: i64, keys: &[&str]) {
    let r = rule(run, name);
    let got = (
        r["status"].as_str(),
        r["rows_checked"].as_i64(),
        r["problems"].as_i64(),
    );
    assert_eq!(got, (Some(status), Some(checked), Some(problems)), "{r:#}");
    let want: Vec<Value> = keys.iter().map(|k| json!(k)).collect();
    let empty = Vec::new();
    assert_eq!(
        r["sample_keys"].as_array().unwrap_or(&empty),
        &want,
        "sample keys of {name}: {r:#}"
    );
}

async fn scenario(url: &str) {
    exec(url, SCHEMA).await;
    exec(url, PATIENTS).await;
    exec(url, OTHERS).await;
    exec(url, &appointments()).await;
    let dir = tempfile::tempdir().unwrap();
    let runs = check_json(&write_config(dir.path(), &config(url)));

    let all = run(&runs, "ehr_integrity");
    assert_eq!(all["kind"], "integrity");
    assert_eq!(all["status"], "fail", "{all:#}");
    let dups = rule(all, "duplicate_patients");
    assert_eq!(dups["status"], "fail");
    assert_eq!(
        dups["rows_checked"], 15,
        "rows missing a match value take no part"
    );
    assert_eq!(
        (dups["problems"].as_i64(), dups["records_involved"].as_i64()),
        (Some(2), Some(5))
    );
    assert_eq!(
        dups["sample_clusters"],
        json!([{"size": 2, "keys": ["3", "17"]}, {"size": 3, "keys": ["5", "12", "19"]}])
    );
    expect(all, "appointment_patient", "fail", 11, 3, &["5", "9", "11"]);
    expect(all, "appointment_practitioner", "fail", 10, 2, &["6", "8"]);
    expect(
        all,
        "demographics",
        "fail",
        19,
        4,
        &["10", "11", "13", "14"],
    );
    let fields = &rule(all, "demographics")["fields"];
    let field = |i: usize| {
        (
            fields[i]["field"].clone(),
            fields[i]["missing"].clone(),
            fields[i]["below_threshold"].clone(),
        )
    };
    assert_eq!(field(0), (json!("family"), json!(1), json!(false)));
    assert_eq!(field(1), (json!("given"), json!(2), json!(true)));
    assert_eq!(field(2), (json!("birth_date"), json!(1), json!(false)));
    assert!((fields[1]["ratio"].as_f64().unwrap() - 17.0 / 19.0).abs() < 1e-9);
    expect(all, "birth_dates", "fail", 18, 2, &["15", "16"]);
    expect(all, "legacy_dob_text", "fail", 6, 4, &["2", "3", "4", "8"]);
    expect(all, "appointment_dates", "pass", 3, 0, &[]);
    expect(all, "zip", "fail", 19, 2, &["6", "7"]);
    expect(all, "zip_lenient", "pass", 19, 2, &["6", "7"]);
    expect(all, "phone", "fail", 18, 1, &["4"]);
    expect(all, "gender", "fail", 19, 2, &["17", "18"]);
    expect(all, "mrn", "fail", 19, 1, &["16"]);
    expect(all, "npi", "fail", 5, 2, &["3", "4"]);
    expect(all, "loinc", "fail", 5, 2, &["3", "4"]);
    expect(all, "icd10", "fail", 5, 2, &["3", "4"]);
    expect(all, "code_mapping", "fail", 6, 2, &["3", "4"]);
    let feed = rule(all, "appointment_feed");
    assert_eq!(
        (feed["status"].as_str(), feed["problems"].as_i64()),
        (Some("pass"), Some(0))
    );
    let age = feed["age_seconds"].as_i64().unwrap();
    assert!(
        (7200..7300).contains(&age),
        "newest appointment is 2 h old: {feed:#}"
    );
    let stale = rule(all, "patient_updates");
    assert_eq!(stale["status"], "fail");
    let age = stale["age_seconds"].as_i64().unwrap();
    assert!((864_000..864_100).contains(&age), "{stale:#}");
    let empty = rule(all, "empty_feed");
    assert_eq!(
        (empty["status"].as_str(), empty["problems"].as_i64()),
        (Some("fail"), Some(1))
    );
    assert!(empty.get("newest").is_none(), "{empty:#}");
    let summary = all["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(
            "16 of 19 rules beyond threshold: duplicate_patients 2 duplicate clusters (5 records)"
        ),
        "{summary}"
    );

    let capped = run(&runs, "capped");
    expect(capped, "appointment_patient", "fail", 11, 3, &["5"]);
    assert_eq!(
        rule(capped, "duplicate_patients")["sample_clusters"],
        json!([{"size": 2, "keys": ["3"]}])
    );

    let clean = run(&runs, "clean");
    assert_eq!(clean["status"], "pass", "{clean:#}");
    expect(clean, "valid_patients_only", "pass", 4, 0, &[]);
    expect(clean, "resolving_appointments", "pass", 4, 0, &[]);
    assert_eq!(clean["summary"], "all 2 rules pass with no problems");

    let broken = run(&runs, "broken");
    assert_eq!(broken["status"], "error", "{broken:#}");
    assert_eq!(
        broken["summary"],
        "1 of 2 rules could not run: no_such_column (query failed); \
         1 of 2 rules beyond threshold: still_runs 2 invalid"
    );
    let failed = rule(broken, "no_such_column");
    assert_eq!(failed["status"], "error");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("colour")),
        "the database's message is kept in the details: {failed:#}"
    );
    expect(broken, "still_runs", "fail", 20, 2, &["6", "7"]);
}

#[tokio::test]
async fn integrity_rules_find_planted_problems_exactly_on_postgres() {
    let Some(url) = fresh_postgres("integrity_postgres").await else {
        return;
    };
    scenario(&url).await;
}

#[tokio::test]
async fn integrity_rules_find_planted_problems_exactly_on_mariadb() {
    let Some(url) = fresh_mysql("integrity_mariadb").await else {
        return;
    };
    scenario(&url).await;
}

#[tokio::test]
async fn integrity_rules_find_planted_problems_exactly_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ehr.db").display());
    scenario(&url).await;
}
