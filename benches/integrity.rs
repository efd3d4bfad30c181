//! Runs integrity checks in one process for `bench/integrity/bench.py`, as
//! the daemon runs them: the sources' pools stay connected between runs.
//!
//! `cargo bench --bench integrity -- CONFIG` reads check names on stdin, one
//! per line, runs each once and prints one JSON line per run:
//! `{"name", "ms", "status", "rules": [{"name", "ms", "rows_checked", "problems"}]}`.
//! Without CONFIG it prints this usage and exits (so a plain `cargo bench`
//! passes).

use std::io::BufRead;
use std::time::Instant;

use hypercare::results::Details;

#[tokio::main]
async fn main() {
    let Some(path) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo bench --bench integrity -- CONFIG  (check names on stdin)");
        return;
    };
    let cfg = match hypercare::config::load(std::path::Path::new(&path)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let sources = match hypercare::sources::Sources::from_config(&cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let checks = hypercare::checks::build_all(&cfg, &sources);
    for name in std::io::stdin().lock().lines().map_while(Result::ok) {
        let Some(check) = checks
            .iter()
            .find(|c| c.meta().name.as_str() == name.trim())
        else {
            println!(
                "{}",
                serde_json::json!({ "name": name, "error": "no such check" })
            );
            continue;
        };
        let clock = Instant::now();
        let result = check.run(Default::default()).await.result;
        let ms = clock.elapsed().as_secs_f64() * 1e3;
        let rules: Vec<_> = match &result.details {
            Details::Integrity(d) => d
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "name": r.name, "ms": r.duration_ms,
                        "rows_checked": r.rows_checked, "problems": r.problems,
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        let line = serde_json::json!({
            "name": name.trim(), "ms": ms, "status": result.outcome, "rules": rules,
        });
        println!("{line}");
    }
    sources.close().await;
}
