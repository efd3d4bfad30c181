//! Progress of long checks, for a person watching `hypercare check` on a
//! terminal. Checks report through a task-local sink that only the CLI sets,
//! so the daemon and the `Check` trait know nothing of it.

use std::sync::Arc;

/// Receives progress; implemented by the CLI's progress bars.
pub trait Progress: Send + Sync {
    /// A check starts (or restarts) a long phase; `total_rows` when it can
    /// be known (`None` keeps the total already given).
    fn start(&self, check: &str, total_rows: Option<u64>);
    /// Rows compared and segments checked since the last call.
    fn advance(&self, check: &str, rows: u64, segments: u64);
    fn finish(&self, check: &str);
}

tokio::task_local! {
    static SINK: Arc<dyn Progress>;
}

/// Runs `fut` with progress going to `sink`.
pub async fn with_sink<F: std::future::Future>(sink: Arc<dyn Progress>, fut: F) -> F::Output {
    SINK.scope(sink, fut).await
}

pub fn start(check: &str, total_rows: Option<u64>) {
    let _ = SINK.try_with(|s| s.start(check, total_rows));
}

pub fn advance(check: &str, rows: u64, segments: u64) {
    let _ = SINK.try_with(|s| s.advance(check, rows, segments));
}

pub fn finish(check: &str) {
    let _ = SINK.try_with(|s| s.finish(check));
}
