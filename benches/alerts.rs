//! Alerts and the outbox: the cost of one evaluation round of the default
//! rules over 200 checks (half of them failing), and how many webhook
//! messages per second the outbox delivers to a receiver on loopback.
//! Run with `cargo bench --bench alerts`; with HYPERCARE_BENCH_POSTGRES_URL
//! set (a fresh, empty database) the store is PostgreSQL instead of SQLite.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hypercare::alerts::Alerts;
use hypercare::alerts::rules::CheckRef;
use hypercare::notify::Notify;
use hypercare::store::{NewOutbox, Store};

const CHECKS: usize = 200;
const ROUNDS: usize = 20;
const MESSAGES: usize = 2000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{what}: n={} p50={:.2} ms p90={:.2} ms max={:.2} ms",
        samples.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.9).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

async fn receiver() -> anyhow::Result<(u16, Arc<AtomicUsize>)> {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((port, count))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store_url = std::env::var("HYPERCARE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/store.db", dir.path().display()));
    let (port, delivered) = receiver().await?;
    let mut text = format!(
        "[store]\nurl = \"{store_url}\"\n[sources.s]\nurl = \"sqlite::memory:\"\n\
         [alerting]\ndefault_for = \"0s\"\ndefault_notify = [\"hook\"]\n\
         [notifiers.hook]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{port}/hook\"\n\
         [outbox]\npoll_interval = \"10ms\"\n"
    );
    for i in 0..CHECKS {
        text.push_str(&format!(
            "[[reconcile]]\nname = \"check{i}\"\nschedule = \"0 * * * * *\"\n\
             source = {{ from = \"s\", sql = \"SELECT 1\" }}\ntarget = {{ from = \"s\", sql = \"SELECT 1\" }}\n"
        ));
    }
    let config = hypercare::config::parse(&text, &dir.path().join("h.toml"), &|_| None)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = Store::open(&config.store).await?;
    println!("store: {}", store.backend());

    // One finished run per check, every other one failing with 5 missing records.
    let now = chrono::Utc::now();
    let mut sql = String::new();
    for i in 0..CHECKS {
        let (status, details) = if i % 2 == 0 {
            ("fail", r#"{"missing": 5, "extra": 0, "changed": 0}"#)
        } else {
            ("pass", r#"{"missing": 0, "extra": 0, "changed": 0}"#)
        };
        let at = now.timestamp_millis() - 1000;
        sql.push_str(&format!(
            "INSERT INTO runs (check_name, kind, slot_ms, status, owner, started_ms, finished_ms, duration_ms, details) \
             VALUES ('check{i}', 'reconcile', {at}, '{status}', 'b', {at}, {at}, 1, '{details}');"
        ));
    }
    exec(&store_url, &sql).await?;
    let registry = prometheus::Registry::new();
    let alerts = Alerts::new(store.clone(), &config, &registry);
    let refs: Vec<CheckRef> = (0..CHECKS)
        .map(|i| CheckRef {
            name: format!("check{i}"),
            kind: hypercare::config::checks::CheckKind::Reconcile,
            interval_ms: Some(60_000),
            clinics: Vec::new(),
        })
        .collect();

    // The first round fires 200 alerts (100 check_failing, 100 discrepancy) and queues their messages.
    let started = Instant::now();
    alerts.evaluate(&refs, chrono::Utc::now()).await?;
    println!(
        "first round (200 alerts fire, 200 messages queued): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let mut steady = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        alerts.evaluate(&refs, chrono::Utc::now()).await?;
        steady.push(t.elapsed());
    }
    report(
        &format!("steady round ({CHECKS} checks x 4 default rules, nothing changes)"),
        steady,
    );

    // Outbox throughput: queue more webhook messages, deliver them all.
    let queued_by_alerts = 200;
    for i in 0..MESSAGES - queued_by_alerts {
        let key = format!("bench-{i}");
        store
            .enqueue(&NewOutbox {
                channel: "webhook:hook",
                idempotency_key: &key,
                ordering_key: "",
                payload: r#"{"text":"bench"}"#,
                created_ms: now.timestamp_millis(),
            })
            .await?;
    }
    let notify = Notify::new(store.clone(), &config, "bench".into(), &registry);
    let t = Instant::now();
    while delivered.load(Ordering::Relaxed) < MESSAGES && t.elapsed() < Duration::from_secs(120) {
        notify
            .deliver_due(chrono::Utc::now().timestamp_millis())
            .await;
    }
    let took = t.elapsed();
    println!(
        "outbox: {} webhook messages delivered in {:.2} s = {:.0} messages/s (batches of 20, claim + POST + mark each)",
        delivered.load(Ordering::Relaxed),
        took.as_secs_f64(),
        delivered.load(Ordering::Relaxed) as f64 / took.as_secs_f64()
    );
    store.close().await;
    Ok(())
}

async fn exec(url: &str, sql: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await?;
        sqlx::raw_sql(sql).execute(&mut c).await?;
    } else {
        let opts: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
        let mut c = sqlx::SqliteConnection::connect_with(&opts).await?;
        sqlx::raw_sql(sql).execute(&mut c).await?;
    }
    Ok(())
}
