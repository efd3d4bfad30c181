//! A keyed diff of a PostgreSQL legacy table (integer facility ids) against
//! Patients on a real FHIR server (SEKMET) whose clinic is their
//! `managingOrganization.reference`: read by search and by bulk export.

use std::path::Path;

use serde_json::{Value, json};

use super::run_checks;
use crate::fhir_server;
use crate::helpers::{exec, fresh_postgres};

const MRN: &str = "urn:oid:2.16.840.1.113883.19.5";
const ROWS: u32 = 120;
const FAMILIES: [&str; 6] = ["Nguyen", "Smith", "Garcia", "Kowalski", "Okafor", "Haddad"];
const ORGS: [&str; 3] = ["org-clinic-north", "org-clinic-south", "org-clinic-east"];

/// The organization reference of a legacy facility id (0: none).
fn org(facility: u32) -> Option<String> {
    (facility > 0).then(|| format!("Organization/{}", ORGS[facility as usize - 1]))
}

fn patient(mrn: u32, family: &str, org: Option<String>) -> Value {
    let mut p = json!({"resourceType": "Patient", "active": true,
        "identifier": [{"system": MRN, "value": mrn.to_string()}],
        "name": [{"family": family, "given": ["Ann"]}], "birthDate": "1970-01-01"});
    if let Some(o) = org {
        p["managingOrganization"] = json!({"reference": o});
    }
    p
}

#[tokio::test]
async fn a_fhir_sides_managing_organization_attributes_each_record() {
    let test = "clinic fhir keyed";
    let Some(db) = fresh_postgres(test).await else {
        return;
    };
    let Some(fhir) = fhir_server::start(test).await else {
        return;
    };
    let orgs = ORGS
        .iter()
        .map(|id| json!({"resourceType": "Organization", "id": id, "name": id}))
        .collect();
    fhir.put(orgs).await;
    let mut rows = Vec::new();
    let mut resources = Vec::new();
    for i in 1..=ROWS {
        let family = FAMILIES[(i % 6) as usize];
        rows.push(format!("({}, '{family}', {})", 100_000 + i, i % 4));
        if [3, 7, 11, 8].contains(&i) {
            continue; // missing: three of east's, one of no clinic
        }
        let family = if [5, 9].contains(&i) {
            "Changed"
        } else {
            family
        };
        // 13 (north) moved to east in the new EHR.
        let facility = if i == 13 { 3 } else { i % 4 };
        resources.push(patient(100_000 + i, family, org(facility)));
    }
    for mrn in [900_001, 900_002] {
        resources.push(patient(mrn, "Walkin", org(2)));
    }
    fhir.load(resources).await;
    exec(
        &db,
        &format!(
            "CREATE TABLE patient_data (pubpid integer PRIMARY KEY, lname text, facility_id integer);
             INSERT INTO patient_data VALUES {}",
            rows.join(",")
        ),
    )
    .await;
    let check = |name: &str, from: &str| {
        format!(
            r#"
[[reconcile]]
name = "{name}"
schedule = "0 0 * * * *"
source = {{ from = "legacy", table = "patient_data", key = "pubpid", columns = ["lname"], clinic = "facility_id" }}
target = {{ from = "{from}", resource = "Patient", key = "identifier:{MRN}", columns = ["name.family"], clinic = "managingOrganization.reference" }}
"#
        )
    };
    let config = format!(
        r#"[sources.legacy]
url = "{db}"
[sources.ehr]
fhir = "{base}"
bulk = false
[sources.ehr_bulk]
fhir = "{base}"

[[clinics]]
id = "north"
name = "North Clinic"
codes = ["1", "Organization/org-clinic-north"]

[[clinics]]
id = "south"
name = "South Clinic"
codes = ["2", "Organization/org-clinic-south"]

[[clinics]]
id = "east"
name = "East Family Practice"
codes = ["3", "Organization/org-clinic-east"]
{}{}"#,
        check("by_search", "ehr"),
        check("by_export", "ehr_bulk"),
        base = fhir.base
    );
    let runs = run_checks(&config, Path::new("hc.toml")).await;
    let expected = json!({
        "north": {"missing": 0, "extra": 0, "changed": 3, "source_rows": 30, "target_rows": 29},
        "south": {"missing": 0, "extra": 2, "changed": 0, "source_rows": 30, "target_rows": 32},
        "east": {"missing": 3, "extra": 0, "changed": 0, "source_rows": 30, "target_rows": 28},
        "_unassigned": {"missing": 1, "extra": 0, "changed": 0, "source_rows": 30, "target_rows": 29},
    });
    for name in ["by_search", "by_export"] {
        let d = &runs[name]["details"];
        assert_eq!(d["by_clinic"], expected, "{name}: {d}");
        assert_eq!(
            (
                d["missing"].as_u64(),
                d["extra"].as_u64(),
                d["changed"].as_u64()
            ),
            (Some(4), Some(2), Some(3)),
            "{name}"
        );
        assert_eq!(
            d["changed_columns"]["facility_id"], 1,
            "{name}: the move names the clinic column: {d}"
        );
    }
}
