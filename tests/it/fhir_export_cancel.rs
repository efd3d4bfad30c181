//! A Bulk Data export that never finishes: the run is cancelled (its future
//! dropped, as the scheduler's timeout and the shutdown drain do) while it
//! polls, and the job is still deleted on the server. A loopback server
//! written to the specification, since a real one finishes too fast.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hypercare::checks::RunInput;
use hypercare::results::Ledger;

#[derive(Default)]
struct Server {
    port: AtomicUsize,
    polls: AtomicUsize,
    deleted: AtomicUsize,
}

async fn kick_off(State(s): State<Arc<Server>>, headers: HeaderMap) -> Response {
    if headers.get("prefer").and_then(|v| v.to_str().ok()) != Some("respond-async") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let port = s.port.load(Ordering::SeqCst);
    let loc = format!("http://127.0.0.1:{port}/fhir/jobs/7");
    (StatusCode::ACCEPTED, [("content-location", loc)]).into_response()
}

async fn status(State(s): State<Arc<Server>>) -> Response {
    s.polls.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::ACCEPTED,
        [("x-progress", "12%"), ("retry-after", "1")],
    )
        .into_response()
}

async fn delete(State(s): State<Arc<Server>>) -> StatusCode {
    s.deleted.fetch_add(1, Ordering::SeqCst);
    StatusCode::ACCEPTED
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_export_deletes_its_job() {
    let server = Arc::new(Server::default());
    let app = axum::Router::new()
        .route("/fhir/$export", get(kick_off))
        .route("/fhir/jobs/7", get(status).delete(delete))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    server.port.store(port.into(), Ordering::SeqCst);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let text = format!(
        r#"[sources.a]
fhir = "http://127.0.0.1:{port}/fhir"
bulk = true
[sources.b]
fhir = "http://127.0.0.1:{port}/fhir"
bulk = false

[[reconcile]]
name = "export"
schedule = "0 0 * * * *"
source = {{ from = "a", resource = "Patient", key = "id" }}
target = {{ from = "b", resource = "Patient", key = "id" }}
"#
    );
    let cfg = hypercare::config::parse(&text, std::path::Path::new("x.toml"), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let sources = hypercare::sources::Sources::from_config(&cfg).expect("sources");
    let check = hypercare::checks::build_all(&cfg, &sources).remove(0);
    let run = check.run(RunInput::remembering(None, Ledger::default()));
    let cut = tokio::time::timeout(Duration::from_millis(2500), run).await;
    assert!(
        cut.is_err(),
        "the export never finishes: the run must be cut"
    );
    assert!(
        server.polls.load(Ordering::SeqCst) >= 2,
        "polled, waiting Retry-After"
    );
    let deleted = crate::helpers::wait_for(Duration::from_secs(5), || {
        let s = server.clone();
        async move { s.deleted.load(Ordering::SeqCst) == 1 }
    })
    .await;
    assert!(deleted.is_ok(), "the job was not deleted after the cancel");
}
