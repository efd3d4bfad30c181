//! Scores every candidate pair of one `probable_duplicates` rule, for
//! `bench/empi/run.py`: `cargo bench --bench empi -- CONFIG CHECK RULE`
//! prints `key_a<TAB>key_b<TAB>probability<TAB>veto<TAB>weight` (veto `-` for none; weight in bits before any veto) per scored pair on stdout and,
//! on stderr, one JSON line with rows, candidates, seconds and peak RSS.
//! Without arguments it prints this usage and exits (so `cargo bench` passes).

use std::time::Instant;

use hypercare::config::integrity::RuleSpec;

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [path, check, rule] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench empi -- CONFIG CHECK RULE");
        return;
    };
    let cfg = hypercare::config::load(std::path::Path::new(path)).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let sources = hypercare::sources::Sources::from_config(&cfg).expect("sources");
    let ic = cfg
        .integrity
        .iter()
        .find(|c| c.name.as_str() == check)
        .expect("check");
    let r = ic
        .rules
        .iter()
        .find(|r| r.name.as_str() == rule)
        .expect("rule");
    let RuleSpec::ProbableDuplicates(spec) = &r.spec else {
        panic!("rule {rule} is not probable_duplicates")
    };
    let source = sources.sql(&ic.from).expect("SQL source");
    let clock = Instant::now();
    let scoring = hypercare::checks::integrity::empi::score(&source, r, spec)
        .await
        .expect("scoring");
    let secs = clock.elapsed().as_secs_f64();
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for p in &scoring.pairs {
        let veto = p.veto.map_or("-", |v| v.as_str());
        let (a, b, w) = (&p.keys[0], &p.keys[1], p.weight);
        writeln!(out, "{a}\t{b}\t{}\t{veto}\t{w}", p.probability).expect("stdout");
    }
    out.flush().expect("stdout");
    let line = serde_json::json!({
        "rows": scoring.rows, "candidates": scoring.candidates, "kept": scoring.pairs.len(),
        "seconds": secs, "peak_rss_kb": peak_rss_kb(),
    });
    eprintln!("{line}");
    sources.close().await;
}
