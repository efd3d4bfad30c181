//! One daemon, in process, for the outage rows of the fault table: a
//! `steady` check on a local SQLite file beside the check under test, both
//! every second, and the runs read back from the store. `outage` cuts what
//! the check depends on for a while and measures the figures the table
//! gives: `/healthz` throughout, the class of the affected runs, the steady
//! check's slots kept, and the time to the first good run after restore.

use std::time::{Duration, Instant};

use sqlx::Connection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::helpers::{exec, free_port, write_config};

pub struct Scene {
    pub base: String,
    _dir: tempfile::TempDir,
    store: String,
    shutdown: CancellationToken,
    running: JoinHandle<anyhow::Result<()>>,
}

/// A stored run: status, summary, started and finished (ms since the epoch).
pub type Run = (String, String, i64, Option<i64>);

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Scene {
    /// Starts the daemon with the steady check and `affected` (config text
    /// naming `{d}` for the scene's folder, already filled in by the caller).
    pub async fn start(dir: tempfile::TempDir, affected: &str) -> Scene {
        let store = format!("sqlite://{}/store.db", dir.path().display());
        Scene::start_with(dir, (store.clone(), store), affected).await
    }

    /// With the store the daemon uses and the URL the test reads it through.
    pub async fn start_with(
        dir: tempfile::TempDir,
        (store_url, read_url): (String, String),
        affected: &str,
    ) -> Scene {
        let d = dir.path().display().to_string();
        exec(
            &format!("sqlite://{d}/steady.db"),
            "CREATE TABLE t (a INT); INSERT INTO t VALUES (1)",
        )
        .await;
        let port = free_port();
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"{store_url}\"\n\
             [sources.steady_db]\nurl = \"sqlite://{d}/steady.db\"\n\
             [[reconcile]]\nname = \"steady\"\nschedule = \"* * * * * *\"\n\
             source = {{ from = \"steady_db\", sql = \"SELECT COUNT(*) FROM t\" }}\n\
             target = {{ from = \"steady_db\", sql = \"SELECT COUNT(*) FROM t\" }}\n{affected}"
        );
        let path = write_config(dir.path(), &text);
        let config = hypercare::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let app = hypercare::app::Application::build(config).await.unwrap();
        let shutdown = CancellationToken::new();
        let (_tx, rx) = tokio::sync::mpsc::channel(1);
        let running = tokio::spawn(app.run(shutdown.clone(), rx));
        Scene {
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
            store: read_url,
            shutdown,
            running,
        }
    }

    pub async fn runs(&self, check: &str) -> Vec<Run> {
        const SQL: &str = "SELECT status, summary, started_ms, finished_ms FROM runs \
             WHERE check_name = $1 ORDER BY started_ms";
        if self.store.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(&self.store).await.unwrap();
            return sqlx::query_as(SQL)
                .bind(check)
                .fetch_all(&mut c)
                .await
                .unwrap();
        }
        let mut c = sqlx::SqliteConnection::connect(&self.store).await.unwrap();
        sqlx::query_as(SQL)
            .bind(check)
            .fetch_all(&mut c)
            .await
            .unwrap()
    }

    /// Waits up to `within` for a run of `check` with `status` started at or
    /// after `since`; its finish time.
    pub async fn wait_run(&self, check: &str, status: &str, since: i64, within: Duration) -> i64 {
        let start = Instant::now();
        loop {
            let found = self
                .runs(check)
                .await
                .into_iter()
                .find(|r| r.0 == status && r.2 >= since && r.3.is_some());
            if let Some(run) = found {
                return run.3.unwrap_or_default();
            }
            assert!(
                start.elapsed() < within,
                "no `{status}` run of {check} within {within:?}: {:#?}",
                self.runs(check).await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.running).await;
    }
}

/// What an outage measured.
#[derive(Debug)]
pub struct Figures {
    pub healthz_worst: Duration,
    /// Runs of the affected check that ended during the outage, by status.
    pub affected: Vec<Run>,
    /// Runs of the steady check started during the outage.
    pub steady_started: usize,
    /// From restore to the end of the affected check's first good run.
    pub recovery: Duration,
}

/// Cuts with `cut` for `length`, restores with `restore`, and measures.
pub async fn outage(
    scene: &Scene,
    check: &str,
    length: Duration,
    cut: impl FnOnce(),
    restore: impl FnOnce(),
) -> Figures {
    scene
        .wait_run(check, "pass", 0, Duration::from_secs(20))
        .await;
    let cut_at = now_ms();
    cut();
    let watch = tokio::spawn(super::healthz_latency(
        scene.base.clone(),
        length + Duration::from_secs(1),
    ));
    tokio::time::sleep(length).await;
    let restored_at = now_ms();
    restore();
    let done = scene
        .wait_run(check, "pass", restored_at, Duration::from_secs(30))
        .await;
    let in_outage = |r: &Run| r.2 >= cut_at && r.2 < restored_at;
    Figures {
        healthz_worst: watch.await.unwrap(),
        affected: scene
            .runs(check)
            .await
            .into_iter()
            .filter(|r| in_outage(r) && r.3.is_some())
            .collect(),
        steady_started: scene
            .runs("steady")
            .await
            .iter()
            .filter(|r| in_outage(r))
            .count(),
        recovery: Duration::from_millis((done - restored_at).max(0) as u64),
    }
}

impl Figures {
    /// The table's assertions: `/healthz` under 1 s, every affected run
    /// that ended in the outage an `error` naming one of `classes` (at least one),
    /// the steady check's slots kept (one a second, give or take two), and
    /// recovery within `recovery_bound`.
    pub fn check(&self, what: &str, classes: &[&str], length: Duration, recovery_bound: Duration) {
        self.check_as(what, "error", classes, length, recovery_bound)
    }

    /// As `check`, for a check whose outage shows as `status` (a documents
    /// check reports documents it could not reach as `fail`, by reason).
    pub fn check_as(
        &self,
        what: &str,
        status: &str,
        classes: &[&str],
        length: Duration,
        recovery_bound: Duration,
    ) {
        let ended = self.affected.iter().filter(|r| r.0 == status).count();
        eprintln!(
            "fault {what}: /healthz worst {:?}; {ended} affected runs ended {status} {classes:?}, \
             the rest skipped as overlaps; steady runs started {} in {length:?}; \
             recovered {:?} after restore",
            self.healthz_worst, self.steady_started, self.recovery
        );
        assert!(
            self.healthz_worst < Duration::from_secs(1),
            "{what}: {self:#?}"
        );
        assert!(ended > 0, "{what}: no run ended as {status}: {self:#?}");
        for r in &self.affected {
            // A slot that came while a bounded run still waited is skipped, as designed.
            let overlap = r.0 == "skipped" && r.1.contains("still running");
            let named = r.0 == status && classes.iter().any(|c| r.1.contains(c));
            assert!(
                overlap || named,
                "{what}: {r:?} is neither {classes:?} nor an overlap"
            );
        }
        let slots = length.as_secs() as usize;
        assert!(self.steady_started + 2 >= slots, "{what}: {self:#?}");
        assert!(self.recovery < recovery_bound, "{what}: {self:#?}");
    }
}
