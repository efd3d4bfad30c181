//! Alert instances, their transitions, and silences made through the API.
//!
//! An instance moves by a conditional update on its `version`: among
//! replicas evaluating the same rules, one update wins and the others see
//! nothing changed. The winner's transition row and outbox rows are written
//! in the same transaction, so a transition is notified once and never lost.

use serde::Serialize;

use super::outbox::{NewOutbox, insert_outbox};
use super::{Store, StoreError, on_pool};

/// Where an alert instance stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumString,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Decodes the stored text; an unknown state reads as inactive (it would
/// be a row another version wrote), which the next round moves on from.
impl From<String> for AlertState {
    fn from(s: String) -> AlertState {
        s.parse().unwrap_or(AlertState::Inactive)
    }
}

/// One alert instance as stored: a rule and its labels, and where it stands.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertRow {
    /// The rule name and labels, joined: the primary key.
    pub fingerprint: String,
    pub rule: String,
    /// JSON object of the labels (alertname, severity, check…).
    pub labels: String,
    /// JSON object of the annotations (summary, description, URLs).
    pub annotations: String,
    #[sqlx(try_from = "String")]
    pub state: AlertState,
    pub value: f64,
    pub active_since_ms: Option<i64>,
    pub fired_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    pub episode: i64,
    pub notified: bool,
    pub last_notified_ms: Option<i64>,
    pub repeats: i64,
    pub last_refresh_ms: Option<i64>,
    pub refreshes: i64,
    pub updated_ms: i64,
    pub version: i64,
}

/// A silence as stored (made through the admin API).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SilenceRow {
    pub id: String,
    pub alertname: Option<String>,
    /// JSON object: label name → value; all must match.
    pub matchers: String,
    pub starts_ms: Option<i64>,
    pub ends_ms: Option<i64>,
    pub cron: Option<String>,
    pub duration_ms: Option<i64>,
    pub comment: String,
    pub created_by: String,
    pub created_ms: i64,
    pub expired_ms: Option<i64>,
}

/// A state change to write with an instance update.
#[derive(Debug, Clone)]
pub struct TransitionRow {
    pub from: AlertState,
    pub to: AlertState,
    pub at_ms: i64,
}

/// `notified` is stored as 0 or 1 on both backends: compared here, it
/// decodes as a boolean on both.
const COLUMNS: &str = "fingerprint, rule, labels, annotations, state, value, active_since_ms, fired_ms, \
     resolved_ms, episode, notified <> 0 AS notified, last_notified_ms, repeats, last_refresh_ms, refreshes, \
     updated_ms, version";

const SILENCE_COLUMNS: &str = "id, alertname, matchers, starts_ms, ends_ms, cron, duration_ms, comment, \
     created_by, created_ms, expired_ms";

impl Store {
    /// Every alert instance, in fingerprint order.
    pub async fn alert_instances(&self) -> Result<Vec<AlertRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM alert_instances ORDER BY fingerprint");
        on_pool!(self, p => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?))
    }

    /// Writes an instance if it is still at `expected_version` (or, with
    /// `None`, does not exist yet), together with its transition and its
    /// notifications, in one transaction. The stored version becomes
    /// `expected_version + 1` (or 0). False when another replica moved it first.
    pub async fn save_alert(
        &self,
        row: &AlertRow,
        expected_version: Option<i64>,
        transition: Option<&TransitionRow>,
        outbox: &[NewOutbox<'_>],
    ) -> Result<bool, StoreError> {
        const INSERT: &str = "INSERT INTO alert_instances (fingerprint, rule, labels, annotations, state, value, \
             active_since_ms, fired_ms, resolved_ms, episode, notified, last_notified_ms, repeats, last_refresh_ms, \
             refreshes, updated_ms, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0) \
             ON CONFLICT (fingerprint) DO NOTHING";
        const UPDATE: &str = "UPDATE alert_instances SET rule = $2, labels = $3, annotations = $4, state = $5, value = $6, \
             active_since_ms = $7, fired_ms = $8, resolved_ms = $9, episode = $10, notified = $11, last_notified_ms = $12, \
             repeats = $13, last_refresh_ms = $14, refreshes = $15, updated_ms = $16, version = version + 1 \
             WHERE fingerprint = $1 AND version = $17";
        const TRANSITION: &str = "INSERT INTO alert_transitions (fingerprint, rule, from_state, to_state, at_ms, value) \
             VALUES ($1, $2, $3, $4, $5, $6)";
        let sql = if expected_version.is_some() {
            UPDATE
        } else {
            INSERT
        };
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut q = sqlx::query(sql)
                .bind(&row.fingerprint).bind(&row.rule).bind(&row.labels).bind(&row.annotations)
                .bind(row.state.as_str()).bind(row.value).bind(row.active_since_ms).bind(row.fired_ms)
                .bind(row.resolved_ms).bind(row.episode).bind(i64::from(row.notified))
                .bind(row.last_notified_ms).bind(row.repeats).bind(row.last_refresh_ms)
                .bind(row.refreshes).bind(row.updated_ms);
            if let Some(v) = expected_version {
                q = q.bind(v);
            }
            let n = q.execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                Ok(false)
            } else {
            if let Some(t) = transition {
                sqlx::query(TRANSITION).bind(&row.fingerprint).bind(&row.rule).bind(t.from.as_str()).bind(t.to.as_str())
                    .bind(t.at_ms).bind(row.value).execute(&mut *tx).await?;
            }
            for o in outbox {
                insert_outbox!(&mut *tx, o).await?;
            }
            tx.commit().await?;
            Ok(true)
            }
        })
    }

    /// Deletes an instance that no rule produces any more, once resolved or inactive.
    pub async fn delete_alert(&self, fingerprint: &str, version: i64) -> Result<bool, StoreError> {
        const SQL: &str = "DELETE FROM alert_instances WHERE fingerprint = $1 AND version = $2 \
             AND state IN ('inactive', 'resolved')";
        on_pool!(self, p => Ok(sqlx::query(SQL).bind(fingerprint).bind(version).execute(p).await?.rows_affected() == 1))
    }

    /// Transitions, newest first: `(fingerprint, from, to, at_ms)`.
    pub async fn alert_transitions(
        &self,
        limit: i64,
    ) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        const SQL: &str = "SELECT fingerprint, from_state, to_state, at_ms FROM alert_transitions \
             ORDER BY id DESC LIMIT $1";
        on_pool!(self, p => sqlx::query_as(SQL).bind(limit).fetch_all(p).await.map_err(Into::into))
    }

    /// Deletes transitions, and API silences that ended, before the cutoff.
    pub async fn purge_alert_history(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        const TRANSITIONS: &str = "DELETE FROM alert_transitions WHERE at_ms < $1";
        const SILENCES: &str = "DELETE FROM silences WHERE (expired_ms IS NOT NULL AND expired_ms < $1) \
             OR (cron IS NULL AND ends_ms < $1)";
        on_pool!(bulk self, p => {
            let n = sqlx::query(TRANSITIONS).bind(cutoff_ms).execute(p).await?.rows_affected();
            let m = sqlx::query(SILENCES).bind(cutoff_ms).execute(p).await?.rows_affected();
            Ok(n + m)
        })
    }

    pub async fn insert_silence(&self, s: &SilenceRow) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO silences (id, alertname, matchers, starts_ms, ends_ms, cron, duration_ms, \
             comment, created_by, created_ms, expired_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)";
        on_pool!(self, p => {
            sqlx::query(SQL).bind(&s.id).bind(&s.alertname).bind(&s.matchers).bind(s.starts_ms).bind(s.ends_ms)
                .bind(&s.cron).bind(s.duration_ms).bind(&s.comment).bind(&s.created_by).bind(s.created_ms)
                .execute(p).await?;
            Ok(())
        })
    }

    /// Silences made through the API, newest first; expired ones only when asked.
    pub async fn silences(&self, include_expired: bool) -> Result<Vec<SilenceRow>, StoreError> {
        let filter = if include_expired {
            ""
        } else {
            " WHERE expired_ms IS NULL"
        };
        let sql =
            format!("SELECT {SILENCE_COLUMNS} FROM silences{filter} ORDER BY created_ms DESC, id");
        on_pool!(self, p => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?))
    }

    /// Ends a silence now; false when there is none by that id or it had ended.
    pub async fn expire_silence(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        const SQL: &str =
            "UPDATE silences SET expired_ms = $2 WHERE id = $1 AND expired_ms IS NULL";
        on_pool!(self, p => Ok(sqlx::query(SQL).bind(id).bind(now_ms).execute(p).await?.rows_affected() == 1))
    }

    /// Feedback reports of a severity created since a time (any status).
    pub async fn feedback_since(&self, severity: &str, since_ms: i64) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM feedback WHERE severity = $1 AND created_ms >= $2";
        on_pool!(self, p => sqlx::query_scalar(SQL).bind(severity).bind(since_ms).fetch_one(p).await.map_err(Into::into))
    }
}
