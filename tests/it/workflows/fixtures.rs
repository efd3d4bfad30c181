//! The loopback EHR the workflow tests probe (token endpoint, search,
//! read, list, a route that hangs) with known per-route delays, and config
//! helpers. Shared by `tests/it/workflows/` and `tests/workflow_latency.rs`.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hypercare::checks::Check;
use hypercare::results::{Details, WorkflowDetails};
use serde_json::json;

/// Delays the server adds, per route (milliseconds).
pub(crate) const SEARCH_MS: u64 = 20;
pub(crate) const READ_MS: u64 = 50;
pub(crate) const LIST_MS: u64 = 5;

#[derive(Default)]
pub(crate) struct Ehr {
    pub(crate) tokens_issued: AtomicUsize,
    pub(crate) requests: AtomicUsize,
    /// Query strings of the searches received.
    pub(crate) searches: std::sync::Mutex<Vec<BTreeMap<String, String>>>,
    /// Tokens numbered below this are refused (revoked).
    pub(crate) revoked_below: AtomicUsize,
    /// Handler times the server measured itself, by route (ms).
    pub(crate) handled: std::sync::Mutex<BTreeMap<&'static str, Vec<f64>>>,
}

impl Ehr {
    /// Sleeps `ms` and records how long the handler really took.
    async fn delay(&self, route: &'static str, ms: u64) {
        let clock = std::time::Instant::now();
        tokio::time::sleep(Duration::from_millis(ms)).await;
        let took = clock.elapsed().as_secs_f64() * 1000.0;
        self.handled
            .lock()
            .unwrap()
            .entry(route)
            .or_default()
            .push(took);
    }
}

async fn token(State(s): State<Arc<Ehr>>, headers: HeaderMap, body: String) -> Response {
    // client_id:client_secret by basic auth.
    let ok = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some("Basic cHJvYmU6czNjcmV0");
    if !ok || !body.contains("grant_type=client_credentials") {
        return (axum::http::StatusCode::UNAUTHORIZED, "no").into_response();
    }
    let n = s.tokens_issued.fetch_add(1, Ordering::SeqCst);
    axum::Json(
        json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": 3600}),
    )
    .into_response()
}

fn authorized(ehr: &Ehr, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer tok-"))
        .and_then(|n| n.parse::<usize>().ok())
        .is_some_and(|n| n >= ehr.revoked_below.load(Ordering::SeqCst))
}

async fn search(
    State(s): State<Arc<Ehr>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    s.requests.fetch_add(1, Ordering::SeqCst);
    s.delay("search_patient", SEARCH_MS).await;
    if !authorized(&s, &headers) {
        return (axum::http::StatusCode::UNAUTHORIZED, "token").into_response();
    }
    s.searches.lock().unwrap().push(q.clone());
    let mrn = q.get("identifier").cloned().unwrap_or_default();
    let id = mrn.rsplit('|').next().unwrap_or("").to_string();
    axum::Json(
        json!({"resourceType": "Bundle", "type": "searchset", "total": 1,
        "entry": [{"resource": {"resourceType": "Patient", "id": format!("p{id}")}}]}),
    )
    .into_response()
}

async fn read(State(s): State<Arc<Ehr>>, Path(id): Path<String>) -> Response {
    s.delay("read_patient", READ_MS).await;
    axum::Json(json!({"resourceType": "Patient", "id": id})).into_response()
}

async fn list(State(s): State<Arc<Ehr>>) -> Response {
    s.delay("conditions", LIST_MS).await;
    axum::Json(json!({"resourceType": "Bundle", "type": "searchset", "total": 2,
        "entry": [{"resource": {"resourceType": "Condition", "id": "c1"}}, {"resource": {"resourceType": "Condition", "id": "c2"}}]}))
    .into_response()
}

async fn hang() -> Response {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "late".into_response()
}

/// Serves the EHR on loopback; its base URL.
pub(crate) async fn serve() -> (String, Arc<Ehr>) {
    let ehr = Arc::new(Ehr::default());
    let app = axum::Router::new()
        .route("/token", post(token))
        .route("/fhir/Patient", get(search))
        .route("/fhir/Patient/{id}", get(read))
        .route("/fhir/Condition", get(list))
        .route("/fhir/Slow", get(hang))
        .with_state(ehr.clone());
    // On its own thread and runtime, so the probe's work does not delay
    // the server's timers: the injected delays stay what they say.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await
        })
    });
    (format!("http://127.0.0.1:{port}"), ehr)
}

pub(crate) fn source(base: &str) -> String {
    format!(
        r#"
[sources.ehr]
fhir = "{base}/fhir"
token_url = "{base}/token"
client_id = "probe"
client_secret_env = "HC_TEST_SECRET"
scope = "system/*.read"
"#
    )
}

pub(crate) const CHART: &str = r#"
[[workflows]]
name = "open_chart"
schedule = "0 0 * * * *"
target = "ehr"
slo_latency = "500ms"
slo_objective = "99%"
baseline_p50 = "40ms"
baseline_p95 = "60ms"
vars = { system = "urn:oid:1.2.3" }
pools = { mrn = ["1001", "1002", "1003"] }

[[workflows.steps]]
name = "search_patient"
path = "Patient"
query = { identifier = "{{system}}|{{mrn}}" }
extract = { patient_id = "entry[0].resource.id" }
expect = { status = 200, count = 1 }

[[workflows.steps]]
name = "read_patient"
path = "Patient/{{patient_id}}"
expect = { json = { "/resourceType" = "Patient" } }

[[workflows.steps]]
name = "conditions"
path = "Condition"
query = { patient = "{{patient_id}}" }
expect = { min_count = 1 }
"#;

pub(crate) fn load(dir: &std::path::Path, text: &str) -> hypercare::config::Config {
    let env = |n: &str| (n == "HC_TEST_SECRET").then(|| "s3cret".to_string());
    hypercare::config::parse(text, &dir.join("hypercare.toml"), &env)
        .unwrap_or_else(|e| panic!("config:\n{e}"))
}

pub(crate) fn build(config: &hypercare::config::Config, name: &str) -> Arc<dyn Check> {
    let sources = hypercare::sources::Sources::from_config(config).unwrap();
    hypercare::checks::build_all(config, &sources)
        .into_iter()
        .find(|c| c.meta().name.as_str() == name)
        .unwrap()
}

pub(crate) fn workflow(d: &Details) -> &WorkflowDetails {
    d.workflow().expect("workflow details")
}
