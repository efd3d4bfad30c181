//! Stabilization history, rollback-trigger states, and digest sends.
//!
//! A digest send writes one `digest_sends` row per recipient and its outbox
//! message in one transaction; the primary key (digest, period, recipient)
//! makes a second attempt (a restart, another replica) write nothing.

use super::outbox::{NewOutbox, insert_outbox};
use super::{Store, StoreError, on_pool};

/// One criterion's state on one day for one clinic (or `_all`).
#[derive(Debug, Clone, PartialEq)]
pub struct DayRow {
    pub clinic: String,
    pub day: String,
    pub criterion: String,
    pub wave: String,
    pub state: String,
    pub value: Option<f64>,
    pub detail: String,
    pub updated_ms: i64,
}

/// A rollback trigger's latest judgement for one clinic.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerRow {
    pub clinic: String,
    pub trigger: String,
    pub breached: bool,
    pub value: Option<f64>,
    pub evidence: String,
    pub updated_ms: i64,
}

/// An open report as the digests and scorecard show it: redacted text only.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenReport {
    pub id: i64,
    pub created_ms: i64,
    pub clinic: Option<String>,
    pub category: String,
    pub severity: String,
    pub text: String,
}

/// A `stabilization_days` row as read.
type DayTuple = (
    String,
    String,
    String,
    String,
    String,
    Option<f64>,
    String,
    i64,
);

impl Store {
    /// Open reports (not resolved), oldest first.
    pub async fn open_reports(&self) -> Result<Vec<OpenReport>, StoreError> {
        const SQL: &str = "SELECT id, created_ms, clinic, category, severity, text FROM feedback \
             WHERE status <> 'resolved' ORDER BY created_ms, id";
        let rows: Vec<(i64, i64, Option<String>, String, String, String)> =
            on_pool!(self, p => sqlx::query_as(SQL).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(
                |(id, created_ms, clinic, category, severity, text)| OpenReport {
                    id,
                    created_ms,
                    clinic,
                    category,
                    severity,
                    text,
                },
            )
            .collect())
    }

    /// Reports received since a time, counted per clinic and category.
    pub async fn reports_by_category_since(
        &self,
        since_ms: i64,
    ) -> Result<Vec<(Option<String>, String, i64)>, StoreError> {
        const SQL: &str = "SELECT clinic, category, COUNT(*) FROM feedback WHERE created_ms >= $1 \
             GROUP BY clinic, category ORDER BY clinic, category";
        on_pool!(self, p => Ok(sqlx::query_as(SQL).bind(since_ms).fetch_all(p).await?))
    }

    /// Writes (or rewrites) one day's criterion states.
    pub async fn save_days(&self, rows: &[DayRow]) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO stabilization_days (clinic, day, criterion, wave, state, value, detail, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (clinic, day, criterion) DO UPDATE SET \
             wave = excluded.wave, state = excluded.state, value = excluded.value, detail = excluded.detail, \
             updated_ms = excluded.updated_ms";
        on_pool!(bulk self, p => {
            let mut tx = p.begin().await?;
            for r in rows {
                sqlx::query(SQL).bind(&r.clinic).bind(&r.day).bind(&r.criterion).bind(&r.wave)
                    .bind(&r.state).bind(r.value).bind(&r.detail).bind(r.updated_ms)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Criterion states from `from_day` (YYYY-MM-DD) on, by day.
    pub async fn days_since(&self, from_day: &str) -> Result<Vec<DayRow>, StoreError> {
        const SQL: &str = "SELECT clinic, day, criterion, wave, state, value, detail, updated_ms \
             FROM stabilization_days WHERE day >= $1 ORDER BY day, clinic, criterion";
        let rows: Vec<DayTuple> =
            on_pool!(self, p => sqlx::query_as(SQL).bind(from_day).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(
                |(clinic, day, criterion, wave, state, value, detail, updated_ms)| DayRow {
                    clinic,
                    day,
                    criterion,
                    wave,
                    state,
                    value,
                    detail,
                    updated_ms,
                },
            )
            .collect())
    }

    /// Records the latest judgement of every trigger.
    pub async fn save_triggers(&self, rows: &[TriggerRow]) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO rollback_triggers (clinic, trigger_name, breached, value, evidence, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (clinic, trigger_name) DO UPDATE SET \
             breached = excluded.breached, value = excluded.value, evidence = excluded.evidence, \
             updated_ms = excluded.updated_ms";
        on_pool!(bulk self, p => {
            let mut tx = p.begin().await?;
            for r in rows {
                sqlx::query(SQL).bind(&r.clinic).bind(&r.trigger).bind(i64::from(r.breached))
                    .bind(r.value).bind(&r.evidence).bind(r.updated_ms).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every trigger's latest judgement.
    pub async fn triggers(&self) -> Result<Vec<TriggerRow>, StoreError> {
        const SQL: &str = "SELECT clinic, trigger_name, breached, value, evidence, updated_ms \
             FROM rollback_triggers ORDER BY clinic, trigger_name";
        let rows: Vec<(String, String, i64, Option<f64>, String, i64)> =
            on_pool!(self, p => sqlx::query_as(SQL).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(
                |(clinic, trigger, breached, value, evidence, updated_ms)| TriggerRow {
                    clinic,
                    trigger,
                    breached: breached != 0,
                    value,
                    evidence,
                    updated_ms,
                },
            )
            .collect())
    }

    /// Queues one digest period: its figures (first writer wins) and, per
    /// recipient, a send row and its outbox message, in one transaction.
    /// Returns how many messages were queued (0 when this period went out already).
    pub async fn queue_digest(
        &self,
        digest: &str,
        period: &str,
        figures: &str,
        messages: &[(String, NewOutbox<'_>)],
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        const PERIOD: &str = "INSERT INTO digest_periods (digest, period, figures, created_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (digest, period) DO NOTHING";
        const SEND: &str = "INSERT INTO digest_sends (digest, period, recipient, outbox_key, created_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (digest, period, recipient) DO NOTHING";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(PERIOD).bind(digest).bind(period).bind(figures).bind(now_ms)
                .execute(&mut *tx).await?;
            let mut queued = 0;
            for (recipient, o) in messages {
                let n = sqlx::query(SEND).bind(digest).bind(period).bind(recipient)
                    .bind(o.idempotency_key).bind(now_ms).execute(&mut *tx).await?.rows_affected();
                if n == 1 {
                    insert_outbox!(&mut *tx, o).await?;
                    queued += 1;
                }
            }
            tx.commit().await?;
            Ok(queued)
        })
    }

    /// The figures of the newest period of a digest before `period`.
    pub async fn previous_digest_figures(
        &self,
        digest: &str,
        period: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        const SQL: &str = "SELECT period, figures FROM digest_periods WHERE digest = $1 AND period < $2 \
             ORDER BY period DESC LIMIT 1";
        on_pool!(self, p => Ok(sqlx::query_as(SQL).bind(digest).bind(period).fetch_optional(p).await?))
    }

    /// Messages queued for a digest (all periods).
    pub async fn digest_send_count(&self, digest: &str) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM digest_sends WHERE digest = $1";
        on_pool!(self, p => Ok(sqlx::query_scalar(SQL).bind(digest).fetch_one(p).await?))
    }

    /// Whether a digest period was queued already.
    pub async fn digest_period_queued(
        &self,
        digest: &str,
        period: &str,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM digest_periods WHERE digest = $1 AND period = $2";
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(SQL).bind(digest).bind(period).fetch_one(p).await?);
        Ok(n > 0)
    }
}
