//! The durable outbox: messages waiting to leave the process.
//!
//! Whoever decides to send writes a row (in the same transaction as the
//! decision); the delivery worker of any replica claims due rows one by one
//! with a conditional update that sets a lease, so one replica sends each
//! row; it then marks the row delivered, or schedules a retry, or gives up.
//! Knows nothing of alerts or mail: a row is a channel and a JSON payload.

use super::{Store, StoreError, on_pool};

/// A message to send.
#[derive(Debug, Clone)]
pub struct NewOutbox<'a> {
    /// Which notifier sends it (`smtp`, `webhook:NAME`, `alertmanager:NAME`).
    pub channel: &'a str,
    /// Unique: a second row with the same key is not written.
    pub idempotency_key: &'a str,
    /// Rows of one channel with the same non-empty key go out in order
    /// (each waits until the one before it is delivered or given up).
    pub ordering_key: &'a str,
    /// What to send, as the channel expects it (JSON text).
    pub payload: &'a str,
    pub created_ms: i64,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub idempotency_key: String,
    pub payload: String,
    pub created_ms: i64,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub delivered_ms: Option<i64>,
    pub failed_ms: Option<i64>,
    pub last_error: String,
}

/// Per channel: rows waiting (not delivered, not failed) and rows given up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxCounts {
    pub channel: String,
    pub pending: i64,
    pub failed: i64,
    /// The creation time of the oldest waiting row.
    pub oldest_pending_ms: Option<i64>,
}

const COLUMNS: &str = "id, channel, idempotency_key, payload, created_ms, attempts, next_attempt_ms, \
     delivered_ms, failed_ms, last_error";

const INSERT: &str = "INSERT INTO outbox (channel, idempotency_key, payload, created_ms, next_attempt_ms, ordering_key) \
     VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING";

/// Writes one outbox row on an open transaction (or any executor).
macro_rules! insert_outbox {
    ($exec:expr, $o:expr) => {
        sqlx::query($crate::store::outbox::INSERT_SQL)
            .bind($o.channel)
            .bind($o.idempotency_key)
            .bind($o.payload)
            .bind($o.created_ms)
            .bind($o.ordering_key)
            .execute($exec)
    };
}
pub(crate) use insert_outbox;

pub(crate) const INSERT_SQL: &str = INSERT;

impl Store {
    /// Queues a message on its own; true when written, false when a row
    /// with the same idempotency key exists.
    pub async fn enqueue(&self, o: &NewOutbox<'_>) -> Result<bool, StoreError> {
        on_pool!(self, p => Ok(insert_outbox!(p, o).await?.rows_affected() == 1))
    }

    /// Rows due for a delivery attempt and not leased, oldest first; of an
    /// ordering key only the oldest row not yet settled.
    pub async fn due_outbox(&self, now_ms: i64, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox o WHERE delivered_ms IS NULL AND failed_ms IS NULL \
             AND next_attempt_ms <= $1 AND (lease_expires_ms IS NULL OR lease_expires_ms < $1) \
             AND (ordering_key = '' OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel \
             AND p.ordering_key = o.ordering_key AND p.id < o.id AND p.delivered_ms IS NULL AND p.failed_ms IS NULL)) \
             ORDER BY id LIMIT $2"
        );
        on_pool!(self, p => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now_ms).bind(limit).fetch_all(p).await?))
    }

    /// Leases a row for one delivery attempt; false when another replica has
    /// it or it was settled meanwhile. Counts the attempt.
    pub async fn claim_outbox(
        &self,
        id: i64,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE outbox SET lease_owner = $2, lease_expires_ms = $3, attempts = attempts + 1 \
             WHERE id = $1 AND delivered_ms IS NULL AND failed_ms IS NULL AND next_attempt_ms <= $4 \
             AND (lease_expires_ms IS NULL OR lease_expires_ms < $4)";
        on_pool!(self, p => Ok(sqlx::query(SQL).bind(id).bind(owner).bind(lease_until_ms).bind(now_ms)
            .execute(p).await?.rows_affected() == 1))
    }

    /// Records a delivery made under this replica's lease.
    pub async fn outbox_delivered(
        &self,
        id: i64,
        owner: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE outbox SET delivered_ms = $3, lease_owner = NULL, lease_expires_ms = NULL, \
             last_error = '' WHERE id = $1 AND lease_owner = $2 AND delivered_ms IS NULL";
        on_pool!(self, p => Ok(sqlx::query(SQL).bind(id).bind(owner).bind(now_ms)
            .execute(p).await?.rows_affected() == 1))
    }

    /// Records a failed attempt: retry at `next_attempt_ms`, or (with `None`) give up.
    pub async fn outbox_attempt_failed(
        &self,
        id: i64,
        owner: &str,
        now_ms: i64,
        next_attempt_ms: Option<i64>,
        error: &str,
    ) -> Result<bool, StoreError> {
        const RETRY: &str = "UPDATE outbox SET next_attempt_ms = $3, last_error = $4, lease_owner = NULL, \
             lease_expires_ms = NULL WHERE id = $1 AND lease_owner = $2 AND delivered_ms IS NULL";
        const GIVE_UP: &str = "UPDATE outbox SET failed_ms = $3, last_error = $4, lease_owner = NULL, \
             lease_expires_ms = NULL WHERE id = $1 AND lease_owner = $2 AND delivered_ms IS NULL";
        let (sql, at) = match next_attempt_ms {
            Some(next) => (RETRY, next),
            None => (GIVE_UP, now_ms),
        };
        on_pool!(self, p => Ok(sqlx::query(sql).bind(id).bind(owner).bind(at).bind(error)
            .execute(p).await?.rows_affected() == 1))
    }

    /// Waiting and failed rows per channel.
    pub async fn outbox_counts(&self) -> Result<Vec<OutboxCounts>, StoreError> {
        const SQL: &str = "SELECT channel, \
             SUM(CASE WHEN delivered_ms IS NULL AND failed_ms IS NULL THEN 1 ELSE 0 END), \
             SUM(CASE WHEN failed_ms IS NOT NULL THEN 1 ELSE 0 END), \
             MIN(CASE WHEN delivered_ms IS NULL AND failed_ms IS NULL THEN created_ms END) \
             FROM outbox GROUP BY channel ORDER BY channel";
        let rows: Vec<(String, i64, i64, Option<i64>)> =
            on_pool!(self, p => sqlx::query_as(SQL).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(channel, pending, failed, oldest)| OutboxCounts {
                channel,
                pending,
                failed,
                oldest_pending_ms: oldest,
            })
            .collect())
    }

    /// Every row of a channel, oldest first (for the admin page and tests).
    pub async fn outbox_rows(&self, channel: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE channel = $1 ORDER BY id");
        on_pool!(self, p => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(channel).fetch_all(p).await?))
    }

    /// Deletes delivered or failed rows settled before the cutoff.
    pub async fn purge_outbox(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        const SQL: &str = "DELETE FROM outbox WHERE (delivered_ms IS NOT NULL AND delivered_ms < $1) \
             OR (failed_ms IS NOT NULL AND failed_ms < $1)";
        on_pool!(bulk self, p => Ok(sqlx::query(SQL).bind(cutoff_ms).execute(p).await?.rows_affected()))
    }
}
