//! Clinic digests: a scheduled e-mail per `[[digests]]` entry, rendered
//! per clinic in plain words from the stabilization scorecard, queued to
//! the durable outbox once per recipient and period.
//!
//! Every replica looks each `POLL` for a digest whose latest cron slot is
//! within its send window and not yet queued; queuing writes the period,
//! one send row per recipient and its outbox message in one transaction
//! (keyed by digest, period and recipient), so a restart or a second
//! replica inside the window queues nothing more. The `notify` room
//! delivers (SMTP, or `.eml` files in `[outbox] mail_dir`), with retries.

mod all_clinics;
pub mod chart;
pub mod content;
pub mod known;
mod metrics;
pub mod render;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::config::alerts::SMTP_CHANNEL;
use crate::config::stabilization::DigestConfig;
use crate::derive::scorecard::Scorecards;
use crate::store::{EmailPayload, InlineImage, NewOutbox, StoreError};
pub use content::DigestData;
pub use metrics::DigestMetrics;

/// How often each replica looks for a due digest.
const POLL: Duration = Duration::from_secs(15);
/// Chart size in pixels (shown at this size in the mail).
pub const CHART_SIZE: (u32, u32) = (420, 80);

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error("no digest named `{0}` in the config")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot draw the chart: {0}")]
    Chart(#[from] chart::ChartError),
}

struct Setup {
    digests: Vec<DigestConfig>,
    categories: BTreeMap<String, String>,
    public_url: Option<String>,
}

impl Setup {
    fn from_config(config: &Config) -> Setup {
        Setup {
            digests: config.digests.clone(),
            categories: config
                .feedback
                .categories
                .iter()
                .map(|c| (c.id.to_string(), c.label.clone()))
                .collect(),
            public_url: config.server.public_url.as_ref().map(|u| u.to_string()),
        }
    }
}

/// A digest ready to send or preview.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// (cid, PNG bytes) per clinic.
    pub charts: Vec<(String, Vec<u8>)>,
    pub data: DigestData,
}

pub struct Digests {
    cards: Arc<Scorecards>,
    setup: RwLock<Arc<Setup>>,
    metrics: Option<DigestMetrics>,
}

/// The period a slot stands for, as stored and shown.
pub fn period_of(slot: DateTime<Utc>) -> String {
    slot.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The latest slot at or before `now` still within the send window.
pub fn due_slot(d: &DigestConfig, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let window = chrono::Duration::from_std(d.send_window).ok()?;
    let from = now - window - chrono::Duration::seconds(1);
    d.schedule
        .schedule
        .after(&from)
        .take_while(|t| *t <= now)
        .last()
}

impl Digests {
    pub fn new(
        cards: Arc<Scorecards>,
        config: &Config,
        registry: &prometheus::Registry,
    ) -> Digests {
        let metrics = DigestMetrics::new(registry)
            .map_err(|e| tracing::error!(error = %e, "digest metrics not registered"))
            .ok();
        if let Some(m) = &metrics {
            for d in &config.digests {
                m.known(d.name.as_str());
            }
        }
        Digests {
            cards,
            setup: RwLock::new(Arc::new(Setup::from_config(config))),
            metrics,
        }
    }

    pub fn reload(&self, config: &Config) {
        if let Ok(mut s) = self.setup.write() {
            *s = Arc::new(Setup::from_config(config));
        }
    }

    fn setup(&self) -> Arc<Setup> {
        self.setup
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    fn config(&self, name: &str) -> Result<DigestConfig, DigestError> {
        self.setup()
            .digests
            .iter()
            .find(|d| d.name.as_str() == name)
            .cloned()
            .ok_or_else(|| DigestError::Unknown(name.to_string()))
    }

    /// Renders a digest for `period` from the store as it is at `now_ms`.
    pub async fn render(
        &self,
        name: &str,
        period: &str,
        now_ms: i64,
    ) -> Result<Rendered, DigestError> {
        let d = self.config(name)?;
        let setup = self.setup();
        let data = content::gather(
            &self.cards,
            &d,
            &setup.categories,
            setup.public_url.clone(),
            period,
            now_ms,
        )
        .await?;
        let mut charts = Vec::new();
        for c in &data.clinics {
            let png = chart::png(&c.trend, CHART_SIZE.0, CHART_SIZE.1)?;
            charts.push((render::chart_cid(&c.card.clinic), png));
        }
        let day = period.get(..10).unwrap_or(period);
        Ok(Rendered {
            subject: format!("{} — {day}", d.subject),
            text: render::text(&data),
            html: render::html(&data),
            charts,
            data,
        })
    }

    /// Queues a digest period to every recipient; returns the messages
    /// queued (0 when the period went out already).
    pub async fn queue(&self, name: &str, period: &str, now_ms: i64) -> Result<usize, DigestError> {
        let d = self.config(name)?;
        let r = self.render(name, period, now_ms).await?;
        let inline: Vec<InlineImage> = r
            .charts
            .iter()
            .map(|(cid, png)| InlineImage {
                cid: cid.clone(),
                content_type: "image/png".into(),
                base64: base64::engine::general_purpose::STANDARD.encode(png),
            })
            .collect();
        let mut payloads = Vec::new();
        for to in &d.recipients {
            let p = EmailPayload {
                to: vec![to.clone()],
                subject: r.subject.clone(),
                text: r.text.clone(),
                html: Some(r.html.clone()),
                inline: inline.clone(),
            };
            let body = serde_json::to_string(&p).map_err(|e| StoreError::Query(e.to_string()))?;
            payloads.push((to.clone(), format!("digest:{name}:{period}:{to}"), body));
        }
        let messages: Vec<(String, NewOutbox<'_>)> = payloads
            .iter()
            .map(|(to, key, body)| {
                (
                    to.clone(),
                    NewOutbox {
                        channel: SMTP_CHANNEL,
                        idempotency_key: key,
                        ordering_key: "",
                        payload: body,
                        created_ms: now_ms,
                    },
                )
            })
            .collect();
        let figures = serde_json::to_string(&r.data.figures()).unwrap_or_else(|_| "{}".into());
        let n = self
            .cards
            .store()
            .queue_digest(name, period, &figures, &messages, now_ms)
            .await?;
        if let Some(m) = &self.metrics {
            m.sent(name, n as u64);
        }
        if n > 0 {
            tracing::info!(digest = name, period, messages = n, "digest queued");
        }
        Ok(n)
    }

    /// Queues every digest whose latest slot is due and not queued yet.
    pub async fn tick(&self, now: DateTime<Utc>) {
        for d in &self.setup().digests {
            let Some(slot) = due_slot(d, now) else {
                continue;
            };
            let period = period_of(slot);
            match self
                .cards
                .store()
                .digest_period_queued(d.name.as_str(), &period)
                .await
            {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(digest = %d.name, error = %e, "digest: store unavailable");
                    continue;
                }
            }
            if let Err(e) = self
                .queue(d.name.as_str(), &period, now.timestamp_millis())
                .await
            {
                tracing::warn!(digest = %d.name, error = %e, "digest not queued; retried next pass");
            }
        }
    }

    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        loop {
            if !self.setup().digests.is_empty() {
                self.tick(Utc::now()).await;
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }
}
