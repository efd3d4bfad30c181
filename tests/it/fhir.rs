//! Count reconciliation against a FHIR R4 server on loopback.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::helpers::{BIN, exec, write_config};

#[derive(Default)]
struct Server {
    requests: AtomicUsize,
    throttled: AtomicUsize,
}

/// `GET /fhir/Patient?…&_summary=count`: bearer token required; the first
/// request is answered 429 with Retry-After; counts per organization.
async fn patients(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer secret-token") {
        let oo = json!({"resourceType": "OperationOutcome", "issue": [{"code": "login", "diagnostics": "invalid token"}]});
        return (StatusCode::UNAUTHORIZED, axum::Json(oo)).into_response();
    }
    if s.requests.fetch_add(1, Ordering::SeqCst) == 0 {
        s.throttled.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response();
    }
    assert_eq!(q.get("_summary").map(String::as_str), Some("count"));
    assert_eq!(q.get("active").map(String::as_str), Some("true"));
    let total = match q.get("organization").map(String::as_str) {
        Some("Organization/1") => 100,
        Some("Organization/2") => 48,
        Some("Organization/3") => 20,
        Some(_) => 0,
        // Some servers leave out Bundle.type: read the total anyway.
        None => return axum::Json(json!({"resourceType": "Bundle", "meta": {"tag": [{"code": "SUBSETTED"}]}, "total": 170})).into_response(),
    };
    axum::Json(json!({"resourceType": "Bundle", "type": "searchset", "total": total}))
        .into_response()
}

fn run(cfg: &std::path::Path, token: &str) -> (Option<i32>, Vec<Value>) {
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(cfg)
        .env("HC_TEST_FHIR_TOKEN", token)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v.as_array().unwrap().clone())
}

// Multi-threaded: the check runs as a blocking child process while this
// runtime serves the FHIR endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_against_fhir_retry_after_429_and_compare_per_group() {
    let server = Arc::new(Server::default());
    let app = axum::Router::new()
        .route("/fhir/Patient", get(patients))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/legacy.db", dir.path().display());
    let rows: Vec<String> = (0..170)
        .map(|i| {
            format!(
                "({i}, '{}')",
                if i < 100 {
                    "north"
                } else if i < 150 {
                    "south"
                } else {
                    "east"
                }
            )
        })
        .collect();
    exec(
        &db,
        &format!(
            "CREATE TABLE patients (id INT, clinic TEXT); INSERT INTO patients VALUES {}",
            rows.join(",")
        ),
    )
    .await;
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"[sources.legacy]
url = "{db}"
[sources.ehr]
fhir = "http://127.0.0.1:{port}/fhir"
token_env = "HC_TEST_FHIR_TOKEN"
max_retries = 2

[[reconcile]]
name = "patients_total"
schedule = "0 * * * * *"
source = {{ from = "legacy", sql = "SELECT COUNT(*) FROM patients" }}
target = {{ from = "ehr", resource = "Patient", params = "active=true" }}

[[reconcile]]
name = "patients_by_clinic"
schedule = "0 * * * * *"
source = {{ from = "legacy", sql = "SELECT clinic, COUNT(*) FROM patients GROUP BY clinic" }}
target = {{ from = "ehr", resource = "Patient", params = "active=true", group_param = "organization", groups = {{ north = "Organization/1", south = "Organization/2", east = "Organization/3" }} }}
"#
        ),
    );
    let (code, runs) = run(&cfg, "secret-token");
    assert_eq!(code, Some(1), "{runs:#?}");
    assert_eq!(
        server.throttled.load(Ordering::SeqCst),
        1,
        "the 429 was retried, not fatal"
    );
    let total = runs.iter().find(|r| r["name"] == "patients_total").unwrap();
    assert_eq!(total["status"], "pass", "{total:#}");
    assert_eq!(total["details"]["target_count"], 170);
    let groups = runs
        .iter()
        .find(|r| r["name"] == "patients_by_clinic")
        .unwrap();
    assert_eq!(groups["status"], "fail");
    assert_eq!(groups["details"]["groups"]["south"]["target"], 48);
    assert_eq!(groups["details"]["groups"]["south"]["difference"], -2);
    assert_eq!(groups["details"]["groups"]["north"]["difference"], 0);

    // A rejected token is an error naming the target and the status, with the server's diagnostics.
    let (code, runs) = run(&cfg, "wrong");
    assert_eq!(code, Some(2));
    // The summary says what failed where; the server's words (which could
    // echo a search value) stay in the details.
    let summary = runs[0]["summary"].as_str().unwrap();
    assert_eq!(summary, "target `ehr`: query failed");
    let error = runs[0]["details"]["error"].as_str().unwrap();
    assert!(
        error.contains("401") && error.contains("invalid token"),
        "{error}"
    );
}

#[test]
fn fhir_config_mistakes_are_reported_with_their_lines() {
    let text = "[sources.ehr]\nfhir = \"ftp://x/fhir\"\nurl = \"sqlite::memory:\"\nusername = \"svc\"\n\n[sources.db]\nurl = \"sqlite::memory:\"\ntoken_env = \"T\"\n\n[[reconcile]]\nname = \"c\"\nschedule = \"0 * * * * *\"\nsource = { from = \"db\", sql = \"SELECT 1\" }\ntarget = { from = \"ehr\", resource = \"patient\", sql = \"SELECT 1\" }\n";
    let errs = hypercare::config::parse(text, std::path::Path::new("f.toml"), &|_| None)
        .unwrap_err()
        .0;
    let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert!(
        got.iter().any(|(l, m)| *l == 2 && m.contains("http(s)")),
        "{got:#?}"
    );
    assert!(
        got.iter().any(|(l, m)| *l == 3 && m.contains("not both")),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|(l, m)| *l == 8 && m.contains("FHIR sources")),
        "{got:#?}"
    );
    assert!(
        got.iter().any(|(l, m)| *l == 14 && m.contains("not `sql`")),
        "{got:#?}"
    );
}
