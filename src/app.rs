//! The application: builds every room from a config, binds the listener,
//! runs until told to stop, reloads on request.
//!
//! `main` and the tests build the same [`Application`]; tests bind port 0.

mod loops;
mod supervisor;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::alerts::Alerts;
use crate::checks;
use crate::config::checks::CheckMeta;
use crate::config::{self, Config};
use crate::derive::Derive;
use crate::derive::scorecard::Scorecards;
use crate::feedback::Feedback;
use crate::metrics::Metrics;
use crate::notify::Notify;
use crate::scheduler::{CheckSet, Scheduler};
use crate::sources::Sources;
use crate::stabilization::Stabilization;
use crate::store::Store;
pub use crate::web::AppState;
use crate::web::{Readiness, Site};

pub struct Application {
    /// Taken by `run` when it starts serving.
    listener: Option<TcpListener>,
    state: Arc<AppState>,
    scheduler: Arc<Scheduler>,
    checks_tx: watch::Sender<CheckSet>,
    config: Config,
    sources: Sources,
    /// Delivers the outbox (mail, webhooks, Alertmanager).
    notify: Arc<Notify>,
    /// The derived gauges (results, SLOs), refreshed by a loop of their own.
    derive: Arc<Derive>,
    /// Stabilization rounds (history, rollback triggers, gauges).
    stabilization: Arc<Stabilization>,
    /// The configured checks as web pages see them; replaced on reload.
    metas_tx: watch::Sender<Arc<Vec<CheckMeta>>>,
    /// Test hook: the background loop of this name panics as it starts.
    panic_loop: Option<String>,
}

impl Application {
    /// Opens the store (applying migrations), builds sources and checks, binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let store = Store::open(&config.store)
            .await
            .context("cannot open the store")?;
        let metrics = Arc::new(Metrics::new(store.backend()));
        metrics
            .workflows()
            .set_buckets(&config.workflow_metrics.buckets);
        let sources = Sources::from_config(&config).context("cannot set up sources")?;
        let set: CheckSet = Arc::new(checks::build_all(&config, &sources));
        let (checks_tx, _) = watch::channel(set);
        let derive = Arc::new(Derive::new(store.clone(), metrics.clone(), &config));
        let (metas_tx, metas_rx) = watch::channel(Arc::new(config::checks::checks(&config)));
        let owner = replica_id(&config);
        let owner_id = owner.clone();
        let scheduler = Scheduler::new(
            store.clone(),
            metrics.clone(),
            owner,
            config.scheduler.lease,
            config.store.retention,
        );
        let listener = TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let feedback = Arc::new(Feedback::new(store.clone(), &config, metrics.registry()));
        let site = Arc::new(
            Site::new(&config, &store, crate::web::openapi_json(&config))
                .await
                .context("cannot set up the feedback form")?,
        );
        let alerts = Arc::new(Alerts::new(store.clone(), &config, metrics.registry()));
        let notify = Arc::new(Notify::new(
            store.clone(),
            &config,
            owner_id,
            metrics.registry(),
        ));
        let scorecards = Arc::new(Scorecards::new(store.clone(), &config));
        let stabilization = Arc::new(Stabilization::new(scorecards.clone(), metrics.registry()));
        let digests = Arc::new(crate::digest::Digests::new(
            scorecards.clone(),
            &config,
            metrics.registry(),
        ));
        let state = Arc::new(AppState {
            store,
            metrics,
            checks: metas_rx,
            readiness: Arc::new(Readiness::default()),
            feedback,
            site,
            alerts,
            scorecards,
            digests,
        });
        Ok(Application {
            listener: Some(listener),
            notify,
            derive,
            stabilization,
            metas_tx,
            state,
            scheduler,
            checks_tx,
            config,
            sources,
            panic_loop: None,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .unwrap_or(self.config.server.listen)
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// For tests of the supervision: the background loop named `name`
    /// (`scheduler`, `server`, `alerts`, `notify`, …) panics as it starts.
    pub fn panic_loop(&mut self, name: &str) {
        self.panic_loop = Some(name.to_string());
    }

    /// Serves and schedules until `shutdown` is cancelled, then drains:
    /// running checks get `drain_timeout` to finish before they are cancelled
    /// (and recorded as cancelled). Each message on `reloads` re-reads the
    /// config file and applies it if valid. A critical loop that dies
    /// (the scheduler, the web server) drains too, then returns an error.
    pub async fn run(
        mut self,
        shutdown: CancellationToken,
        mut reloads: mpsc::Receiver<()>,
    ) -> anyhow::Result<()> {
        let local_addr = self.local_addr();
        let listener = self
            .listener
            .take()
            .context("the application is already running")?;
        // The gauges show the stored results before the first scrape.
        self.derive.refresh(chrono::Utc::now()).await;
        let sup = self.start(listener);
        self.state.readiness.set_scheduling(true);
        tracing::info!(listen = %local_addr, store = self.state.store.backend(), "hypercare running");
        let died = loop {
            tokio::select! {
                _ = shutdown.cancelled() => break None,
                name = sup.fatal() => break Some(name),
                Some(()) = reloads.recv() => self.reload().await,
            }
        };
        self.drain(&sup).await;
        match died {
            None => Ok(()),
            Some(name) => anyhow::bail!("the {name} loop stopped; exiting so that it is restarted"),
        }
    }

    async fn reload(&mut self) {
        let new = match config::load(&self.config.path) {
            Ok(c) => c,
            Err(errors) => {
                self.state.metrics.count_reload(false);
                for e in &errors.0 {
                    tracing::error!(error = %e, "config reload refused; keeping the running config");
                }
                return;
            }
        };
        if new.server.listen != self.config.server.listen || new.store.url != self.config.store.url
        {
            tracing::warn!("listen address and store changes take effect only after a restart");
        }
        if new.server.admin != self.config.server.admin
            || new.feedback != self.config.feedback
            || new.clinics != self.config.clinics
        {
            tracing::warn!(
                "[feedback], [[clinics]] and admin credential changes take effect only after a restart"
            );
        }
        let sources = match Sources::from_config(&new) {
            Ok(s) => s,
            Err(e) => {
                self.state.metrics.count_reload(false);
                tracing::error!(error = %e, "config reload refused: cannot set up sources");
                return;
            }
        };
        let set: CheckSet = Arc::new(checks::build_all(&new, &sources));
        self.derive.reload(&new);
        self.state.alerts.reload(&new);
        self.state.scorecards.reload(&new);
        self.state.digests.reload(&new);
        self.checks_tx.send_replace(set.clone());
        self.metas_tx
            .send_replace(Arc::new(config::checks::checks(&new)));
        self.derive.refresh(chrono::Utc::now()).await;
        // Runs in flight hold their own handles on the old pools; closing waits for them.
        let old = std::mem::replace(&mut self.sources, sources);
        tokio::spawn(async move { old.close().await });
        self.config = Config {
            server: self.config.server.clone(),
            store: self.config.store.clone(),
            ..new
        };
        self.state.metrics.count_reload(true);
        tracing::info!(checks = set.len(), "config reloaded");
    }
}

/// This process's name among replicas: configured, or host, pid and a random tag.
fn replica_id(config: &Config) -> String {
    if let Some(id) = &config.scheduler.replica_id {
        return id.clone();
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|| "host".into());
    format!("{host}-{}-{:04x}", std::process::id(), fastrand::u16(..))
}
