//! The fault suite: one test per fault of docs/reliability.md, each
//! asserting the figure the table gives.

mod clients;
mod documents;
mod heartbeat;
mod proxy;
mod scene;
mod sources;
mod store;
mod store_run;
mod upkeep;

use std::time::{Duration, Instant};

/// The slowest `/healthz` answer over `during`, asked every 100 ms on a
/// fresh connection each time (a wedged listener shows as a timeout).
pub async fn healthz_latency(base: String, during: Duration) -> Duration {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let (start, mut worst) = (Instant::now(), Duration::ZERO);
    while start.elapsed() < during {
        let asked = Instant::now();
        let ok = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        let took = if ok {
            asked.elapsed()
        } else {
            Duration::from_secs(5)
        };
        worst = worst.max(took);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worst
}

/// `/healthz` asked every 100 ms from `start` until `worst` is called, for
/// tests whose fault has no fixed length (a signal, a relay coming back).
pub struct HealthzWatch {
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<Duration>,
}

impl HealthzWatch {
    pub fn start(base: String) -> HealthzWatch {
        let stop = tokio_util::sync::CancellationToken::new();
        let until = stop.clone();
        let task = tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            while !until.is_cancelled() {
                worst = worst.max(healthz_latency(base.clone(), Duration::from_millis(1)).await);
            }
            worst
        });
        HealthzWatch { stop, task }
    }

    /// The slowest answer so far; stops asking.
    pub async fn worst(self) -> Duration {
        self.stop.cancel();
        self.task.await.unwrap_or(Duration::MAX)
    }
}
