//! Integrity rules with `clinic`: OpenEMR-like tables on MariaDB whose
//! facility columns hold site codes (patients), integer facility ids
//! (appointments, providers) or nothing, with problems planted per clinic.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use hypercare::checks::integrity::npi_check_digit;

use super::run_checks;
use crate::helpers::{exec, fresh_mysql};

const PATIENTS: i32 = 600;

const CLINICS: &str = r#"
[[clinics]]
id = "north"
name = "North Clinic"
codes = ["1", "N01"]

[[clinics]]
id = "south"
name = "South Clinic"
codes = ["2", "S02"]

[[clinics]]
id = "east"
name = "East Family Practice"
codes = ["3", "E03"]
"#;

const GIVEN: [&str; 12] = [
    "Maria", "James", "Aiko", "Omar", "Grace", "Luis", "Hannah", "Dmitri", "Fatima", "Noah",
    "Priya", "Samuel",
];
const FAMILY: [&str; 17] = [
    "Garcia",
    "Okafor",
    "Nguyen",
    "Schmidt",
    "Haddad",
    "Kowalski",
    "Silva",
    "Johansson",
    "Tanaka",
    "Murphy",
    "Rossi",
    "Novak",
    "Ahmed",
    "Dubois",
    "Larsen",
    "Moreno",
    "Fischer",
];

/// A patient's site code by pid: north, south, east, none, or a code no
/// clinic has.
fn site(pid: i32) -> String {
    match pid % 8 {
        0 => "NULL".into(),
        4 => "'X99'".into(),
        r => format!("'{}'", ["N01", "S02", "E03"][(r % 4 - 1) as usize]),
    }
}

fn patient(pid: i32) -> String {
    format!(
        "({pid}, '{}', '{}', DATE_ADD('1940-01-01', INTERVAL {} DAY), '{}', '{}', '555-{:04}', {})",
        GIVEN[pid as usize % GIVEN.len()],
        FAMILY[pid as usize % FAMILY.len()],
        pid * 37,
        ["F", "M"][pid as usize % 2],
        10000 + pid,
        pid,
        site(pid)
    )
}

fn npi(id: i32) -> String {
    let nine = format!("{:09}", 123_450_000 + id);
    let check = npi_check_digit(&nine).expect("nine digits");
    format!("{nine}{check}")
}

async fn tables(my: &str) {
    let patients: Vec<String> = (1..=PATIENTS).map(patient).collect();
    let events: Vec<String> = (1..=800)
        .map(|e| format!("({e}, '{}', {})", e % PATIENTS + 1, e % 4))
        .collect();
    let users: Vec<String> = (1..=100)
        .map(|u| format!("({u}, '{}', {})", npi(u), u % 4))
        .collect();
    exec(
        my,
        &format!(
            "CREATE TABLE patient_data (pid INT PRIMARY KEY, fname VARCHAR(64), lname VARCHAR(64),
               DOB DATE, sex VARCHAR(8), postal_code VARCHAR(10), phone_home VARCHAR(16),
               care_team_facility VARCHAR(8));
             INSERT INTO patient_data VALUES {};
             INSERT INTO patient_data SELECT pid + 1000, fname, lname, DOB, sex, postal_code,
               phone_home, care_team_facility FROM patient_data WHERE pid IN (5, 9, 13, 7, 11);
             INSERT INTO patient_data SELECT 1017, fname, lname, DOB, sex, postal_code, phone_home,
               'E03' FROM patient_data WHERE pid = 17;
             UPDATE patient_data SET DOB = NULL WHERE pid IN (15, 23);
             UPDATE patient_data SET lname = ' ' WHERE pid = 21;
             UPDATE patient_data SET postal_code = 'ABCDE' WHERE pid IN (2, 10);
             CREATE TABLE openemr_postcalendar_events (pc_eid INT PRIMARY KEY,
               pc_pid VARCHAR(11), pc_facility INT);
             INSERT INTO openemr_postcalendar_events VALUES {},
               (801, '9001', 2), (802, '9002', 2), (803, '9003', 2), (804, '9004', 2),
               (805, '9999', 0), (806, '', 1);
             CREATE TABLE users (id INT PRIMARY KEY, npi VARCHAR(15), facility_id INT);
             INSERT INTO users VALUES {};
             UPDATE users SET npi = '1234567890' WHERE id IN (5, 9, 13, 6)",
            patients.join(","),
            events.join(","),
            users.join(",")
        ),
    )
    .await;
}

fn config(my: &str) -> String {
    format!(
        r#"[sources.ehr]
url = "{my}"
{CLINICS}
[[integrity]]
name = "ehr_integrity"
schedule = "0 0 * * * *"
from = "ehr"

[[integrity.rules]]
name = "duplicates"
kind = "duplicates"
table = "patient_data"
key = "pid"
match = ["lower_trim(lname)", "initial(fname)", "DOB"]
clinic = "care_team_facility"

[[integrity.rules]]
name = "probable"
kind = "probable_duplicates"
table = "patient_data"
key = "pid"
person = {{ given = "fname", family = "lname", birth_date = "DOB", sex = "sex", phone = "phone_home", postal_code = "postal_code" }}
clinic = "care_team_facility"

[[integrity.rules]]
name = "appointments"
kind = "orphans"
table = "openemr_postcalendar_events"
key = "pc_eid"
column = "pc_pid"
cast = "integer"
ref_table = "patient_data"
ref_column = "pid"
clinic = "pc_facility"

[[integrity.rules]]
name = "demographics"
kind = "completeness"
table = "patient_data"
key = "pid"
fields = ["lname", "DOB"]
clinic = "care_team_facility"

[[integrity.rules]]
name = "npi"
kind = "validity"
table = "users"
key = "id"
column = "npi"
builtin = "npi"
clinic = "facility_id"

[[integrity.rules]]
name = "zips"
kind = "validity"
table = "patient_data"
key = "pid"
column = "postal_code"
pattern = "^[0-9]{{5}}$"
clinic = "care_team_facility"

[[integrity.rules]]
name = "unattributed"
kind = "validity"
table = "patient_data"
key = "pid"
column = "postal_code"
pattern = "^[0-9]{{5}}$"
"#
    )
}

/// The facility each pid carries (copies carry their original's).
fn facility_of(pid: i64) -> Option<&'static str> {
    let original = if pid > 1000 { pid - 1000 } else { pid } as i32;
    if pid == 1017 {
        return Some("E03");
    }
    match original % 8 {
        0 => None,
        4 => Some("X99"),
        r => Some(["N01", "S02", "E03"][(r % 4 - 1) as usize]),
    }
}

fn clinic_of(code: Option<&str>) -> &'static str {
    match code {
        Some("N01") => "north",
        Some("S02") => "south",
        Some("E03") => "east",
        _ => "_unassigned",
    }
}

/// `by_clinic` without the zero entries.
fn nonzero(d: &Value) -> BTreeMap<String, BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for (clinic, rules) in d["by_clinic"].as_object().expect("by_clinic") {
        for (rule, n) in rules.as_object().unwrap() {
            let n = n.as_i64().unwrap();
            if n != 0 {
                out.entry(clinic.clone())
                    .or_insert_with(BTreeMap::new)
                    .insert(rule.clone(), n);
            }
        }
    }
    out
}

#[tokio::test]
async fn each_rules_problems_are_counted_for_the_clinic_of_their_rows() {
    let Some(my) = fresh_mysql("clinic integrity").await else {
        return;
    };
    tables(&my).await;
    let runs = run_checks(&config(&my), Path::new("hc.toml")).await;
    let d = &runs["ehr_integrity"]["details"];
    let rules: BTreeMap<&str, &Value> = d["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r))
        .collect();
    for r in rules.values() {
        assert_ne!(r["status"], "error", "{r}");
    }
    // Probable duplicates: each cluster for the smallest site code among
    // its records, recomputed here from the clusters it lists.
    let probable = rules["probable"];
    let clusters = probable["sample_clusters"].as_array().unwrap();
    assert_eq!(Some(clusters.len() as i64), probable["problems"].as_i64());
    assert!(clusters.len() >= 6, "the six planted copies: {probable}");
    let mut expected: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for c in clusters {
        let code = c["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|k| facility_of(k.as_str().unwrap().parse().unwrap()))
            .min();
        *expected
            .entry(clinic_of(code).to_string())
            .or_default()
            .entry("probable".into())
            .or_default() += 1;
    }
    let planted = json!({
        "north": {"duplicates": 3, "demographics": 1, "npi": 3},
        "south": {"appointments": 4, "npi": 1, "zips": 2},
        "east": {"duplicates": 3, "demographics": 2},
        "_unassigned": {"appointments": 1},
    });
    for (clinic, figures) in planted.as_object().unwrap() {
        for (rule, n) in figures.as_object().unwrap() {
            let slot = expected.entry(clinic.clone()).or_default();
            slot.insert(rule.clone(), n.as_i64().unwrap());
        }
    }
    assert_eq!(nonzero(d), expected, "{}", d["by_clinic"]);
    // Every attributed rule's figures add up to its totals.
    for name in [
        "duplicates",
        "probable",
        "appointments",
        "demographics",
        "npi",
        "zips",
    ] {
        let sum: i64 = d["by_clinic"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|r| r[name].as_i64())
            .sum();
        assert_eq!(
            Some(sum),
            rules[name]["problems"].as_i64(),
            "{name} adds up"
        );
    }
    assert_eq!(rules["unattributed"]["problems"], 2);
    assert!(
        d["by_clinic"]
            .as_object()
            .unwrap()
            .values()
            .all(|r| r.get("unattributed").is_none()),
        "a rule without clinic is not sliced"
    );
    assert_eq!(rules["appointments"]["rows_checked"], 805);
}

#[test]
fn freshness_refuses_clinic_at_its_line() {
    let text = format!(
        r#"[sources.ehr]
url = "sqlite::memory:"
{CLINICS}
[[integrity]]
name = "fresh"
schedule = "0 0 * * * *"
from = "ehr"

[[integrity.rules]]
name = "new_rows"
kind = "freshness"
table = "patient_data"
column = "date"
max_age = "1d"
clinic = "care_team_facility"
"#
    );
    let errors = hypercare::config::parse(&text, Path::new("hc.toml"), &|_| None)
        .expect_err("refused")
        .to_string();
    assert!(
        errors.contains("hc.toml:30:")
            && errors.contains("`clinic` does not apply to kind `freshness`"),
        "{errors}"
    );
}
