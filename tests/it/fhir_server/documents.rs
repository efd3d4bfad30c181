//! A `DocumentReference` inventory read by Bulk Data `$export` from a real
//! FHIR server: statuses skipped by rule, the rest checked, the job deleted.

use serde_json::{Value, json};

use crate::helpers::{BIN, write_config};

fn doc(id: &str, status: &str, doc_status: &str) -> Value {
    json!({"resourceType": "DocumentReference", "id": id, "status": status, "docStatus": doc_status,
        "type": {"coding": [{"system": "http://loinc.org", "code": "11502-2"}]},
        "subject": {"reference": "Patient/p1"}, "date": "2026-11-02T10:00:00Z",
        "content": [{"attachment": {"contentType": "application/pdf", "url": "Binary/b1", "size": 9}}]})
}

#[tokio::test]
async fn a_document_inventory_comes_from_an_export() {
    let test = "a_document_inventory_comes_from_an_export";
    let Some(fhir) = super::start(test).await else {
        return;
    };
    let mut resources = vec![
        json!({"resourceType": "Patient", "id": "p1", "name": [{"family": "Ng"}]}),
        json!({"resourceType": "Binary", "id": "b1", "contentType": "application/pdf", "data": "JVBERi0xLjQK"}),
    ];
    for i in 1..=5 {
        resources.push(doc(&format!("d{i}"), "current", "final"));
    }
    resources.push(doc("d6", "superseded", "final"));
    resources.push(doc("d7", "current", "entered-in-error"));
    fhir.put(resources).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"[sources.ehr]
fhir = "{base}"
bulk = true

[[documents]]
name = "notes"
schedule = "0 0 * * * *"
inventory = {{ from = "ehr" }}
kinds = {{ lab_report = ["11502-2"] }}
content_share = 0.0
"#,
            base = fhir.base
        ),
    );
    let out = std::process::Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    let runs: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let d = &runs[0]["details"];
    assert_eq!(d["inventory"], 5, "{:#}", runs[0]);
    assert_eq!(
        d["skipped"],
        json!({"superseded": 1, "entered-in-error": 1}),
        "{d:#}"
    );
    assert!(fhir.exports().is_dir(), "no export ran");
    let left = std::fs::read_dir(fhir.exports())
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "export files left on the server");
}
