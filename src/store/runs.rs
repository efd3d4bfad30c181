//! Runs: claiming scheduled slots, heartbeats, finishing, history. The
//! only file that queries the `runs` table: every reader gets typed runs.

use super::{Store, StoreError, on_pool};
use crate::config::checks::CheckKind;
use crate::results::{CheckResult, Details, Outcome, RunStatus};

/// A request to run `(check, slot)` on this replica.
#[derive(Debug, Clone)]
pub struct NewClaim<'a> {
    pub check: &'a str,
    pub kind: CheckKind,
    pub slot_ms: i64,
    pub owner: &'a str,
    pub now_ms: i64,
    /// When the claim lapses unless renewed by a heartbeat.
    pub lease_expires_ms: i64,
}

/// What came of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This replica runs the slot.
    Claimed { run_id: i64 },
    /// Another replica already holds or finished this slot.
    Taken,
    /// An earlier run of the check is still running: this slot is recorded as
    /// skipped. `recorded` says whether this replica wrote that record.
    Overlap { recorded: bool },
}

/// A run as stored, typed: its kind, status and details are the
/// `results` types, decoded here once so no reader parses them again.
#[derive(Debug, Clone)]
pub struct StoredRun {
    pub id: i64,
    pub check_name: String,
    pub kind: CheckKind,
    pub slot_ms: i64,
    pub status: RunStatus,
    pub owner: String,
    pub attempt: i64,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub lease_expires_ms: Option<i64>,
    pub duration_ms: Option<i64>,
    pub summary: String,
    pub details: Details,
}

impl StoredRun {
    /// How the run ended; `None` while it runs.
    pub fn outcome(&self) -> Option<Outcome> {
        self.status.outcome()
    }

    /// See [`Details::good_for_slo`]; a running row is not good.
    pub fn good_for_slo(&self) -> bool {
        self.outcome().is_some_and(|o| self.details.good_for_slo(o))
    }
}

/// A `runs` row as the database gives it back.
#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    check_name: String,
    kind: String,
    slot_ms: i64,
    status: String,
    owner: String,
    attempt: i64,
    started_ms: i64,
    finished_ms: Option<i64>,
    lease_expires_ms: Option<i64>,
    duration_ms: Option<i64>,
    summary: String,
    details: String,
}

/// Reads details stored as JSON, the run's kind picking the shape (the
/// stored JSON carries no tag). Empty details read as none.
fn details_of(kind: CheckKind, text: &str) -> Option<Details> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    if value.is_null() || value.as_object().is_some_and(|o| o.is_empty()) {
        return Some(Details::None {});
    }
    let typed = match kind {
        CheckKind::Reconcile => Details::Reconcile(serde_json::from_value(value).ok()?),
        CheckKind::Integrity => Details::Integrity(serde_json::from_value(value).ok()?),
        CheckKind::Workflow => Details::Workflow(serde_json::from_value(value).ok()?),
        CheckKind::Documents => Details::Documents(serde_json::from_value(value).ok()?),
        CheckKind::Handoff => Details::Handoff(serde_json::from_value(value).ok()?),
    };
    Some(typed)
}

impl TryFrom<RunRow> for StoredRun {
    type Error = StoreError;

    fn try_from(r: RunRow) -> Result<StoredRun, StoreError> {
        let kind: CheckKind = r.kind.parse().map_err(|_| {
            StoreError::Corrupt(format!("run {} has an unknown kind `{}`", r.id, r.kind))
        })?;
        let status: RunStatus = r.status.parse().map_err(|_| {
            StoreError::Corrupt(format!("run {} has an unknown status `{}`", r.id, r.status))
        })?;
        // Details that no longer parse (written by another version) read as
        // none rather than hiding the run; the serde message could quote
        // record values, so it is not logged.
        let details = details_of(kind, &r.details).unwrap_or_else(|| {
                tracing::warn!(check = %r.check_name, run = r.id, "stored details do not parse; read as none");
                Details::None {}
            });
        Ok(StoredRun {
            id: r.id,
            check_name: r.check_name,
            kind,
            slot_ms: r.slot_ms,
            status,
            owner: r.owner,
            attempt: r.attempt,
            started_ms: r.started_ms,
            finished_ms: r.finished_ms,
            lease_expires_ms: r.lease_expires_ms,
            duration_ms: r.duration_ms,
            summary: r.summary,
            details,
        })
    }
}

const COLUMNS: &str = "id, check_name, kind, slot_ms, status, owner, attempt, started_ms, finished_ms, \
                       lease_expires_ms, duration_ms, summary, details";

/// The runs a `SELECT {COLUMNS} …` returns, typed.
macro_rules! select_runs {
    ($store:expr, $sql:expr, $($arg:expr),*) => {
        on_pool!($store, p => {
            let rows: Vec<RunRow> = sqlx::query_as(sqlx::AssertSqlSafe($sql)) $(.bind($arg))* .fetch_all(p).await?;
            rows.into_iter().map(StoredRun::try_from).collect::<Result<Vec<_>, _>>()
        })
    };
}

impl Store {
    /// Claims a slot: inserts it as running unless the slot exists already
    /// or an earlier run of the same check still holds a live lease.
    pub async fn claim(&self, c: &NewClaim<'_>) -> Result<Claim, StoreError> {
        // A running row of an earlier slot whose lease lapsed is closed first:
        // its replica stopped and this newer slot replaces it (housekeeping
        // would abandon it too), and the unique index on running rows
        // (migration 0007) would otherwise refuse the new one.
        const CLOSE: &str = "UPDATE runs SET status = 'error', finished_ms = $1, duration_ms = $1 - started_ms, \
             summary = 'abandoned: its replica stopped before finishing', lease_expires_ms = NULL \
             WHERE check_name = $2 AND status = 'running' AND lease_expires_ms <= $1 AND slot_ms < $3";
        on_pool!(self, p => sqlx::query(CLOSE).bind(c.now_ms).bind(c.check).bind(c.slot_ms).execute(p).await?.rows_affected());
        // Conflict target left out: a taken slot (check, slot) and a run of
        // the check already running (the partial unique index) both make the
        // insert do nothing, so two racing replicas cannot both run.
        const SQL: &str = "INSERT INTO runs (check_name, kind, slot_ms, status, owner, started_ms, lease_expires_ms) \
             SELECT $1, $2, $3, 'running', $4, $5, $6 \
             WHERE NOT EXISTS (SELECT 1 FROM runs WHERE check_name = $1 AND status = 'running' AND lease_expires_ms > $5) \
             ON CONFLICT DO NOTHING RETURNING id";
        let id: Option<i64> = on_pool!(self, p => sqlx::query_scalar(SQL)
            .bind(c.check).bind(c.kind.as_str()).bind(c.slot_ms).bind(c.owner).bind(c.now_ms).bind(c.lease_expires_ms)
            .fetch_optional(p).await?);
        if let Some(run_id) = id {
            return Ok(Claim::Claimed { run_id });
        }
        let exists: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM runs WHERE check_name = $1 AND slot_ms = $2")
            .bind(c.check).bind(c.slot_ms).fetch_optional(p).await?);
        if exists.is_some() {
            return Ok(Claim::Taken);
        }
        let recorded = self
            .record_skip(c, "the previous run was still running")
            .await?;
        Ok(Claim::Overlap { recorded })
    }

    /// Records a slot as skipped, unless some replica recorded it already.
    pub async fn record_skip(&self, c: &NewClaim<'_>, why: &str) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO runs (check_name, kind, slot_ms, status, owner, started_ms, finished_ms, duration_ms, summary) \
             VALUES ($1, $2, $3, 'skipped', $4, $5, $5, 0, $6) ON CONFLICT (check_name, slot_ms) DO NOTHING";
        let done = on_pool!(self, p => sqlx::query(SQL)
            .bind(c.check).bind(c.kind.as_str()).bind(c.slot_ms).bind(c.owner).bind(c.now_ms).bind(why)
            .execute(p).await?.rows_affected());
        Ok(done == 1)
    }

    /// Renews this replica's lease on a running slot; false when it lost it.
    pub async fn heartbeat(
        &self,
        run_id: i64,
        owner: &str,
        lease_expires_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE runs SET lease_expires_ms = $1 WHERE id = $2 AND owner = $3 AND status = 'running'";
        let n = on_pool!(self, p => sqlx::query(SQL).bind(lease_expires_ms).bind(run_id).bind(owner)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Stores a run's outcome; false when this replica no longer owned it.
    pub async fn finish(
        &self,
        run_id: i64,
        owner: &str,
        finished_ms: i64,
        duration_ms: i64,
        result: &CheckResult,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE runs SET status = $1, finished_ms = $2, duration_ms = $3, summary = $4, details = $5, \
             lease_expires_ms = NULL WHERE id = $6 AND owner = $7 AND status = 'running'";
        let details = serde_json::to_string(&result.details)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let n = on_pool!(self, p => sqlx::query(SQL)
            .bind(result.outcome.as_str()).bind(finished_ms).bind(duration_ms).bind(&result.summary).bind(&details)
            .bind(run_id).bind(owner).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Running slots whose lease lapsed: their replica died or lost the store.
    pub async fn expired_runs(&self, now_ms: i64) -> Result<Vec<StoredRun>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE status = 'running' AND lease_expires_ms < $1"
        );
        select_runs!(self, sql.clone(), now_ms)
    }

    /// Takes over a lapsed slot to run it again here; false when another replica did first.
    pub async fn take_over(
        &self,
        run_id: i64,
        owner: &str,
        now_ms: i64,
        lease_expires_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE runs SET owner = $1, attempt = attempt + 1, started_ms = $2, lease_expires_ms = $3 \
             WHERE id = $4 AND status = 'running' AND lease_expires_ms < $2";
        let n = on_pool!(self, p => sqlx::query(SQL).bind(owner).bind(now_ms).bind(lease_expires_ms).bind(run_id)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Closes a lapsed slot that is too old to run again, as an error.
    pub async fn abandon(
        &self,
        run_id: i64,
        now_ms: i64,
        summary: &str,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE runs SET status = 'error', finished_ms = $1, duration_ms = $1 - started_ms, \
             summary = $2, lease_expires_ms = NULL WHERE id = $3 AND status = 'running' AND lease_expires_ms < $1";
        let n = on_pool!(self, p => sqlx::query(SQL).bind(now_ms).bind(summary).bind(run_id)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// The newest finished pass/fail/error run of each check.
    pub async fn latest_results(&self) -> Result<Vec<StoredRun>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE id IN (SELECT MAX(id) FROM runs \
             WHERE status IN ('pass', 'fail', 'error') GROUP BY check_name)"
        );
        select_runs!(self, sql.clone(),)
    }

    /// A check's newest completed (pass or fail) run.
    pub async fn previous_result(&self, check: &str) -> Result<Option<StoredRun>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE check_name = $1 AND status IN ('pass', 'fail') \
             ORDER BY slot_ms DESC LIMIT 1"
        );
        Ok(select_runs!(self, sql.clone(), check)?.into_iter().next())
    }

    /// When each check last passed, in epoch milliseconds.
    pub async fn last_successes(&self) -> Result<Vec<(String, i64)>, StoreError> {
        const SQL: &str = "SELECT check_name, MAX(finished_ms) FROM runs WHERE status = 'pass' GROUP BY check_name";
        on_pool!(self, p => sqlx::query_as(SQL).fetch_all(p).await.map_err(Into::into))
    }

    /// A check's runs, newest first.
    pub async fn history(&self, check: &str, limit: i64) -> Result<Vec<StoredRun>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE check_name = $1 ORDER BY slot_ms DESC LIMIT $2"
        );
        select_runs!(self, sql.clone(), check, limit)
    }

    /// Deletes finished runs older than the cutoff; returns how many.
    pub async fn purge_before(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        const SQL: &str = "DELETE FROM runs WHERE status <> 'running' AND slot_ms < $1";
        on_pool!(bulk self, p => Ok(sqlx::query(SQL).bind(cutoff_ms).execute(p).await?.rows_affected()))
    }

    /// When each check last finished a run (any outcome but skipped).
    pub async fn last_finished(&self) -> Result<Vec<(String, i64)>, StoreError> {
        const SQL: &str = "SELECT check_name, MAX(finished_ms) FROM runs WHERE finished_ms IS NOT NULL \
             AND status IN ('pass', 'fail', 'error', 'cancelled') GROUP BY check_name";
        on_pool!(self, p => sqlx::query_as(SQL).fetch_all(p).await.map_err(Into::into))
    }

    /// A check's finished pass/fail/error runs since `since_ms`, oldest first.
    pub async fn runs_since(
        &self,
        check: &str,
        since_ms: i64,
    ) -> Result<Vec<StoredRun>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE check_name = $1 AND finished_ms >= $2 \
             AND status IN ('pass', 'fail', 'error') ORDER BY finished_ms, id"
        );
        select_runs!(self, sql.clone(), check, since_ms)
    }

    /// Every check's finished pass/fail/error runs since `since_ms`, oldest first.
    pub async fn runs_finished_since(&self, since_ms: i64) -> Result<Vec<StoredRun>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE finished_ms >= $1 \
             AND status IN ('pass', 'fail', 'error') ORDER BY finished_ms, id"
        );
        select_runs!(self, sql.clone(), since_ms)
    }

    /// Passing runs of one check (or, with `None`, of every check of a
    /// kind) that finished in `[from_ms, to_ms)`, oldest first.
    pub async fn passing_runs(
        &self,
        check: Option<&str>,
        kind: CheckKind,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<StoredRun>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE ($1 IS NULL OR check_name = $1) AND kind = $2 \
             AND status = 'pass' AND finished_ms >= $3 AND finished_ms < $4 ORDER BY finished_ms, id"
        );
        select_runs!(self, sql.clone(), check, kind.as_str(), from_ms, to_ms)
    }
}
