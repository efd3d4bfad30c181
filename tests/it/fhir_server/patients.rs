//! The issue's scenario on a real FHIR server: a PostgreSQL legacy patient
//! table against 500 Patients, compared on `name.family`, `name.given` and
//! `birthDate` in the shortest documented form. Every Patient has a middle
//! name and some an old name, as real records do, so comparing whole lists
//! instead of first items would report hundreds of false changes.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{BIN, exec, fresh_postgres, write_config};

pub(super) const MRN: &str = "urn:oid:2.16.840.1.113883.19.5";
const FAMILIES: [&str; 8] = [
    "Nguyen", "Smith", "Garcia", "O'Brien", "Kowalski", "Okafor", "Lee", "Haddad",
];
const GIVEN: [&str; 7] = ["Maria", "James", "Aisha", "Wei", "Olga", "Tomás", "Priya"];

/// The legacy record `i`: MRN, family, first given name, birth date.
pub(super) fn legacy(i: u32) -> (String, String, String, String) {
    let family = FAMILIES[(i % 8) as usize].to_string();
    let given = GIVEN[(i % 7) as usize].to_string();
    let born = format!("19{:02}-{:02}-{:02}", 30 + i % 70, 1 + i % 12, 1 + i % 28);
    (format!("{}", 100_000 + i), family, given, born)
}

/// The Patient the new EHR holds for a legacy record.
pub(super) fn patient(mrn: &str, family: &str, given: &str, born: &str, i: u32) -> Value {
    let mut names = vec![json!({"use": "official", "family": family, "given": [given, "Ann"]})];
    if i.is_multiple_of(5) {
        names.push(json!({"use": "old", "family": "Maiden", "given": ["Other"]}));
    }
    json!({"resourceType": "Patient", "active": true, "gender": if i.is_multiple_of(2) { "female" } else { "male" },
        "identifier": [{"system": "urn:oid:1.2.3.4.5.99", "value": format!("ENC{i}")},
                       {"use": "usual", "system": MRN, "value": mrn}],
        "name": names, "birthDate": born,
        "telecom": [{"system": "phone", "value": format!("555-01{:02}", i % 100), "use": "home"}]})
}

#[tokio::test]
async fn legacy_patients_against_500_patients_on_a_real_fhir_server() {
    let test = "legacy_patients_against_500_patients_on_a_real_fhir_server";
    let Some(db) = fresh_postgres(test).await else {
        return;
    };
    let Some(fhir) = super::start(test).await else {
        return;
    };
    let missing = [7, 123, 250, 377];
    let mut rows = Vec::new();
    let mut resources = Vec::new();
    for i in 1..=502 {
        let (mrn, family, given, born) = legacy(i);
        rows.push(format!(
            "('{mrn}', '{}', '{given}', '{born}')",
            family.replace('\'', "''")
        ));
        if missing.contains(&i) {
            continue;
        }
        let (family, given, born) = match i {
            10 => ("Smyth".to_string(), given, born),
            200 => (family, "Mariah".to_string(), born),
            300 => (family, given, "1999-12-31".to_string()),
            _ => (family, given, born),
        };
        resources.push(patient(&mrn, &family, &given, &born, i));
    }
    for (j, mrn) in ["900001", "900002"].iter().enumerate() {
        resources.push(patient(mrn, "New", "Walk-in", "2001-02-03", j as u32));
    }
    assert_eq!(resources.len(), 500);
    fhir.load(resources).await;
    exec(
        &db,
        &format!(
            "CREATE TABLE patient_data (pubpid VARCHAR(255), lname VARCHAR(255), fname VARCHAR(255), dob DATE);
             INSERT INTO patient_data VALUES {}",
            rows.join(",")
        ),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"[sources.legacy]
url = "{db}"
[sources.ehr]
fhir = "{base}"
bulk = false
[sources.ehr_bulk]
fhir = "{base}"

[[reconcile]]
name = "patients"
schedule = "0 0 * * * *"
source = {{ from = "legacy", table = "patient_data", key = "pubpid", columns = ["lname", "fname", "dob"] }}
target = {{ from = "ehr", resource = "Patient", key = "identifier:{MRN}", columns = ["name.family", "name.given", "birthDate"] }}

[[reconcile]]
name = "patients_by_export"
schedule = "0 0 * * * *"
source = {{ from = "legacy", table = "patient_data", key = "pubpid", columns = ["lname", "fname", "dob"] }}
target = {{ from = "ehr_bulk", resource = "Patient", key = "identifier:{MRN}", columns = ["name.family", "name.given", "birthDate"] }}
"#,
            base = fhir.base
        ),
    );
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    let runs: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(runs.as_array().map(Vec::len), Some(2), "{runs:#}");
    for run in runs.as_array().unwrap() {
        nine_findings(run);
    }
    // An export ran (its folder was made) and was deleted when read: the
    // server holds no files.
    assert!(fhir.exports().is_dir(), "no export ran");
    let left = std::fs::read_dir(fhir.exports())
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "export files left on the server");
}

/// Exactly the planted differences: 4 missing, 2 extra, 3 changed.
fn nine_findings(run: &Value) {
    let d = &run["details"];
    assert_eq!(run["status"], "fail", "{run:#}");
    assert_eq!(
        d["missing_keys"],
        json!(["100007", "100123", "100250", "100377"]),
        "{d:#}"
    );
    assert_eq!(d["extra_keys"], json!(["900001", "900002"]), "{d:#}");
    let changed: BTreeMap<String, Value> = d["changed_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_string(), c["columns"].clone()))
        .collect();
    assert_eq!(
        changed,
        BTreeMap::from([
            ("100010".to_string(), json!(["lname"])),
            ("100200".to_string(), json!(["fname"])),
            ("100300".to_string(), json!(["dob"])),
        ]),
        "{d:#}"
    );
    assert_eq!(
        (d["source_rows"].as_u64(), d["target_rows"].as_u64()),
        (Some(502), Some(500)),
        "{d:#}"
    );
}
