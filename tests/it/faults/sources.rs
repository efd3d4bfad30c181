//! Outages of what checks read: a source database refused or hung behind
//! a loopback proxy, a FHIR server answering 5xx, not answering, or
//! throttling every request. Each asserts the fault table's figures (see
//! `scene.rs`): `/healthz` under 1 s throughout, the affected check's runs
//! `error` with the right class, the steady check on schedule, recovery
//! without a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::proxy::{Faulty, Mode};
use super::scene::{Scene, outage};
use crate::helpers::{exec, fresh_postgres, host_port, via_port};

const OUTAGE: Duration = Duration::from_secs(6);

/// PostgreSQL behind the proxy on `side` (`source` or `target`) of the
/// affected check, a local SQLite file on the other.
async fn pg_scene(test: &str, side: &str) -> Option<(Scene, Faulty)> {
    let pg = fresh_postgres(test).await?;
    exec(&pg, "CREATE TABLE t (a INT); INSERT INTO t VALUES (1)").await;
    let proxy = Faulty::start(host_port(&pg)).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    exec(
        &format!("sqlite://{d}/local.db"),
        "CREATE TABLE t (a INT); INSERT INTO t VALUES (1)",
    )
    .await;
    let affected = format!(
        "[sources.pg]\nurl = \"{}\"\nconnect_timeout = \"1s\"\nstatement_timeout = \"2s\"\n\
         [sources.local]\nurl = \"sqlite://{d}/local.db\"\n\
         [[reconcile]]\nname = \"affected\"\nschedule = \"* * * * * *\"\ntimeout = \"4s\"\n\
         source = {{ from = \"{src}\", sql = \"SELECT COUNT(*) FROM t\" }}\n\
         target = {{ from = \"{tgt}\", sql = \"SELECT COUNT(*) FROM t\" }}\n",
        via_port(&pg, proxy.port),
        src = if side == "source" { "pg" } else { "local" },
        tgt = if side == "target" { "pg" } else { "local" },
    );
    Some((Scene::start(dir, &affected).await, proxy))
}

#[tokio::test]
async fn source_db_down_then_back() {
    let Some((scene, proxy)) = pg_scene("source_db_down_then_back", "source").await else {
        return;
    };
    let f = outage(
        &scene,
        "affected",
        OUTAGE,
        || proxy.set(Mode::Refuse),
        || proxy.set(Mode::Pass),
    )
    .await;
    // A new connection cannot connect; one the pool held when the server
    // went away fails its query instead. Both are the source being down.
    f.check(
        "source DB down",
        &["cannot connect", "query failed"],
        OUTAGE,
        Duration::from_secs(3),
    );
    scene.stop().await;
}

#[tokio::test]
async fn target_db_down_then_back() {
    let Some((scene, proxy)) = pg_scene("target_db_down_then_back", "target").await else {
        return;
    };
    let f = outage(
        &scene,
        "affected",
        OUTAGE,
        || proxy.set(Mode::Refuse),
        || proxy.set(Mode::Pass),
    )
    .await;
    f.check(
        "target DB down",
        &["target `pg`: cannot connect", "target `pg`: query failed"],
        OUTAGE,
        Duration::from_secs(3),
    );
    scene.stop().await;
}

#[tokio::test]
async fn source_db_hung_then_back() {
    let Some((scene, proxy)) = pg_scene("source_db_hung_then_back", "source").await else {
        return;
    };
    let f = outage(
        &scene,
        "affected",
        OUTAGE,
        || proxy.set(Mode::Freeze),
        || proxy.set(Mode::Pass),
    )
    .await;
    // A frozen path: a query on an open connection hits the statement
    // bound, a new connection the connect bound.
    let classes = ["timed out", "cannot connect"];
    f.check("source DB hung", &classes, OUTAGE, Duration::from_secs(6));
    scene.stop().await;
}

/// A FHIR server whose behaviour the test switches.
#[derive(Default)]
struct Fhir {
    mode: AtomicU8,
}

const OK: u8 = 0;
const ERROR_500: u8 = 1;
const HANG: u8 = 2;
const THROTTLE: u8 = 3;

async fn patients(State(s): State<Arc<Fhir>>) -> Response {
    match s.mode.load(Ordering::SeqCst) {
        ERROR_500 => (StatusCode::INTERNAL_SERVER_ERROR, "upstream broke").into_response(),
        HANG => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        THROTTLE => {
            let mut h = HeaderMap::new();
            h.insert("retry-after", "1".parse().unwrap());
            (StatusCode::TOO_MANY_REQUESTS, h, "slow down").into_response()
        }
        _ => (
            [("content-type", "application/fhir+json")],
            r#"{"resourceType":"Bundle","type":"searchset","total":1}"#,
        )
            .into_response(),
    }
}

async fn fhir_scene() -> (Scene, Arc<Fhir>) {
    let fhir = Arc::new(Fhir::default());
    let app = axum::Router::new()
        .route("/fhir/Patient", get(patients))
        .with_state(fhir.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    exec(
        &format!("sqlite://{d}/local.db"),
        "CREATE TABLE t (a INT); INSERT INTO t VALUES (1)",
    )
    .await;
    let affected = format!(
        "[sources.ehr]\nfhir = \"http://127.0.0.1:{port}/fhir\"\nstatement_timeout = \"2s\"\nmax_retries = 1\n\
         [sources.local]\nurl = \"sqlite://{d}/local.db\"\n\
         [[reconcile]]\nname = \"affected\"\nschedule = \"* * * * * *\"\ntimeout = \"5s\"\n\
         source = {{ from = \"local\", sql = \"SELECT COUNT(*) FROM t\" }}\n\
         target = {{ from = \"ehr\", resource = \"Patient\" }}\n"
    );
    (Scene::start(dir, &affected).await, fhir)
}

async fn fhir_outage(what: &str, mode: u8, class: &str, recovery: Duration) {
    let (scene, fhir) = fhir_scene().await;
    let f = outage(
        &scene,
        "affected",
        OUTAGE,
        || fhir.mode.store(mode, Ordering::SeqCst),
        || fhir.mode.store(OK, Ordering::SeqCst),
    )
    .await;
    f.check(what, &[class], OUTAGE, recovery);
    scene.stop().await;
}

#[tokio::test]
async fn fhir_5xx_then_back() {
    fhir_outage(
        "FHIR 500",
        ERROR_500,
        "query failed",
        Duration::from_secs(3),
    )
    .await;
}

#[tokio::test]
async fn fhir_timeouts_then_back() {
    fhir_outage(
        "FHIR not answering",
        HANG,
        "timed out",
        Duration::from_secs(6),
    )
    .await;
}

#[tokio::test]
async fn fhir_429_storm_then_back() {
    fhir_outage(
        "FHIR 429 storm",
        THROTTLE,
        "query failed",
        Duration::from_secs(5),
    )
    .await;
}
