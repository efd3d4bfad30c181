//! A keyed diff whose FHIR sides outgrow their sort memory is cancelled
//! half way (its future dropped, as the scheduler's timeout and the shutdown
//! drain do): the folder of sorted runs made under `sort_dir` is removed.
//! A loopback server answers the first page with 20,000 Patients (past the
//! 1 MiB budget) and never answers the second, so the run is cut while it
//! holds spilled runs on disk.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hypercare::checks::RunInput;
use hypercare::results::Ledger;
use serde_json::json;

async fn patients(
    State(port): State<u16>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if q.contains_key("page") {
        // The second page never comes: the run is cancelled waiting for it.
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
    let entry: Vec<_> = (0..20_000)
        .map(|i| json!({"resource": {"resourceType": "Patient", "id": format!("p{i}")}}))
        .collect();
    let next = format!("http://127.0.0.1:{port}/fhir/Patient?page=2");
    let bundle = json!({"resourceType": "Bundle", "type": "searchset",
        "link": [{"relation": "next", "url": next}], "entry": entry});
    (
        [("content-type", "application/fhir+json")],
        bundle.to_string(),
    )
        .into_response()
}

fn entries(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_diff_removes_its_spilled_runs() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .route("/fhir/Patient", get(patients))
        .with_state(port);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let sort_dir = dir.path().join("sort");
    std::fs::create_dir(&sort_dir).unwrap();
    let text = format!(
        r#"[sources.old]
fhir = "http://127.0.0.1:{port}/fhir"
bulk = false
[sources.new]
fhir = "http://127.0.0.1:{port}/fhir"
bulk = false

[[reconcile]]
name = "patients"
schedule = "0 0 * * * *"
sort_dir = "{sort}"
sort_memory_mb = 1
source = {{ from = "old", resource = "Patient", key = "id" }}
target = {{ from = "new", resource = "Patient", key = "id" }}
"#,
        sort = sort_dir.display()
    );
    let cfg = hypercare::config::parse(&text, std::path::Path::new("x.toml"), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let sources = hypercare::sources::Sources::from_config(&cfg).expect("sources");
    let check = hypercare::checks::build_all(&cfg, &sources).remove(0);
    // Boxed so that `drop` below really drops (cancels) the run.
    let mut run = Box::pin(check.run(RunInput::remembering(None, Ledger::default())));
    // The spill folder is made when the first sorted run is written (runs
    // are unnamed files in it, gone with their handles): it appears while
    // the run waits for the second page.
    let spilled = |d: &std::path::Path| {
        std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .any(|f| {
                f.file_name()
                    .to_string_lossy()
                    .starts_with("hypercare-sort-")
            })
    };
    let waited = tokio::select! {
        _ = &mut run => panic!("the run ended without its second page"),
        w = crate::helpers::wait_for(Duration::from_secs(60), || {
            let d = sort_dir.clone();
            async move { spilled(&d) }
        }) => w,
    };
    assert!(waited.is_ok(), "no sorted run was written to sort_dir");
    drop(run);
    assert_eq!(entries(&sort_dir), 0, "spilled runs left after the cancel");
}
