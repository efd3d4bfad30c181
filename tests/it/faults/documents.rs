//! A slow document host: every request takes longer than the check's
//! `request_timeout` for a while. The documents check ends `fail` with
//! every sampled document `timeout` (the documents were not reached, which
//! is what the check reports), within its bound; `/healthz` answers within
//! 1 s; the steady check keeps its slots; the first run after the host is
//! fast again passes [recovery time].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;

use super::scene::{Scene, outage};
use crate::helpers::exec;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn doc(State(slow): State<Arc<AtomicBool>>) -> impl IntoResponse {
    if slow.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    ([("content-type", "application/pdf")], PDF)
}

async fn inventory(d: &str) {
    let rows: Vec<String> = (0..4)
        .map(|i| {
            format!(
                "('d{i}', 'note', '{i}.pdf', 'application/pdf', {}, '1', '2026-01-01', 'current')",
                PDF.len()
            )
        })
        .collect();
    exec(
        &format!("sqlite://{d}/inv.db"),
        &format!(
            "CREATE TABLE docs (id TEXT, kind TEXT, location TEXT, content_type TEXT, size INT, \
             patient TEXT, created TEXT, status TEXT); INSERT INTO docs VALUES {}",
            rows.join(", ")
        ),
    )
    .await;
}

#[tokio::test]
async fn slow_document_host_then_back() {
    let slow = Arc::new(AtomicBool::new(false));
    let app = axum::Router::new()
        .route("/docs/{name}", get(doc))
        .with_state(slow.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    inventory(&d).await;
    let affected = format!(
        "[sources.inv]\nurl = \"sqlite://{d}/inv.db\"\n\
         [[documents]]\nname = \"affected\"\nschedule = \"* * * * * *\"\ntimeout = \"5s\"\n\
         inventory = {{ from = \"inv\", sql = \"SELECT id, kind, location, content_type, size, patient, created AS date, status FROM docs\" }}\n\
         kinds = {{ note = [\"note\"] }}\nrequest_timeout = \"1s\"\nconcurrency = 4\nsample = 4\ncontent_share = 1.0\n\
         storage = {{ base = \"http://127.0.0.1:{port}/docs/\" }}\n"
    );
    let scene = Scene::start(dir, &affected).await;
    let f = outage(
        &scene,
        "affected",
        Duration::from_secs(6),
        || slow.store(true, Ordering::SeqCst),
        || slow.store(false, Ordering::SeqCst),
    )
    .await;
    f.check_as(
        "slow document host",
        "fail",
        &["timeout 4"],
        Duration::from_secs(6),
        Duration::from_secs(4),
    );
    scene.stop().await;
}
