//! What `/readyz` reports besides the store: whether the scheduler runs and
//! which background loops have died. Written by the application's
//! supervisor, read by every `/readyz` request.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// What `/readyz` knows of the process besides the store: written by the
/// application's supervisor, read by every request.
#[derive(Debug, Default)]
pub struct Readiness {
    /// False until the scheduler runs and again once shutdown begins.
    scheduling: AtomicBool,
    /// Loops that died (returned early or panicked), by name.
    dead: Mutex<Vec<&'static str>>,
}

impl Readiness {
    pub fn set_scheduling(&self, on: bool) {
        self.scheduling.store(on, Ordering::Relaxed);
    }

    pub fn loop_died(&self, name: &'static str) {
        if let Ok(mut dead) = self.dead.lock()
            && !dead.contains(&name)
        {
            dead.push(name);
        }
    }

    /// The loops that died, in the order they died.
    pub fn dead(&self) -> Vec<&'static str> {
        self.dead.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Why the process is not ready, if it is not (the store aside).
    pub(super) fn problem(&self) -> Option<String> {
        let dead = self.dead();
        if !dead.is_empty() {
            return Some(format!("not ready: the {} loop stopped\n", dead.join(", ")));
        }
        (!self.scheduling.load(Ordering::Relaxed))
            .then(|| "not ready: scheduler not running\n".to_string())
    }
}
