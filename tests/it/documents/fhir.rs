//! A FHIR inventory on loopback: DocumentReference pages followed by their
//! `next` links, relative `Binary/…` urls resolved against the base and read
//! as raw bytes (non-FHIR `Accept`) with the source's token, superseded and
//! entered-in-error documents skipped by rule, links checked with `_id`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hypercare::checks::RunInput;
use hypercare::results::{Ledger, Reason};
use serde_json::{Value, json};

use super::fixtures::{details, expect, failures, pdf, sha1_base64};

#[derive(Default)]
struct Seen {
    /// `Accept` of every Binary read, and whether it carried the token.
    binary: Mutex<Vec<(String, bool)>>,
    pages: Mutex<Vec<String>>,
}

fn authorized(h: &HeaderMap) -> bool {
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer doc-token")
}

fn doc_ref(id: &str, status: &str, patient: &str, binary: &str, bytes: &[u8]) -> Value {
    json!({
        "resourceType": "DocumentReference", "id": id, "status": status,
        "type": {"coding": [{"system": "http://loinc.org", "code": "11502-2"}]},
        "subject": {"reference": format!("Patient/{patient}")},
        "date": "2024-05-01T10:00:00Z",
        "context": {"encounter": [{"reference": "Encounter/e1"}]},
        "content": [{"attachment": {
            "contentType": "application/pdf", "url": binary,
            "size": bytes.len(), "hash": sha1_base64(bytes)
        }}]
    })
}

async fn documents(
    State(s): State<Arc<Seen>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let page = q.get("page").cloned().unwrap_or_else(|| "1".into());
    s.pages.lock().unwrap().push(page.clone());
    let (entries, next) = match page.as_str() {
        "1" => (
            vec![
                doc_ref("d1", "current", "p1", "Binary/b1", &pdf("one")),
                doc_ref("d2", "current", "p1", "Binary/b2", &pdf("two")),
                doc_ref("d3", "superseded", "p1", "Binary/gone", &pdf("three")),
            ],
            Some("DocumentReference?page=2&_count=3"),
        ),
        _ => (
            vec![
                doc_ref("d4", "current", "p1", "Binary/gone", &pdf("four")),
                doc_ref("d5", "entered-in-error", "p1", "Binary/gone", &pdf("five")),
                doc_ref("d6", "current", "p-missing", "Binary/b1", &pdf("one")),
                // An absolute URL on the same server also gets the token.
                doc_ref("d7", "current", "p1", "BASE/Binary/b1", &pdf("one")),
            ],
            None,
        ),
    };
    let base = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}/fhir"))
        .unwrap_or_default();
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|mut r| {
            if let Some(u) = r.pointer_mut("/content/0/attachment/url") {
                *u = json!(u.as_str().unwrap_or("").replace("BASE", &base));
            }
            json!({"resource": r})
        })
        .collect();
    let mut bundle = json!({"resourceType": "Bundle", "type": "searchset", "entry": entries});
    if let Some(n) = next {
        bundle["link"] = json!([{"relation": "next", "url": format!("{base}/{n}")}]);
    }
    axum::Json(bundle).into_response()
}

async fn binary(
    State(s): State<Arc<Seen>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    s.binary
        .lock()
        .unwrap()
        .push((accept.clone(), authorized(&headers)));
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let bytes = match id.as_str() {
        "b1" => pdf("one"),
        // Same length, one byte changed after its hash was taken.
        "b2" => pdf("tw0"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    if accept.contains("fhir") {
        let data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes);
        return axum::Json(
            json!({"resourceType": "Binary", "contentType": "application/pdf", "data": data}),
        )
        .into_response();
    }
    ([("content-type", "application/pdf")], bytes).into_response()
}

async fn search(
    headers: HeaderMap,
    Path(resource): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let known: &[&str] = if resource == "Patient" {
        &["p1"]
    } else {
        &["e1"]
    };
    let entries: Vec<Value> = q
        .get("_id")
        .map(|ids| {
            ids.split(',')
                .filter(|id| known.contains(id))
                .map(|id| json!({"resource": {"resourceType": resource, "id": id}}))
                .collect()
        })
        .unwrap_or_default();
    axum::Json(json!({"resourceType": "Bundle", "type": "searchset", "entry": entries}))
        .into_response()
}

#[tokio::test]
async fn a_fhir_inventory_is_paged_and_its_relative_binary_urls_are_read_as_raw_bytes() {
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route("/fhir/DocumentReference", get(documents))
        .route("/fhir/Binary/{id}", get(binary))
        .route("/fhir/{resource}", get(search))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let text = format!(
        r#"
[sources.ehr]
fhir = "http://{addr}/fhir"
token_env = "DOC_TOKEN"

[[documents]]
name = "fhir_docs"
schedule = "0 0 * * * *"
inventory = {{ from = "ehr", params = "_count=3" }}
links = {{ from = "ehr" }}
kinds = {{ lab_report = ["11502-2"] }}
content_share = 1.0
"#
    );
    let cfg = hypercare::config::parse(&text, std::path::Path::new("f.toml"), &|v| {
        (v == "DOC_TOKEN").then(|| "doc-token".to_string())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let sources = hypercare::sources::Sources::from_config(&cfg).expect("sources");
    let check = hypercare::checks::build_all(&cfg, &sources).remove(0);
    let result = check
        .run(RunInput::remembering(None, Ledger::default()))
        .await
        .result;
    let d = details(&result);
    assert_eq!(
        failures(d),
        expect(&[
            ("d2", Reason::HashMismatch),
            ("d4", Reason::NotFound),
            ("d6", Reason::BrokenLink),
        ]),
        "{}",
        result.summary
    );
    assert_eq!(d.inventory, 5);
    assert_eq!(d.skipped.get("superseded"), Some(&1));
    assert_eq!(d.skipped.get("entered-in-error"), Some(&1));
    assert_eq!(d.kinds["lab_report"].checked, 5);
    assert_eq!(*seen.pages.lock().unwrap(), ["1", "2"]);
    let binary = seen.binary.lock().unwrap().clone();
    // d1, d2, d4 and d7 (d6 fails on its link before any read).
    assert_eq!(binary.len(), 4, "{binary:?}");
    assert!(
        binary
            .iter()
            .all(|(accept, token)| *token && !accept.contains("fhir")),
        "every Binary read asks raw bytes with the token: {binary:?}"
    );
    sources.close().await;
}
