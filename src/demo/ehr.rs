//! The demo's own simulated EHR API: a small FHIR R4-like server on its own
//! loopback port, plainly the demo's (`/target/fhir` is the new EHR,
//! `/legacy/fhir` the legacy one), for the workflow probes to measure.
//!
//! It answers the built-in journeys for any test MRN, with latencies drawn
//! at random around fixed figures. One journey is slow for one clinic on
//! the new system: today's appointment list of clinic `east` takes about
//! 900 ms, where the legacy system took about 60 ms.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// The clinic whose appointment list is slow on the new system.
pub const SLOW_CLINIC: &str = "east";

/// Starts the server on 127.0.0.1 and an ephemeral port; it runs until the process ends.
pub async fn start() -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new()
        .nest("/target/fhir", routes(false))
        .nest("/legacy/fhir", routes(true));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the demo EHR stopped");
        }
    });
    Ok(addr)
}

fn routes(legacy: bool) -> axum::Router {
    let search = move |Query(q): Query<HashMap<String, String>>| patient_search(legacy, q);
    let read = move |Path(id): Path<String>| patient_read(legacy, id);
    let list = move |Path(resource): Path<String>, Query(q): Query<HashMap<String, String>>| {
        resource_list(legacy, resource, q)
    };
    let binary = move |Path(id): Path<String>| binary(legacy, id);
    axum::Router::new()
        .route("/Patient", get(search))
        .route("/Patient/{id}", get(read))
        .route("/Binary/{id}", get(binary))
        .route("/{resource}", get(list))
}

/// Waits about `ms` (±40 %), as a real server's work would.
async fn work(ms: u64) {
    let jitter = 0.6 + fastrand::f64() * 0.8;
    tokio::time::sleep(Duration::from_micros((ms as f64 * 1000.0 * jitter) as u64)).await;
}

fn bundle(entries: Vec<Value>) -> Response {
    Json(
        json!({"resourceType": "Bundle", "type": "searchset", "total": entries.len(),
        "entry": entries.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()}),
    )
    .into_response()
}

async fn patient_search(legacy: bool, q: HashMap<String, String>) -> Response {
    work(if legacy { 45 } else { 30 }).await;
    let Some(mrn) = q.get("identifier").and_then(|i| i.rsplit('|').next()) else {
        return bundle(Vec::new());
    };
    bundle(vec![
        json!({"resourceType": "Patient", "id": format!("pat-{mrn}"),
        "identifier": [{"value": mrn}]}),
    ])
}

async fn patient_read(legacy: bool, id: String) -> Response {
    work(if legacy { 35 } else { 25 }).await;
    Json(json!({"resourceType": "Patient", "id": id, "active": true})).into_response()
}

async fn resource_list(legacy: bool, resource: String, q: HashMap<String, String>) -> Response {
    let patient = q.get("patient").cloned().unwrap_or_default();
    match resource.as_str() {
        "Appointment" => {
            let clinic = q
                .get("location")
                .map_or("", |l| l.trim_start_matches("Location/"));
            let ms = match (legacy, clinic == SLOW_CLINIC) {
                (true, _) => 60,
                (false, true) => 900,
                (false, false) => 50,
            };
            work(ms).await;
            let day = q.get("date").cloned().unwrap_or_default();
            bundle(
                (0..12)
                    .map(|i| {
                        json!({"resourceType": "Appointment", "id": format!("{clinic}-{i}"),
                        "status": "booked", "start": format!("{day}T{:02}:00:00Z", 8 + i % 9)})
                    })
                    .collect(),
            )
        }
        "DocumentReference" => {
            work(if legacy { 70 } else { 40 }).await;
            bundle(vec![
                json!({"resourceType": "DocumentReference", "id": format!("doc-{patient}"),
                "status": "current", "content": [{"attachment": {"contentType": "application/pdf",
                "url": format!("Binary/doc-{patient}")}}]}),
            ])
        }
        "Condition" | "MedicationRequest" | "AllergyIntolerance" => {
            work(if legacy { 40 } else { 20 }).await;
            bundle(
                (0..3)
                    .map(|i| json!({"resourceType": resource, "id": format!("{resource}-{i}")}))
                    .collect(),
            )
        }
        _ => (axum::http::StatusCode::NOT_FOUND, "unknown resource").into_response(),
    }
}

async fn binary(legacy: bool, _id: String) -> Response {
    work(if legacy { 120 } else { 80 }).await;
    ([("content-type", "application/pdf")], vec![b'%'; 4096]).into_response()
}

/// The demo config's workflow section, probing this server at `addr`.
pub fn config_text(addr: SocketAddr) -> String {
    super::template::fill(
        include_str!("templates/workflows.toml"),
        &[("addr", addr.to_string())],
    )
}
