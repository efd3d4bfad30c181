//! `/metrics` with 100 checks configured: render time in process and over
//! loopback HTTP. Run with `cargo bench --bench scrape`.
//!
//! Every check runs each second against a small SQLite source, so every
//! check has results and 10 group series when the scrapes are timed.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const CHECKS: usize = 100;
const SCRAPES: usize = 500;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{what}: n={} p50={:.3} ms p90={:.3} ms p99={:.3} ms max={:.3} ms",
        samples.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.9).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path().display();
    let src = format!("sqlite://{d}/src.db");
    {
        use sqlx::Connection;
        let opts: sqlx::sqlite::SqliteConnectOptions = src.parse()?;
        let mut c = sqlx::SqliteConnection::connect_with(&opts.create_if_missing(true)).await?;
        sqlx::raw_sql("CREATE TABLE t (g TEXT, n INT); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) INSERT INTO t SELECT 'group' || (x % 10), x FROM c")
            .execute(&mut c)
            .await?;
    }
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"sqlite://{d}/store.db\"\n[sources.s]\nurl = \"{src}\"\n"
    );
    for i in 0..CHECKS {
        text.push_str(&format!(
            "[[reconcile]]\nname = \"check_{i:03}\"\nschedule = \"* * * * * *\"\n\
             source = {{ from = \"s\", sql = \"SELECT g, COUNT(*) FROM t GROUP BY g\" }}\n\
             target = {{ from = \"s\", sql = \"SELECT g, COUNT(*) - {} FROM t GROUP BY g\" }}\n",
            i % 2
        ));
    }
    let path = dir.path().join("hypercare.toml");
    std::fs::write(&path, text)?;
    let cfg = hypercare::config::load(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = hypercare::app::Application::build(cfg).await?;
    let url = format!("http://{}/metrics", app.local_addr());
    let state = app.state();
    let shutdown = CancellationToken::new();
    let (_tx, rx) = mpsc::channel(1);
    let running = tokio::spawn(app.run(shutdown.clone(), rx));

    // Wait until every check has a result in the metrics.
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let body = client.get(&url).send().await?.text().await?;
        let with_status = body
            .lines()
            .filter(|l| l.starts_with("hypercare_check_status{") && l.ends_with(" 1"))
            .count();
        if with_status >= CHECKS {
            let series = body.lines().filter(|l| !l.starts_with('#')).count();
            println!(
                "{CHECKS} checks with results: {series} series, {} bytes per scrape",
                body.len()
            );
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "checks did not all report within 60 s ({with_status})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut render = Vec::with_capacity(SCRAPES);
    for _ in 0..SCRAPES {
        let t = Instant::now();
        std::hint::black_box(state.metrics.render());
        render.push(t.elapsed());
    }
    report("render in process", render);

    let mut http = Vec::with_capacity(SCRAPES);
    for _ in 0..SCRAPES {
        let t = Instant::now();
        let body = client.get(&url).send().await?.bytes().await?;
        http.push(t.elapsed());
        std::hint::black_box(body);
    }
    report("GET /metrics over loopback", http);

    shutdown.cancel();
    running.await??;
    Ok(())
}
