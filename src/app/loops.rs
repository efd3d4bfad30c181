//! The loops the application runs, in the order they start and stop: the
//! web server first and last (it serves `/metrics` through the drain), the
//! scheduler, the loops that read results, the outbox.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::Application;
use super::supervisor::{Role, Supervisor};

impl Application {
    /// Starts every background loop under one supervisor.
    pub(super) fn start(&self, listener: TcpListener) -> Supervisor {
        let mut sup = Supervisor::new(CancellationToken::new(), self.state.readiness.clone());
        if let Some(name) = &self.panic_loop {
            sup.panic_loop(name);
        }
        let router = crate::web::router(self.state.clone());
        let limits = crate::web::serve::Limits::default();
        sup.spawn("server", Role::Critical, move |stop| {
            crate::web::serve::serve(listener, router, limits, stop)
        });
        let s = &self.state;
        let (sched, checks) = (self.scheduler.clone(), self.checks_tx.subscribe());
        sup.spawn("scheduler", Role::Critical, |stop| sched.run(checks, stop));
        let derive = self.derive.clone();
        let (every, finished) = (self.config.scheduler.lease / 3, self.scheduler.finished());
        sup.spawn("derive", Role::Ordinary, |stop| {
            crate::derive::run(derive, every, finished, stop)
        });
        let alerts = s.alerts.clone();
        sup.spawn("alerts", Role::Ordinary, |stop| alerts.run(stop));
        let feedback = s.feedback.clone();
        sup.spawn("feedback", Role::Ordinary, |stop| {
            feedback.run_background(stop)
        });
        let stabilization = self.stabilization.clone();
        sup.spawn("stabilization", Role::Ordinary, |stop| {
            stabilization.run(stop)
        });
        let digests = s.digests.clone();
        sup.spawn("digests", Role::Ordinary, |stop| digests.run(stop));
        let notify = self.notify.clone();
        sup.spawn("notify", Role::Ordinary, |stop| notify.run(stop));
        sup
    }

    /// Stops the loops in order: no new runs, running checks drained, the
    /// loops that read their results, the outbox (it keeps delivering
    /// through the drain), and last the web server (it serves `/metrics`
    /// through the drain). Then the pools and the store close.
    pub(super) async fn drain(&mut self, sup: &Supervisor) {
        tracing::info!("shutting down: no new runs; draining running checks");
        self.state.readiness.set_scheduling(false);
        sup.stop("scheduler", Duration::from_secs(10)).await;
        self.scheduler
            .drain(self.config.scheduler.drain_timeout)
            .await;
        for name in ["feedback", "alerts", "stabilization", "digests", "derive"] {
            sup.stop(name, Duration::from_secs(10)).await;
        }
        // A pass in flight is bounded by its timeouts.
        sup.stop("notify", Duration::from_secs(15)).await;
        sup.stop("server", Duration::from_secs(5)).await;
        sup.stop_all(Duration::from_secs(1)).await;
        self.sources.close().await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.state.store.close()).await;
        tracing::info!("stopped");
    }
}
