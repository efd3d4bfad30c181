//! `hypercare digest preview NAME` and `hypercare digest send NAME`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::config::alerts::SMTP_CHANNEL;
use crate::derive::scorecard::Scorecards;
use crate::digest::{Digests, period_of, render};
use crate::notify::Notify;
use crate::stabilization::Stabilization;
use crate::store::Store;

async fn open(cfg: &Config) -> anyhow::Result<(Store, Arc<Stabilization>, Digests)> {
    use anyhow::Context;
    let store = Store::open(&cfg.store)
        .await
        .context("cannot open the store")?;
    let registry = prometheus::Registry::new();
    let cards = Arc::new(Scorecards::new(store.clone(), cfg));
    let stab = Arc::new(Stabilization::new(cards.clone(), &registry));
    let digests = Digests::new(cards, cfg, &registry);
    Ok((store, stab, digests))
}

/// Writes `NAME.html` (charts as data URIs, for a browser), `NAME.txt` and
/// one PNG per clinic into `out`.
pub async fn preview(cfg: Config, name: &str, out: &Path) -> ExitCode {
    let (store, _, digests) = match open(&cfg).await {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let now = chrono::Utc::now();
    let result = digests
        .render(name, &period_of(now), now.timestamp_millis())
        .await;
    store.close().await;
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(out)?;
        std::fs::write(
            out.join(format!("{name}.html")),
            render::html_with_data_uris(&r.html, &r.charts),
        )?;
        std::fs::write(out.join(format!("{name}.txt")), &r.text)?;
        for (cid, png) in &r.charts {
            let file = cid.trim_end_matches("@hypercare");
            std::fs::write(out.join(format!("{name}-{file}.png")), png)?;
        }
        Ok(())
    };
    match write() {
        Ok(()) => {
            println!(
                "wrote {0}/{name}.html and {0}/{name}.txt ({1} clinic(s)): {2}",
                out.display(),
                r.data.clinics.len(),
                r.subject
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write into {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}

/// Queues the digest for now and delivers it through the outbox, waiting
/// up to two minutes for the relay (or the mail folder).
pub async fn send(cfg: Config, name: &str) -> ExitCode {
    let (store, stab, digests) = match open(&cfg).await {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let _ = stab.round(chrono::Utc::now().timestamp_millis()).await;
    let now = chrono::Utc::now();
    let period = period_of(now);
    let queued = match digests.queue(name, &period, now.timestamp_millis()).await {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            store.close().await;
            return ExitCode::from(2);
        }
    };
    let registry = prometheus::Registry::new();
    let owner = format!("cli-{}", std::process::id());
    let notify = Notify::new(store.clone(), &cfg, owner, &registry);
    let prefix = format!("digest:{name}:{period}:");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let code = loop {
        notify
            .deliver_due(chrono::Utc::now().timestamp_millis())
            .await;
        let rows = match store.outbox_rows(SMTP_CHANNEL).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                break ExitCode::from(2);
            }
        };
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| r.idempotency_key.starts_with(&prefix))
            .collect();
        let delivered = mine.iter().filter(|r| r.delivered_ms.is_some()).count();
        if delivered == mine.len() {
            println!("digest {name}: {queued} message(s) queued, {delivered} delivered");
            break ExitCode::SUCCESS;
        }
        if tokio::time::Instant::now() > deadline {
            let err = mine
                .iter()
                .find(|r| !r.last_error.is_empty())
                .map_or("", |r| r.last_error.as_str());
            eprintln!(
                "digest {name}: {delivered} of {} delivered so far; the rest stay in the outbox and the daemon retries ({err})",
                mine.len()
            );
            break ExitCode::from(2);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    store.close().await;
    code
}
