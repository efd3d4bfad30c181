//! Workflow probes against a FHIR-like server on loopback with known
//! per-step delays: reported latencies, histogram buckets, the failing step
//! named, timeouts recorded on the step that timed out, OAuth2 token reuse,
//! and burn rates and baseline ratios served by a daemon from its store.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hypercare::checks::Check;
use hypercare::metrics::Metrics;
use hypercare::results::{Details, Outcome, StepOutcome, WorkflowDetails};
use serde_json::json;

use crate::helpers::{Daemon, free_port, sample, wait_for, write_config};

/// Delays the server adds, per route (milliseconds).
const SEARCH_MS: u64 = 20;
const READ_MS: u64 = 50;
const LIST_MS: u64 = 5;

#[derive(Default)]
struct Ehr {
    tokens_issued: AtomicUsize,
    requests: AtomicUsize,
    /// Tokens numbered below this are refused (revoked).
    revoked_below: AtomicUsize,
    /// Handler times the server measured itself, by route (ms).
    handled: std::sync::Mutex<BTreeMap<&'static str, Vec<f64>>>,
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
async fn serve() -> (String, Arc<Ehr>) {
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

fn source(base: &str) -> String {
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

const CHART: &str = r#"
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

fn load(dir: &std::path::Path, text: &str) -> hypercare::config::Config {
    let env = |n: &str| (n == "HC_TEST_SECRET").then(|| "s3cret".to_string());
    hypercare::config::parse(text, &dir.join("hypercare.toml"), &env)
        .unwrap_or_else(|e| panic!("config:\n{e}"))
}

fn build(config: &hypercare::config::Config, name: &str) -> Arc<dyn Check> {
    let sources = hypercare::sources::Sources::from_config(config).unwrap();
    hypercare::checks::build_all(config, &sources)
        .into_iter()
        .find(|c| c.meta().name.as_str() == name)
        .unwrap()
}

fn workflow(d: &Details) -> &WorkflowDetails {
    d.workflow().expect("workflow details")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_step_latency_matches_the_injected_delays_and_fills_the_right_buckets() {
    let (base, ehr) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n[workflow_metrics]\nbuckets = [\"10ms\", \"30ms\", \"45ms\", \"60ms\", \"100ms\"]\n{CHART}",
        source(&base)
    );
    let config = load(dir.path(), &text);
    let check = build(&config, "open_chart");
    let metrics = Metrics::new("sqlite");
    metrics
        .workflows()
        .set_buckets(&config.workflow_metrics.buckets);
    const RUNS: usize = 21;
    let mut per_step: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for _ in 0..RUNS {
        let r = check.run().await;
        assert_eq!(r.outcome, Outcome::Pass, "{}", r.summary);
        let w = workflow(&r.details);
        assert_eq!(w.slo_good, Some(true));
        for s in &w.steps {
            per_step
                .entry(s.name.clone())
                .or_default()
                .push(s.duration_ms.unwrap());
        }
        let sum: f64 = w.steps.iter().filter_map(|s| s.duration_ms).sum();
        assert!((w.total_ms - sum).abs() < 0.01);
        metrics.record_details("open_chart", &r.details);
    }
    // One token for all 21 runs: cached, not fetched per request.
    assert_eq!(ehr.tokens_issued.load(Ordering::SeqCst), 1);
    assert_eq!(ehr.requests.load(Ordering::SeqCst), RUNS);
    let mut report = String::new();
    for (step, delay) in [
        ("search_patient", SEARCH_MS),
        ("read_patient", READ_MS),
        ("conditions", LIST_MS),
    ] {
        let p50 = median(per_step[step].clone());
        let server = median(ehr.handled.lock().unwrap()[step].clone());
        report.push_str(&format!(
            "{step}: injected {delay} ms, server-measured p50 {server:.3} ms, reported p50 {p50:.3} ms\n"
        ));
        assert!(
            p50 >= delay as f64 && p50 - delay as f64 <= 5.0,
            "{step}: reported p50 {p50:.3} ms vs injected {delay} ms (the server measured {server:.3} ms)"
        );
    }
    eprintln!("{report}");

    let text = metrics.render();
    let bucket = |step: &str, le: &str| {
        sample(
            &text,
            &format!(
                "hypercare_workflow_step_duration_seconds_bucket{{step=\"{step}\",system=\"target\",workflow=\"open_chart\",le=\"{le}\"}}"
            ),
        )
        .unwrap_or_else(|| panic!("no bucket {step} {le} in\n{text}"))
    };
    // Every bucket holds exactly the reported durations at or below it.
    for (step, durations) in &per_step {
        for le in ["0.01", "0.03", "0.045", "0.06", "0.1", "+Inf"] {
            let bound: f64 = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            let want = durations.iter().filter(|ms| *ms / 1000.0 <= bound).count();
            assert_eq!(
                bucket(step, le),
                want as f64,
                "{step} le={le}: {durations:?}"
            );
        }
    }
    // And the medians land where the injected delays put them: 20 ms in
    // (10, 30], 50 ms in (45, 60], 5 ms in (0, 10].
    assert!(bucket("search_patient", "0.01") < 11.0 && bucket("search_patient", "0.03") >= 11.0);
    assert!(bucket("read_patient", "0.045") < 11.0 && bucket("read_patient", "0.06") >= 11.0);
    assert!(bucket("conditions", "0.01") >= 11.0);
    // The whole workflow: 75 ms and a little, in the 100 ms bucket.
    let total = |le: &str| {
        sample(
            &text,
            &format!("hypercare_workflow_duration_seconds_bucket{{system=\"target\",workflow=\"open_chart\",le=\"{le}\"}}"),
        )
        .unwrap()
    };
    assert!(total("0.06") < 11.0 && total("0.1") >= 11.0);
    assert_eq!(total("+Inf"), RUNS as f64);
    assert_eq!(
        sample(
            &text,
            "hypercare_workflow_step_outcomes_total{outcome=\"ok\",step=\"read_patient\",system=\"target\",workflow=\"open_chart\"}"
        ),
        Some(RUNS as f64)
    );
    // No identifier or URL in any label.
    assert!(
        !text.contains("1001") && !text.contains("127.0.0.1"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assertion_failure_names_its_step_and_skips_the_rest() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}{}",
        source(&base),
        CHART.replace(
            r#"expect = { json = { "/resourceType" = "Patient" } }"#,
            r#"expect = { json = { "/resourceType" = "Practitioner" } }"#
        )
    );
    let r = build(&load(dir.path(), &text), "open_chart").run().await;
    assert_eq!(r.outcome, Outcome::Fail);
    assert_eq!(
        r.summary.split(" after").next(),
        Some("step `read_patient` failed (assertion)")
    );
    let w = workflow(&r.details);
    assert_eq!(w.failed_step.as_deref(), Some("read_patient"));
    assert_eq!(w.outcome, Some(StepOutcome::Assertion));
    assert_eq!(w.slo_good, Some(false));
    let outcomes: Vec<_> = w.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [
            StepOutcome::Ok,
            StepOutcome::Assertion,
            StepOutcome::Skipped
        ]
    );
    assert_eq!(
        w.steps[1].error.as_deref(),
        Some("/resourceType is not \"Practitioner\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_recorded_on_the_step_that_timed_out() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let slow = CHART.replace(
        "[[workflows.steps]]\nname = \"read_patient\"",
        "[[workflows.steps]]\nname = \"slow_step\"\npath = \"Slow\"\ntimeout = \"150ms\"\n\n[[workflows.steps]]\nname = \"read_patient\"",
    );
    let r = build(
        &load(dir.path(), &format!("{}{slow}", source(&base))),
        "open_chart",
    )
    .run()
    .await;
    let w = workflow(&r.details);
    assert_eq!(r.outcome, Outcome::Fail, "{}", r.summary);
    assert_eq!(w.failed_step.as_deref(), Some("slow_step"));
    let by_name: BTreeMap<_, _> = w.steps.iter().map(|s| (s.name.as_str(), s)).collect();
    let slow = by_name["slow_step"];
    assert_eq!(slow.outcome, StepOutcome::Timeout);
    let took = slow.duration_ms.unwrap();
    assert!((150.0..200.0).contains(&took), "timed out after {took} ms");
    assert_eq!(by_name["read_patient"].outcome, StepOutcome::Skipped);
    assert_eq!(by_name["read_patient"].duration_ms, None);
    assert_eq!(by_name["conditions"].outcome, StepOutcome::Skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_serves_burn_rates_and_baseline_ratios_from_its_store() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Every 2 s; the SLO threshold (60 ms) is below the workflow's ~75 ms,
    // so every run is bad: burn rate (1/1)/(1 − 0.99) = 100 in every window.
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"sqlite://{}/hc.db\"\n[scheduler]\nlease = \"3s\"\n{}{}",
        dir.path().display(),
        source(&base)
            .replace(
                "client_secret_env = \"HC_TEST_SECRET\"",
                "client_secret_file = \"SECRET_FILE\""
            )
            .replace(
                "SECRET_FILE",
                &dir.path().join("secret").display().to_string()
            ),
        CHART
            .replace("0 0 * * * *", "*/2 * * * * *")
            .replace("slo_latency = \"500ms\"", "slo_latency = \"60ms\"")
    );
    std::fs::write(dir.path().join("secret"), "s3cret\n").unwrap();
    let cfg = write_config(dir.path(), &text);
    let daemon = Daemon::start(&cfg, port).await;
    let seen = wait_for(Duration::from_secs(30), || async {
        let m = daemon.metrics().await;
        m.contains("hypercare_workflow_slo_burn_rate{window=\"5m\",workflow=\"open_chart\"}")
            && m.contains(
                "hypercare_workflow_baseline_ratio{quantile=\"0.5\",workflow=\"open_chart\"}",
            )
    })
    .await;
    let metrics = daemon.metrics().await;
    assert!(seen.is_ok(), "no burn rate within 30 s:\n{metrics}");
    for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] {
        let rate = sample(
            &metrics,
            &format!("hypercare_workflow_slo_burn_rate{{window=\"{w}\",workflow=\"open_chart\"}}"),
        );
        assert!(
            rate.is_some_and(|r| (r - 100.0).abs() < 1e-6),
            "{w}: {rate:?}"
        );
    }
    // The target's p50 (75 ms and a little) against the fixed 40 ms.
    let ratio = sample(
        &metrics,
        "hypercare_workflow_baseline_ratio{quantile=\"0.5\",workflow=\"open_chart\"}",
    )
    .unwrap();
    let p50 = sample(
        &metrics,
        "hypercare_workflow_latency_seconds{quantile=\"0.5\",system=\"target\",workflow=\"open_chart\"}",
    )
    .unwrap();
    assert!(p50 >= 0.075, "the steps' delays add up to 75 ms: {p50}");
    assert!(
        (ratio - p50 * 1000.0 / 40.0).abs() < 1e-9,
        "p50 ratio {ratio} for {p50} s"
    );
    assert!(metrics.contains(
        "hypercare_check_status{check=\"open_chart\",kind=\"workflow\",status=\"pass\"} 1"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_ehr_answers_every_built_in_journey_and_is_slow_for_one_clinic() {
    let addr = hypercare::demo::ehr::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/target.db", dir.path().display());
    crate::helpers::exec(
        &db,
        "CREATE TABLE patient (id INTEGER PRIMARY KEY, mrn TEXT, clinic_id TEXT); \
         INSERT INTO patient VALUES (1, 'N-1', 'north'), (2, 'S-1', 'south'), (3, 'N-2', 'north')",
    )
    .await;
    let text = format!(
        "[sources.target]\nurl = \"{db}\"\n{}",
        hypercare::demo::ehr::config_text(addr)
    );
    let config = load(dir.path(), &text);
    let sources = hypercare::sources::Sources::from_config(&config).unwrap();
    let checks = hypercare::checks::build_all(&config, &sources);
    assert_eq!(checks.len(), 5);
    let mut totals = BTreeMap::new();
    for check in &checks {
        let r = check.run().await;
        assert_eq!(
            r.outcome,
            Outcome::Pass,
            "{}: {}",
            check.meta().name,
            r.summary
        );
        let w = workflow(&r.details);
        totals.insert(check.meta().name.to_string(), w.total_ms);
        if let Some(b) = &w.baseline {
            assert_eq!(b.outcome, Some(StepOutcome::Ok));
            assert_eq!(b.steps.len(), w.steps.len());
        }
    }
    // Today's appointments: about 900 ms at clinic east, about 50 ms at north.
    assert!(totals["appointments_east"] > 500.0, "{totals:?}");
    assert!(totals["appointments_north"] < 200.0, "{totals:?}");
}

/// Stores a finished workflow run of check `w`; `good` is its `slo_good`.
async fn store_run(store: &hypercare::store::Store, slot_ms: i64, outcome: Outcome, good: bool) {
    use hypercare::store::{Claim, NewClaim};
    let claim = NewClaim {
        check: "w",
        kind: hypercare::results::CheckKind::Workflow,
        slot_ms,
        owner: "me",
        now_ms: slot_ms,
        lease_expires_ms: slot_ms + 1000,
    };
    let Claim::Claimed { run_id } = store.claim(&claim).await.unwrap() else {
        panic!("claim")
    };
    let result = hypercare::results::CheckResult {
        outcome,
        summary: "s".into(),
        details: Details::Workflow(WorkflowDetails {
            outcome: Some(StepOutcome::Ok),
            total_ms: 100.0,
            slo_good: Some(good),
            ..Default::default()
        }),
    };
    assert!(
        store
            .finish(run_id, "me", slot_ms + 10, 10, &result)
            .await
            .unwrap()
    );
}

/// The SLO history read from the store, topped up incrementally, on one backend.
async fn slo_history_scenario(url: &str) {
    let store = hypercare::store::Store::open(&hypercare::config::StoreConfig {
        url: hypercare::config::Secret::new(url),
        retention: Duration::from_secs(86400 * 90),
        max_connections: 2,
    })
    .await
    .unwrap();
    let min = 60_000;
    let now = 10 * 86_400_000;
    // Four days ago (outside 3d), then four runs in the last 5 minutes:
    // good, over the SLO, failed, good.
    store_run(&store, now - 4 * 1440 * min, Outcome::Fail, false).await;
    store_run(&store, now - 4 * min, Outcome::Pass, true).await;
    store_run(&store, now - 3 * min, Outcome::Pass, false).await;
    store_run(&store, now - 2 * min, Outcome::Fail, false).await;
    store_run(&store, now - min, Outcome::Pass, true).await;
    let history = hypercare::slo::History::default();
    let samples = history.samples(&store, "w", now).await.unwrap();
    assert_eq!(samples.len(), 4, "{samples:?}");
    let rates = hypercare::slo::burn_rates(&samples, now, 0.99);
    assert!((rates[0].1.unwrap() - 50.0).abs() < 1e-9, "{rates:?}");
    // One more good run; the next read adds it and keeps the others.
    store_run(&store, now + min, Outcome::Pass, true).await;
    let later = now + 2 * min;
    let samples = history.samples(&store, "w", later).await.unwrap();
    assert_eq!(samples.len(), 5);
    // 30m: 2 bad of 5. 5m, (later − 5 min, later]: the runs of −3, −2, −1
    // and +1 minutes (each finished 10 ms after its slot), 2 bad of 4.
    let rates = hypercare::slo::burn_rates(&samples, later, 0.99);
    assert!((rates[1].1.unwrap() - 40.0).abs() < 1e-9, "{rates:?}");
    assert!((rates[0].1.unwrap() - 50.0).abs() < 1e-9, "{rates:?}");
}

#[tokio::test]
async fn slo_history_is_read_from_the_store_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    slo_history_scenario(&format!("sqlite://{}/hc.db", dir.path().display())).await;
}

#[tokio::test]
async fn slo_history_is_read_from_the_store_on_postgres() {
    let Some(url) =
        crate::helpers::fresh_postgres("slo_history_is_read_from_the_store_on_postgres").await
    else {
        return;
    };
    slo_history_scenario(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_oauth2_token_is_replaced_on_the_next_run() {
    let (base, ehr) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let check = build(
        &load(dir.path(), &format!("{}{CHART}", source(&base))),
        "open_chart",
    );
    assert_eq!(check.run().await.outcome, Outcome::Pass);
    ehr.revoked_below.store(1, Ordering::SeqCst);
    let r = check.run().await;
    let w = workflow(&r.details);
    assert_eq!(w.failed_step.as_deref(), Some("search_patient"));
    assert_eq!(w.outcome, Some(StepOutcome::HttpStatus));
    assert_eq!(w.steps[0].status, Some(401));
    assert_eq!(check.run().await.outcome, Outcome::Pass);
    assert_eq!(ehr.tokens_issued.load(Ordering::SeqCst), 2);
}
