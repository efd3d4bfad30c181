//! FHIR against FHIR: the old system's facade against the new EHR, two real
//! FHIR servers with planted differences, each side sorted on disk (8,000
//! Patients a side against a 1 MiB sort budget) in a folder that is empty
//! again afterwards. The old facade is searched page by page (`bulk =
//! false`); the new EHR is exported because its CapabilityStatement offers
//! `$export` (`bulk` unset).

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json};

use super::patients::{MRN, legacy, patient};
use crate::helpers::{BIN, write_config};

const N: u32 = 8000;

#[tokio::test]
async fn two_fhir_servers_with_planted_differences() {
    let test = "two_fhir_servers_with_planted_differences";
    let Some(old) = super::start(test).await else {
        return;
    };
    let Some(new) = super::start(test).await else {
        return;
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 1..=N {
        let (mrn, family, given, born) = legacy(i);
        a.push(patient(&mrn, &family, &given, &born, i));
        match i {
            // Never migrated.
            17 | 4242 => {}
            // Retyped at migration.
            99 => b.push(patient(&mrn, "Smyth", &given, &born, i)),
            7001 => b.push(patient(&mrn, &family, &given, "2000-01-01", i)),
            _ => b.push(patient(&mrn, &family, &given, &born, i)),
        }
    }
    b.push(patient("900001", "New", "Walk-in", "2001-02-03", 1));
    tokio::join!(old.load(a), new.load(b));

    let dir = tempfile::tempdir().unwrap();
    let sort_dir = dir.path().join("sort");
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"[sources.old_facade]
fhir = "{old}"
bulk = false
[sources.ehr]
fhir = "{new}"

[[reconcile]]
name = "patients_migrated"
schedule = "0 0 * * * *"
sort_dir = "{sort}"
sort_memory_mb = 1
source = {{ from = "old_facade", resource = "Patient", key = "identifier:{MRN}", columns = ["name.family", "name.given", "birthDate"] }}
target = {{ from = "ehr", resource = "Patient", key = "identifier:{MRN}", columns = ["name.family", "name.given", "birthDate"] }}
"#,
            old = old.base,
            new = new.base,
            sort = sort_dir.display()
        ),
    );
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    let runs: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let d = &runs[0]["details"];
    assert_eq!(runs[0]["status"], "fail", "{:#}", runs[0]);
    assert_eq!(d["missing_keys"], json!(["100017", "104242"]), "{d:#}");
    assert_eq!(d["extra_keys"], json!(["900001"]), "{d:#}");
    let changed: BTreeMap<String, Value> = d["changed_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_string(), c["columns"].clone()))
        .collect();
    assert_eq!(
        changed,
        BTreeMap::from([
            ("100099".to_string(), json!(["name.family"])),
            ("107001".to_string(), json!(["birthDate"])),
        ]),
        "{d:#}"
    );
    assert_eq!(
        (d["source_rows"].as_u64(), d["target_rows"].as_u64()),
        (Some(8000), Some(7999))
    );
    assert!(
        new.exports().is_dir() && !old.exports().exists(),
        "export by capability only"
    );
    let left = std::fs::read_dir(&sort_dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "the sort folder is emptied after the run");
}
