//! Probe overhead per workflow step: the latency hypercare reports for a
//! step minus the latency of the same request measured by `wrk` and `curl`
//! (keep-alive, one connection) and by the server itself (handler time).
//!
//! `cargo bench --bench workflows` starts a FHIR-like endpoint on loopback
//! (a fixed ~1 KB search Bundle, and the same after a 10 ms sleep), runs a
//! 5-step workflow against it 400 times after a warm-up, then runs `wrk`
//! and `curl` against the same endpoints, and prints p50/p90/p99 of each
//! (see `bench/workflows/README.md`). Without `wrk` or `curl` on the PATH
//! their rows are left out.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;

const RUNS: usize = 400;
const WARMUP: usize = 20;
const STEPS: usize = 5;

type Times = Arc<Mutex<Vec<f64>>>;

fn bundle() -> String {
    let entries: Vec<String> = (0..4)
        .map(|i| format!(r#"{{"resource":{{"resourceType":"Patient","id":"p{i}","identifier":[{{"system":"urn:oid:1.2.3","value":"T000{i}"}}],"name":[{{"family":"Test","given":["Probe"]}}],"birthDate":"1970-01-01"}}}}"#))
        .collect();
    format!(
        r#"{{"resourceType":"Bundle","type":"searchset","total":4,"entry":[{}]}}"#,
        entries.join(",")
    )
}

async fn fast(State((t, body)): State<(Times, Arc<String>)>) -> impl IntoResponse {
    let clock = Instant::now();
    let out = (
        [("content-type", "application/fhir+json")],
        body.as_str().to_owned(),
    );
    t.lock()
        .unwrap()
        .push(clock.elapsed().as_secs_f64() * 1000.0);
    out
}

async fn slow(State((t, body)): State<(Times, Arc<String>)>) -> impl IntoResponse {
    let clock = Instant::now();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let out = (
        [("content-type", "application/fhir+json")],
        body.as_str().to_owned(),
    );
    t.lock()
        .unwrap()
        .push(clock.elapsed().as_secs_f64() * 1000.0);
    out
}

fn pct(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn row(what: &str, v: &[f64]) -> String {
    if v.is_empty() {
        return format!("| {what} | – | – | – | 0 |");
    }
    format!(
        "| {what} | {:.3} | {:.3} | {:.3} | {} |",
        pct(v.to_vec(), 0.5),
        pct(v.to_vec(), 0.9),
        pct(v.to_vec(), 0.99),
        v.len()
    )
}

/// Per-step latencies hypercare reports for `RUNS` runs of a 5-step workflow on `path`.
async fn probe(base: &str, path: &str) -> Vec<f64> {
    let steps: String = (1..=STEPS)
        .map(|i| format!("\n[[workflows.steps]]\nname = \"s{i}\"\npath = \"{path}\"\nquery = {{ identifier = \"urn:oid:1.2.3|{{{{mrn}}}}\" }}\nextract = {{ id{i} = \"entry[0].resource.id\" }}\nexpect = {{ status = 200, min_count = 1 }}\n"))
        .collect();
    let text = format!(
        "[sources.ehr]\nfhir = \"{base}/fhir\"\n[[workflows]]\nname = \"bench\"\nschedule = \"0 0 * * * *\"\ntarget = \"ehr\"\npools = {{ mrn = [\"T0001\", \"T0002\"] }}\n{steps}"
    );
    let cfg = hypercare::config::parse(&text, std::path::Path::new("bench.toml"), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let sources = hypercare::sources::Sources::from_config(&cfg).unwrap();
    let check = hypercare::checks::build_all(&cfg, &sources).remove(0);
    let mut out = Vec::new();
    for i in 0..WARMUP + RUNS {
        let r = check.run(Default::default()).await.result;
        let d = r.details.workflow().expect("workflow details");
        assert_eq!(d.failed_step, None, "{}", r.summary);
        if i >= WARMUP {
            out.extend(d.steps.iter().filter_map(|s| s.duration_ms));
        }
    }
    out
}

/// `wrk` latency percentiles (ms) for one connection over 5 s, if wrk is installed.
fn wrk(url: &str) -> Option<(f64, f64, f64)> {
    let out = Command::new("wrk")
        .args([
            "-t1",
            "-c1",
            "-d5s",
            "--latency",
            "-H",
            "Accept: application/fhir+json",
            url,
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let get = |p: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.trim_start().starts_with(p))?;
        let v = line.split_whitespace().nth(1)?;
        let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic())?);
        let n: f64 = num.parse().ok()?;
        Some(match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            _ => return None,
        })
    };
    Some((get("50%")?, get("90%")?, get("99%")?))
}

/// `curl` request times (ms) for `n` requests on one kept-alive connection.
fn curl(url: &str, n: usize) -> Vec<f64> {
    let mut args: Vec<String> = vec![
        "-s".into(),
        "-H".into(),
        "Accept: application/fhir+json".into(),
        "-w".into(),
        "%{time_total}\n".into(),
    ];
    for _ in 0..n {
        args.extend(["-o".into(), "/dev/null".into(), url.to_string()]);
    }
    let Ok(out) = Command::new("curl").args(&args).output() else {
        return Vec::new();
    };
    let mut v: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse::<f64>().ok())
        .map(|s| s * 1000.0)
        .collect();
    // The first request opens the connection.
    if !v.is_empty() {
        v.remove(0);
    }
    v
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let times: Times = Arc::default();
    let body = Arc::new(bundle());
    let app = axum::Router::new()
        .route("/fhir/Patient", get(fast))
        .route("/fhir/Slow", get(slow))
        .with_state((times.clone(), body.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    println!(
        "body {} bytes; {RUNS} runs of {STEPS} steps after {WARMUP} warm-up runs; times in ms",
        body.len()
    );
    for (path, label) in [("Patient", "0 ms"), ("Slow", "10 ms")] {
        times.lock().unwrap().clear();
        let reported = probe(&base, path).await;
        let server: Vec<f64> = std::mem::take(&mut *times.lock().unwrap());
        let url = format!("{base}/fhir/{path}?identifier=urn%3Aoid%3A1.2.3%7CT0001");
        let curl_ms = tokio::task::spawn_blocking({
            let url = url.clone();
            move || curl(&url, 500)
        })
        .await
        .unwrap();
        let wrk_ms = tokio::task::spawn_blocking({
            let url = url.clone();
            move || wrk(&url)
        })
        .await
        .unwrap();
        println!("\nendpoint /fhir/{path} (server delay {label})");
        println!("| measured by | p50 | p90 | p99 | n |\n|---|---|---|---|---|");
        println!("{}", row("hypercare step latency (reported)", &reported));
        println!("{}", row("server handler time", &server));
        if let Some((a, b, c)) = wrk_ms {
            println!("| wrk -t1 -c1 -d5s | {a:.3} | {b:.3} | {c:.3} | – |");
        }
        println!("{}", row("curl, one kept-alive connection", &curl_ms));
        let p50 = pct(reported.clone(), 0.5);
        let mut line = format!(
            "overhead at p50: vs server handler {:.3} ms",
            p50 - pct(server, 0.5)
        );
        if let Some((a, _, _)) = wrk_ms {
            line.push_str(&format!("; vs wrk {:.3} ms", p50 - a));
        }
        if !curl_ms.is_empty() {
            line.push_str(&format!("; vs curl {:.3} ms", p50 - pct(curl_ms, 0.5)));
        }
        println!("{line}");
    }
}
