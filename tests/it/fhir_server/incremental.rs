//! Incremental runs against a real FHIR server: `_lastUpdated` (search) and
//! `_since` (`$export`) play the part of the `updated` column. hypercare
//! talks to SEKMET through a counting HTTP proxy (SEKMET's own links name
//! the proxy), so the test sees every request an incremental run makes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use hypercare::checks::RunInput;
use hypercare::results::{CheckResult, KeyedDiff};
use serde_json::Value;

use super::patients::{MRN, legacy, patient};
use crate::helpers::{exec, free_port, fresh_postgres, write_config};

const N: u32 = 300;

/// Forwards every request to `upstream` and remembers its path and query.
async fn counting_proxy(port: u16, upstream: String) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (log, http) = (seen.clone(), reqwest::Client::new());
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (log, http, upstream) = (log.clone(), http.clone(), upstream.clone());
            async move {
                let path = uri
                    .path_and_query()
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                log.lock().unwrap().push(format!("{method} {path}"));
                let mut req = http.request(method, format!("{upstream}{path}")).body(body);
                for (k, v) in headers.iter().filter(|(k, _)| *k != "host") {
                    req = req.header(k, v);
                }
                let resp = req.send().await.expect("upstream");
                let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
                let mut out = HeaderMap::new();
                for (k, v) in resp.headers() {
                    if k != "content-length" && k != "transfer-encoding" {
                        out.insert(k, v.clone());
                    }
                }
                (status, out, resp.bytes().await.expect("upstream body"))
            }
        },
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind proxy");
    tokio::spawn(async move { axum::serve(listener, app).await });
    seen
}

fn keyed(r: &CheckResult) -> KeyedDiff {
    let d = r.details.reconcile().expect("reconcile details");
    d.keyed.as_deref().expect("keyed diff").clone()
}

fn config(db: &str, base: &str, bulk: bool) -> String {
    format!(
        r#"[sources.legacy]
url = "{db}"
[sources.ehr]
fhir = "{base}"
bulk = {bulk}

[[reconcile]]
name = "patients"
schedule = "0 0 * * * *"
source = {{ from = "legacy", table = "patient_data", key = "pubpid", columns = ["lname", "fname", "dob"], updated = "updated" }}
target = {{ from = "ehr", resource = "Patient", key = "identifier:{MRN}", columns = ["name.family", "name.given", "birthDate"], updated = "_lastUpdated" }}
"#
    )
}

#[tokio::test]
async fn an_incremental_run_reads_only_the_changed_patients() {
    let test = "an_incremental_run_reads_only_the_changed_patients";
    let Some(db) = fresh_postgres(test).await else {
        return;
    };
    let port = free_port();
    let front = format!("http://127.0.0.1:{port}/fhir");
    let dir = tempfile::tempdir().unwrap();
    let Some(fhir) = super::start_with(test, dir, &format!("base_url: {front}\n")).await else {
        return;
    };
    let upstream = fhir.base.trim_end_matches("/fhir").to_string();
    let seen = counting_proxy(port, upstream).await;

    let mut rows = Vec::new();
    let mut resources = Vec::new();
    for i in 1..=N {
        let (mrn, family, given, born) = legacy(i);
        rows.push(format!(
            "('{mrn}', '{}', '{given}', '{born}', '2020-01-01 00:00:00')",
            family.replace('\'', "''")
        ));
        let mut p = patient(&mrn, &family, &given, &born, i);
        p["id"] = format!("p{i}").into();
        resources.push(p);
    }
    fhir.put(resources.clone()).await;
    exec(
        &db,
        &format!(
            "CREATE TABLE patient_data (pubpid VARCHAR(255), lname VARCHAR(255), fname VARCHAR(255), dob DATE, updated TIMESTAMP(6) NOT NULL);
             INSERT INTO patient_data VALUES {}",
            rows.join(",")
        ),
    )
    .await;

    let work = tempfile::tempdir().unwrap();
    let check = |bulk: bool| {
        let path = write_config(work.path(), &config(&db, &front, bulk));
        let cfg = hypercare::config::load(&path).unwrap();
        let sources = hypercare::sources::Sources::from_config(&cfg).unwrap();
        hypercare::checks::build_all(&cfg, &sources).remove(0)
    };
    let (search, export) = (check(false), check(true));
    let first = |c: &Arc<dyn hypercare::checks::Check>| {
        let c = c.clone();
        async move {
            c.run(RunInput::remembering(None, Default::default()))
                .await
                .result
        }
    };
    let (s1, e1) = (first(&search).await, first(&export).await);
    for r in [&s1, &e1] {
        let d = keyed(r);
        assert_eq!(d.sweep.as_ref().unwrap().kind, "full", "{}", r.summary);
        assert_eq!(
            (d.source_rows, d.target_rows, d.discrepancies()),
            (300, 300, 0),
            "{}",
            r.summary
        );
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Ten Patients change in the new EHR; two records change in the legacy table.
    let changed: Vec<Value> = (1..=10)
        .map(|j| {
            let mut p = resources[(j * 29) as usize].clone();
            p["name"][0]["family"] = "Retyped".into();
            p
        })
        .collect();
    fhir.put(changed).await;
    exec(
        &db,
        "UPDATE patient_data SET fname = 'Renamed', updated = now() AT TIME ZONE 'UTC' WHERE pubpid IN ('100005', '100006')",
    )
    .await;

    seen.lock().unwrap().clear();
    let again = |c: &Arc<dyn hypercare::checks::Check>, prev: &CheckResult| {
        let (c, prev) = (c.clone(), Some(prev.details.clone()));
        async move {
            c.run(RunInput::remembering(prev, Default::default()))
                .await
                .result
        }
    };
    let s2 = again(&search, &s1).await;
    let asked = std::mem::take(&mut *seen.lock().unwrap());
    // One search for what changed since the first run, one for the two
    // legacy keys that changed on the other side: nothing else.
    assert_eq!(asked.len(), 2, "{asked:#?}");
    assert!(asked[0].contains("_lastUpdated=ge"), "{asked:#?}");
    assert!(asked[1].contains("identifier="), "{asked:#?}");
    let e2 = again(&export, &e1).await;
    let exported = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        exported
            .iter()
            .any(|r| r.contains("export") && r.contains("_since=")),
        "{exported:#?}"
    );
    for r in [&s2, &e2] {
        let d = keyed(r);
        assert_eq!(
            d.sweep.as_ref().unwrap().kind,
            "incremental",
            "{}",
            r.summary
        );
        assert_eq!(d.mode, "incremental");
        assert_eq!((d.source_rows, d.target_rows), (12, 12), "{}", r.summary);
        assert_eq!((d.changed, d.missing, d.extra), (12, 0, 0), "{}", r.summary);
        let retyped = d
            .changed_keys
            .iter()
            .filter(|c| c.columns == ["lname"])
            .count();
        assert_eq!(retyped, 10, "{:?}", d.changed_keys);
    }
}
