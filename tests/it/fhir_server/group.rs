//! Group-level `$export` (`bulk_group`) on a real FHIR server: the EHR holds
//! 60 Patients, a Group lists the 40 the legacy table holds (the go-live
//! cohort), one of them retyped. Exported by group, the diff sees exactly
//! the cohort (one change, nothing extra); exported at system level, the
//! other 20 Patients are extra; a Group the server does not know ends the
//! check with its 404, and no export job is left on the server.

use std::process::Command;

use serde_json::{Value, json};

use super::patients::{MRN, legacy, patient};
use crate::helpers::{BIN, exec, fresh_postgres, write_config};

#[tokio::test]
async fn group_export_reads_only_the_groups_members() {
    let test = "group_export_reads_only_the_groups_members";
    let Some(db) = fresh_postgres(test).await else {
        return;
    };
    let Some(fhir) = super::start(test).await else {
        return;
    };
    let mut resources = Vec::new();
    let mut rows = Vec::new();
    let mut members = Vec::new();
    for i in 1..=60 {
        let (mrn, family, given, born) = legacy(i);
        let mut p = patient(&mrn, &family, &given, &born, i);
        p["id"] = json!(format!("pat-{i}"));
        resources.push(p);
        if i <= 40 {
            let given = if i == 12 { "Mariah".to_string() } else { given };
            rows.push(format!(
                "('{mrn}', '{}', '{given}', '{born}')",
                family.replace('\'', "''")
            ));
            members.push(json!({"entity": {"reference": format!("Patient/pat-{i}")}}));
        }
    }
    resources.push(
        json!({"resourceType": "Group", "id": "go-live", "type": "person",
        "actual": true, "member": members}),
    );
    fhir.put(resources).await;
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
    let mut text = format!(
        r#"[sources.legacy]
url = "{db}"
[sources.ehr]
fhir = "{base}"
bulk_group = "go-live"
[sources.ehr_all]
fhir = "{base}"
bulk = true
[sources.ehr_unknown_group]
fhir = "{base}"
bulk_group = "no-such-group"
"#,
        base = fhir.base
    );
    for (name, from) in [
        ("by_group", "ehr"),
        ("system_level", "ehr_all"),
        ("unknown_group", "ehr_unknown_group"),
    ] {
        text.push_str(&format!(
            r#"
[[reconcile]]
name = "{name}"
schedule = "0 0 * * * *"
source = {{ from = "legacy", table = "patient_data", key = "pubpid", columns = ["lname", "fname", "dob"] }}
target = {{ from = "{from}", resource = "Patient", key = "identifier:{MRN}", columns = ["name.family", "name.given", "birthDate"] }}
"#
        ));
    }
    let cfg = write_config(dir.path(), &text);
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    let runs: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let run = |name: &str| {
        runs.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no run {name}: {runs:#}"))
            .clone()
    };

    let by_group = run("by_group");
    let d = &by_group["details"];
    assert_eq!(by_group["status"], "fail", "{by_group:#}");
    assert_eq!(d["target_rows"], 40, "{d:#}");
    assert_eq!(d["missing_keys"], json!([]), "{d:#}");
    assert_eq!(d["extra_keys"], json!([]), "{d:#}");
    assert_eq!(
        d["changed_keys"],
        json!([{"key": legacy(12).0, "columns": ["fname"]}]),
        "{d:#}"
    );

    let system = run("system_level");
    let d = &system["details"];
    assert_eq!(d["target_rows"], 60, "{d:#}");
    assert_eq!(d["extra_keys"].as_array().map(Vec::len), Some(20), "{d:#}");

    let unknown = run("unknown_group");
    assert_eq!(unknown["status"], "error", "{unknown:#}");
    let error = unknown["details"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("HTTP 404"), "{unknown:#}");

    let left = std::fs::read_dir(fhir.exports())
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "export files left on the server");
}

#[test]
fn bulk_group_mistakes_are_reported_with_their_lines() {
    let text = "[sources.ehr]\nfhir = \"https://ehr.example.org/fhir\"\nbulk_group = \"Group/go-live\"\n\n[sources.ehr2]\nfhir = \"https://ehr.example.org/fhir\"\nbulk = false\nbulk_group = \"go-live\"\n\n[sources.db]\nurl = \"sqlite::memory:\"\nbulk_group = \"go-live\"\n";
    let errs = hypercare::config::parse(text, std::path::Path::new("f.toml"), &|_| None)
        .unwrap_err()
        .0;
    let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.line, e.message.as_str())).collect();
    for (line, words) in [
        (3, "must be a FHIR id"),
        (8, "cannot go with `bulk = false`"),
        (12, "apply to FHIR sources"),
    ] {
        assert!(
            got.iter().any(|(l, m)| *l == line && m.contains(words)),
            "line {line}, {words}: {got:#?}"
        );
    }
    let ok = text.replace("Group/go-live", "go-live.2026");
    let ok = &ok[..ok.find("\n\n[sources.ehr2]").unwrap()];
    let cfg = hypercare::config::parse(ok, std::path::Path::new("f.toml"), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(format!("{cfg:?}").contains("bulk: Some(true), bulk_group: Some(\"go-live.2026\")"));
}
