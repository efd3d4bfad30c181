//! Keyed diff of a SQL side against a FHIR R4 server on loopback: paging
//! with `next` links, `_elements`, `_summary=count`, 429 with Retry-After,
//! a bearer token, and values normalized on both sides.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::helpers::{BIN, exec, write_config};

#[derive(Default)]
struct Server {
    port: AtomicUsize,
    throttled: AtomicUsize,
    /// The `_elements` and `_count` of every search page asked for.
    asked: Mutex<Vec<(String, String)>>,
}

fn patient(mrn: Option<&str>, born: &str, family: &str, active: bool, died: Option<&str>) -> Value {
    let mut identifier = vec![json!({"system": "urn:other", "value": "X"})];
    if let Some(m) = mrn {
        identifier.push(json!({"system": "urn:mrn", "value": m}));
    }
    let mut p = json!({"resourceType": "Patient", "id": format!("p-{}", mrn.unwrap_or("none")),
        "identifier": identifier, "birthDate": born, "name": [{"family": family, "given": ["A"]}],
        "active": active});
    if let Some(d) = died {
        p["deceasedDateTime"] = json!(d);
    }
    p
}

/// What the FHIR server holds. Against the SQL side (M1..M10): M3 is
/// missing, M11 extra, M5's birth date and M8's active flag differ, M9 is
/// there twice, one patient has no MRN. M7's family differs only in case
/// and trailing space (equal under `trim lower`), M2's death time is the
/// same instant written with an offset.
fn patients() -> Vec<Value> {
    let mut v = Vec::new();
    for i in [1, 2, 4, 5, 6, 7, 8, 9, 9, 10, 11] {
        let mrn = format!("M{i}");
        let born = if i == 5 {
            "1970-01-01".to_string()
        } else {
            format!("1980-01-{i:02}")
        };
        let family = if i == 7 {
            "NG ".to_string()
        } else {
            format!("Fam{i}")
        };
        let died = (i == 2).then_some("2024-05-01T12:00:00+02:00");
        v.push(patient(Some(&mrn), &born, &family, i != 8, died));
    }
    v.push(patient(None, "1990-01-01", "Nomrn", true, None));
    v
}

async fn search(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer t0ken") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let all = patients();
    if q.get("_summary").map(String::as_str) == Some("count") {
        return axum::Json(
            json!({"resourceType": "Bundle", "type": "searchset", "total": all.len()}),
        )
        .into_response();
    }
    let count: usize = q.get("_count").and_then(|c| c.parse().ok()).unwrap_or(10);
    let offset: usize = q.get("_offset").and_then(|c| c.parse().ok()).unwrap_or(0);
    // The second page is throttled once.
    if offset == count && s.throttled.fetch_add(1, Ordering::SeqCst) == 0 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "busy",
        )
            .into_response();
    }
    s.asked.lock().unwrap().push((
        q.get("_elements").cloned().unwrap_or_default(),
        q.get("_count").cloned().unwrap_or_default(),
    ));
    let mut entry: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(count)
        .map(|r| json!({"resource": r, "search": {"mode": "match"}}))
        .collect();
    // An included resource is not a match: it must be passed over.
    entry.push(json!({"resource": {"resourceType": "Organization", "id": "o1"}, "search": {"mode": "include"}}));
    let mut link = vec![json!({"relation": "self", "url": "ignored"})];
    if offset + count < all.len() {
        let port = s.port.load(Ordering::SeqCst);
        let mut next = url::Url::parse(&format!("http://127.0.0.1:{port}/fhir/Patient")).unwrap();
        for (k, v) in &q {
            if k != "_offset" {
                next.query_pairs_mut().append_pair(k, v);
            }
        }
        next.query_pairs_mut()
            .append_pair("_offset", &(offset + count).to_string());
        link.push(json!({"relation": "next", "url": next.as_str()}));
    }
    axum::Json(json!({"resourceType": "Bundle", "type": "searchset", "link": link, "entry": entry}))
        .into_response()
}

/// A server whose `next` link points at another host: not followed.
async fn practitioners(headers: HeaderMap) -> Response {
    if headers.get("authorization").is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    axum::Json(json!({"resourceType": "Bundle", "entry": [],
        "link": [{"relation": "next", "url": "http://elsewhere.example/fhir/Practitioner?page=2"}]}))
    .into_response()
}

/// A page of 2 MiB: over a 1 MiB `max_response_mb`.
async fn locations() -> Response {
    let big = "x".repeat(2 << 20);
    axum::Json(json!({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Location", "id": "l1", "name": big}}]}))
        .into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_diff_against_fhir_pages_normalizes_and_names_each_record() {
    let server = Arc::new(Server::default());
    let app = axum::Router::new()
        .route("/fhir/Patient", get(search))
        .route("/fhir/Practitioner", get(practitioners))
        .route("/fhir/Location", get(locations))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    server.port.store(port.into(), Ordering::SeqCst);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/legacy.db", dir.path().display());
    let rows: Vec<String> = (1..=10)
        .map(|i| {
            let family = if i == 7 {
                "Ng".to_string()
            } else {
                format!("Fam{i}")
            };
            let died = if i == 2 {
                "'2024-05-01 10:00:00'"
            } else {
                "NULL"
            };
            format!("('M{i}', '1980-01-{i:02}', '{family}', 1, {died})")
        })
        .collect();
    exec(
        &db,
        &format!(
            "CREATE TABLE patient (mrn TEXT, birth_date DATE, family TEXT, active BOOLEAN, died DATETIME);
             INSERT INTO patient VALUES {}; CREATE TABLE staff (id INTEGER)",
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
[sources.ehr_small]
fhir = "http://127.0.0.1:{port}/fhir"
max_response_mb = 1

[[reconcile]]
name = "locations"
schedule = "0 * * * * *"
source = {{ from = "ehr_small", resource = "Location", key = "id" }}
target = {{ from = "legacy", table = "staff", key = "id" }}

[[reconcile]]
name = "patients_fhir"
schedule = "0 * * * * *"
compare = {{ family = "trim lower" }}
source = {{ from = "legacy", table = "patient", key = "mrn", columns = ["birth_date", "family", "active", "died"] }}
target = {{ from = "ehr", resource = "Patient", params = "_count=3", key = "identifier:urn:mrn", columns = ["birthDate", "name[0].family", "active", "deceasedDateTime"] }}

[[reconcile]]
name = "patients_count"
schedule = "0 * * * * *"
source = {{ from = "legacy", sql = "SELECT COUNT(*) FROM patient" }}
target = {{ from = "ehr", resource = "Patient" }}

[[reconcile]]
name = "staff"
schedule = "0 * * * * *"
source = {{ from = "ehr", resource = "Practitioner", key = "id" }}
target = {{ from = "legacy", table = "staff", key = "id" }}
"#
        ),
    );
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(&cfg)
        .env("HC_TEST_FHIR_TOKEN", "t0ken")
        .output()
        .unwrap();
    let runs: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let by_name = |n: &str| {
        runs.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()
            .clone()
    };

    let keyed = by_name("patients_fhir");
    let d = &keyed["details"];
    assert_eq!(keyed["status"], "fail", "{keyed:#}");
    assert_eq!(d["mode"], "fhir-stream");
    assert_eq!(d["missing_keys"], json!(["M3"]), "{d:#}");
    assert_eq!(d["extra_keys"], json!(["M11"]), "{d:#}");
    let changed: BTreeMap<String, Value> = d["changed_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_string(), c["columns"].clone()))
        .collect();
    assert_eq!(
        changed,
        BTreeMap::from([
            ("M5".to_string(), json!(["birth_date"])),
            ("M8".to_string(), json!(["active"])),
        ]),
        "M2's instant and M7's family compare equal: {d:#}"
    );
    assert_eq!(d["duplicate_keys"]["target"], 1);
    assert_eq!(d["duplicate_keys"]["keys"], json!(["M9"]));
    assert_eq!(d["null_keys"]["target"], 1);
    assert_eq!(
        (d["source_rows"].as_u64(), d["target_rows"].as_u64()),
        (Some(10), Some(11))
    );
    // Keys stay out of the summary.
    let summary = keyed["summary"].as_str().unwrap();
    assert!(
        !summary.contains("M3") && !summary.contains("M11"),
        "{summary}"
    );

    // Four pages of three (12 patients), each asking only for what is
    // compared; the 429 on page two was waited out (asked twice, served once).
    let asked = server.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 4, "{asked:?}");
    assert!(
        asked
            .iter()
            .all(|(e, c)| e == "identifier,birthDate,name,active,deceasedDateTime" && c == "3"),
        "{asked:?}"
    );
    assert_eq!(server.throttled.load(Ordering::SeqCst), 2);

    let count = by_name("patients_count");
    assert_eq!(count["details"]["target_count"], 12, "{count:#}");

    // A next link to another server would carry the token there: refused.
    let staff = by_name("staff");
    assert_eq!(staff["status"], "error");
    assert_eq!(staff["summary"], "source `ehr`: unexpected result");
    let error = staff["details"]["error"].as_str().unwrap();
    assert!(error.contains("another server"), "{error}");

    // A page over the source's cap is refused, naming the key to raise.
    let locations = by_name("locations");
    assert_eq!(locations["status"], "error", "{locations:#}");
    let error = locations["details"]["error"].as_str().unwrap();
    assert!(error.contains("max_response_mb"), "{error}");
}

#[test]
fn fhir_keyed_side_mistakes_are_reported_with_their_lines() {
    let text = "[sources.ehr]\nfhir = \"http://x/fhir\"\n[sources.db]\nurl = \"sqlite::memory:\"\n\n[[reconcile]]\nname = \"k\"\nschedule = \"0 * * * * *\"\nsource = { from = \"db\", table = \"p\", key = \"id\", columns = [\"a\"] }\ntarget = { from = \"ehr\", resource = \"Patient\", key = \"mrn\", columns = [\"name[x]\", \"extension(http://x).valueCode\"], where = \"1 = 1\" }\n";
    let errs = hypercare::config::parse(text, std::path::Path::new("k.toml"), &|_| None)
        .unwrap_err()
        .0;
    let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.line, e.message.as_str())).collect();
    for needle in [
        "not a FHIR key",
        "`name[x]` is not a path",
        "`extension(http://x).valueCode` is not a path",
        "not `where`",
    ] {
        assert!(
            got.iter().any(|(l, m)| *l == 10 && m.contains(needle)),
            "{needle}: {got:#?}"
        );
    }
}

#[test]
fn a_fhir_side_is_incremental_by_last_updated_only() {
    let side = |updated: &str| {
        format!(
            "[sources.ehr]\nfhir = \"http://x/fhir\"\n[sources.db]\nurl = \"sqlite::memory:\"\n\n[[reconcile]]\nname = \"k\"\nschedule = \"0 * * * * *\"\nsource = {{ from = \"db\", table = \"p\", key = \"id\", columns = [\"a\"], updated = \"changed\" }}\ntarget = {{ from = \"ehr\", resource = \"Patient\", key = \"id\", columns = [\"birthDate\"], updated = \"{updated}\" }}\n"
        )
    };
    let parse = |t: &str| hypercare::config::parse(t, std::path::Path::new("k.toml"), &|_| None);
    let cfg = parse(&side("_lastUpdated")).unwrap();
    let hypercare::config::Comparison::Keyed(k) = &cfg.reconcile[0].compare else {
        panic!("not a keyed diff")
    };
    assert!(k.incremental());
    let errs = parse(&side("meta.versionId")).unwrap_err().0;
    assert!(
        errs.iter()
            .any(|e| e.line == 10 && e.message.contains("`updated` is `_lastUpdated`")),
        "{errs:#?}"
    );
}
