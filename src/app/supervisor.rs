//! Every background loop runs under one supervisor: one cancellation token
//! (each loop gets a child of it, so shutdown can stop them in order), one
//! task tracker, and a watch on each loop.
//!
//! A loop that returns before it was told to stop, or panics, is logged
//! and marked dead in the readiness `/readyz` reports, so the orchestrator
//! stops sending work to this replica. A loop without which the process is
//! useless (the scheduler, the web server) is *critical*: its death also
//! ends the process with a non-zero exit, so the orchestrator restarts it
//! instead of leaving a replica that answers but no longer schedules.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::web::Readiness;

/// Whether the process can go on without a loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Its death makes `/readyz` fail.
    Ordinary,
    /// Its death also ends the process with a non-zero exit.
    Critical,
}

struct Running {
    name: &'static str,
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

pub struct Supervisor {
    /// The one token: every loop's own token is a child of it.
    root: CancellationToken,
    tracker: TaskTracker,
    /// Cancelled when a critical loop dies; `fatal` names it.
    fatal: CancellationToken,
    fatal_name: Arc<Mutex<Option<&'static str>>>,
    readiness: Arc<Readiness>,
    loops: Mutex<Vec<Running>>,
    /// Test hook: the loop of this name panics as it starts (see `panic_loop`).
    panic_loop: Option<String>,
}

impl Supervisor {
    pub fn new(root: CancellationToken, readiness: Arc<Readiness>) -> Supervisor {
        Supervisor {
            root,
            tracker: TaskTracker::new(),
            fatal: CancellationToken::new(),
            fatal_name: Arc::default(),
            readiness,
            loops: Mutex::default(),
            panic_loop: None,
        }
    }

    /// For tests of the supervision itself: the loop named `name` panics as
    /// it starts, as a loop with a bug would.
    pub fn panic_loop(&mut self, name: &str) {
        self.panic_loop = Some(name.to_string());
    }

    /// Starts a loop. `make` gets the loop's own token: it must return when
    /// that token is cancelled, and not before.
    pub fn spawn<F, Fut>(&self, name: &'static str, role: Role, make: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let stop = self.root.child_token();
        let work = make(stop.clone());
        let hooked = self.panic_loop.as_deref() == Some(name);
        let watch = Watch {
            name,
            role,
            stop: stop.clone(),
            fatal: self.fatal.clone(),
            fatal_name: self.fatal_name.clone(),
            readiness: self.readiness.clone(),
        };
        let handle = self.tracker.spawn(async move {
            let outcome = AssertUnwindSafe(async move {
                if hooked {
                    panic!("test hook: the {name} loop panics");
                }
                work.await
            })
            .catch_unwind()
            .await;
            watch.ended(outcome.err());
        });
        if let Ok(mut loops) = self.loops.lock() {
            loops.push(Running { name, stop, handle });
        }
    }

    /// Resolves when a critical loop has died; its name.
    pub async fn fatal(&self) -> &'static str {
        self.fatal.cancelled().await;
        self.fatal_name
            .lock()
            .ok()
            .and_then(|n| *n)
            .unwrap_or("a critical")
    }

    /// Tells the named loop to stop and waits for it, at most `within`.
    pub async fn stop(&self, name: &'static str, within: Duration) {
        let running = self.loops.lock().ok().and_then(|mut loops| {
            let i = loops.iter().position(|l| l.name == name)?;
            Some(loops.swap_remove(i))
        });
        let Some(r) = running else { return };
        r.stop.cancel();
        if tokio::time::timeout(within, r.handle).await.is_err() {
            tracing::warn!(task = name, within = ?within, "loop did not stop in time");
        }
    }

    /// Stops every loop still running (the root token) and waits for them.
    pub async fn stop_all(&self, within: Duration) {
        self.root.cancel();
        self.tracker.close();
        if tokio::time::timeout(within, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(within = ?within, "loops did not stop in time");
        }
    }
}

/// What a loop's end means, decided when it ends.
struct Watch {
    name: &'static str,
    role: Role,
    stop: CancellationToken,
    fatal: CancellationToken,
    fatal_name: Arc<Mutex<Option<&'static str>>>,
    readiness: Arc<Readiness>,
}

impl Watch {
    fn ended(self, panic: Option<Box<dyn std::any::Any + Send>>) {
        let name = self.name;
        match panic {
            None if self.stop.is_cancelled() => {
                tracing::debug!(task = name, "loop stopped");
                return;
            }
            None => tracing::error!(task = name, "loop returned before it was told to stop"),
            Some(p) => {
                let why = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(task = name, panic = %why, "loop panicked");
            }
        }
        self.readiness.loop_died(name);
        if self.role == Role::Critical {
            if let Ok(mut n) = self.fatal_name.lock() {
                n.get_or_insert(name);
            }
            self.fatal.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supervisor() -> (Supervisor, Arc<Readiness>) {
        let readiness = Arc::new(Readiness::default());
        (
            Supervisor::new(CancellationToken::new(), readiness.clone()),
            readiness,
        )
    }

    #[tokio::test]
    async fn a_loop_that_returns_early_is_dead_and_a_stopped_one_is_not() {
        let (s, readiness) = supervisor();
        s.spawn("early", Role::Ordinary, |_| async {});
        s.spawn("patient", Role::Ordinary, |stop| async move {
            stop.cancelled().await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        s.stop("patient", Duration::from_secs(1)).await;
        assert_eq!(readiness.dead(), vec!["early"]);
    }

    #[tokio::test]
    async fn a_critical_loop_that_panics_is_fatal() {
        let (mut s, readiness) = supervisor();
        s.panic_loop("scheduler");
        s.spawn("scheduler", Role::Critical, |stop| async move {
            stop.cancelled().await
        });
        let name = tokio::time::timeout(Duration::from_secs(5), s.fatal()).await;
        assert_eq!(name.ok(), Some("scheduler"));
        assert_eq!(readiness.dead(), vec!["scheduler"]);
        s.stop_all(Duration::from_secs(1)).await;
    }
}
