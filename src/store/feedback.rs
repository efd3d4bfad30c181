//! Feedback reports, their audit trail, and the keys replicas share.
//!
//! Rows hold text the PHI guard already redacted; this module only stores
//! and reads them. Status changes are conditional updates, written in one
//! transaction with their audit event, so two people triaging the same
//! report cannot both move it.

use super::{Store, StoreError, on_pool};

/// A report to store (its text already redacted).
#[derive(Debug, Clone)]
pub struct NewFeedbackRow<'a> {
    /// Idempotency key: a second insert with the same key stores nothing.
    pub submission_id: &'a str,
    pub created_ms: i64,
    pub clinic: Option<&'a str>,
    pub role: &'a str,
    pub category: &'a str,
    pub severity: &'a str,
    pub workaround: bool,
    pub text: &'a str,
    /// Comma-separated kinds of what the guard removed.
    pub redactions: &'a str,
    pub contact: Option<&'a str>,
    /// `form` or `api`.
    pub source: &'a str,
    /// Who created it, for the audit trail.
    pub actor: &'a str,
}

/// What an insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New(i64),
    /// The submission was stored before (same `submission_id`).
    Existing(i64),
}

impl Inserted {
    pub fn id(self) -> i64 {
        match self {
            Inserted::New(id) | Inserted::Existing(id) => id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedbackRow {
    pub id: i64,
    pub created_ms: i64,
    pub clinic: Option<String>,
    pub role: String,
    pub category: String,
    pub severity: String,
    pub workaround: bool,
    pub text: String,
    pub redactions: String,
    pub contact: Option<String>,
    pub source: String,
    pub status: String,
    pub status_changed_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedbackEventRow {
    pub at_ms: i64,
    pub actor: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
}

/// Which reports to list: every set field must match. Newest first.
#[derive(Debug, Clone)]
pub struct FeedbackFilter {
    pub clinic: Option<String>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub workaround: Option<bool>,
    /// Only ids below this (the next page).
    pub before: Option<i64>,
    pub limit: i64,
}

impl Default for FeedbackFilter {
    /// Everything, the newest 100.
    fn default() -> Self {
        FeedbackFilter {
            clinic: None,
            category: None,
            severity: None,
            status: None,
            workaround: None,
            before: None,
            limit: 100,
        }
    }
}

/// A status change to make if the report is still in `from`.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub id: i64,
    pub from: &'a str,
    pub to: &'a str,
    pub at_ms: i64,
    pub actor: &'a str,
    pub note: &'a str,
}

/// `workaround` is stored as 0 or 1 on both backends: compared here, it
/// decodes as a boolean on both.
const COLUMNS: &str = "id, created_ms, clinic, role, category, severity, workaround <> 0 AS workaround, text, \
                       redactions, contact, source, status, status_changed_ms";

enum Bind {
    Text(String),
    Int(i64),
}

/// The WHERE clause of a filter, from fixed fragments only, and its values.
fn where_clause(f: &FeedbackFilter) -> (String, Vec<Bind>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    let text = [
        ("clinic", &f.clinic),
        ("category", &f.category),
        ("severity", &f.severity),
        ("status", &f.status),
    ];
    for (column, value) in text {
        if let Some(v) = value {
            binds.push(Bind::Text(v.clone()));
            parts.push(format!("{column} = ${}", binds.len()));
        }
    }
    if let Some(w) = f.workaround {
        binds.push(Bind::Int(i64::from(w)));
        parts.push(format!("workaround = ${}", binds.len()));
    }
    if let Some(b) = f.before {
        binds.push(Bind::Int(b));
        parts.push(format!("id < ${}", binds.len()));
    }
    let clause = if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    };
    (clause, binds)
}

impl Store {
    /// Stores a report and its `created` audit event in one transaction,
    /// unless a report with the same `submission_id` exists.
    pub async fn insert_feedback(&self, n: &NewFeedbackRow<'_>) -> Result<Inserted, StoreError> {
        const INSERT: &str = "INSERT INTO feedback (submission_id, created_ms, clinic, role, category, severity, \
             workaround, text, redactions, contact, source, status, status_changed_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'new', $2) \
             ON CONFLICT (submission_id) DO NOTHING RETURNING id";
        const EVENT: &str = "INSERT INTO feedback_events (feedback_id, at_ms, actor, from_status, to_status, note) \
             VALUES ($1, $2, $3, NULL, 'new', '')";
        const EXISTING: &str = "SELECT id FROM feedback WHERE submission_id = $1";
        let inserted = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let id: Option<i64> = sqlx::query_scalar(INSERT)
                .bind(n.submission_id).bind(n.created_ms).bind(n.clinic).bind(n.role).bind(n.category)
                .bind(n.severity).bind(i64::from(n.workaround)).bind(n.text).bind(n.redactions)
                .bind(n.contact).bind(n.source)
                .fetch_optional(&mut *tx).await?;
            if let Some(id) = id {
                sqlx::query(EVENT).bind(id).bind(n.created_ms).bind(n.actor).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            id
        });
        if let Some(id) = inserted {
            return Ok(Inserted::New(id));
        }
        let id: i64 = on_pool!(self, p => sqlx::query_scalar(EXISTING).bind(n.submission_id).fetch_one(p).await?);
        Ok(Inserted::Existing(id))
    }

    /// Reports matching a filter, newest first.
    pub async fn list_feedback(&self, f: &FeedbackFilter) -> Result<Vec<FeedbackRow>, StoreError> {
        let (clause, binds) = where_clause(f);
        let sql = format!(
            "SELECT {COLUMNS} FROM feedback{clause} ORDER BY id DESC LIMIT ${}",
            binds.len() + 1
        );
        on_pool!(self, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for b in binds {
                q = match b { Bind::Text(t) => q.bind(t), Bind::Int(i) => q.bind(i) };
            }
            let rows = q.bind(f.limit).fetch_all(p).await?;
            rows.iter().map(sqlx::FromRow::from_row).collect::<Result<Vec<_>, _>>().map_err(StoreError::from)
        })
    }

    pub async fn get_feedback(&self, id: i64) -> Result<Option<FeedbackRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM feedback WHERE id = $1");
        on_pool!(self, p => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?))
    }

    /// A report's audit trail, oldest first.
    pub async fn feedback_events(&self, id: i64) -> Result<Vec<FeedbackEventRow>, StoreError> {
        const SQL: &str = "SELECT at_ms, actor, from_status, to_status, note FROM feedback_events \
             WHERE feedback_id = $1 ORDER BY id";
        on_pool!(self, p => Ok(sqlx::query_as(SQL).bind(id).fetch_all(p).await?))
    }

    /// Moves a report from `from` to `to` and records who did it, in one
    /// transaction. False when the report is not (or no longer) in `from`.
    pub async fn change_feedback_status(&self, s: &StatusChange<'_>) -> Result<bool, StoreError> {
        const UPDATE: &str =
            "UPDATE feedback SET status = $1, status_changed_ms = $2 WHERE id = $3 AND status = $4";
        const EVENT: &str = "INSERT INTO feedback_events (feedback_id, at_ms, actor, from_status, to_status, note) \
             VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(UPDATE).bind(s.to).bind(s.at_ms).bind(s.id).bind(s.from)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query(EVENT).bind(s.id).bind(s.at_ms).bind(s.actor).bind(s.from).bind(s.to).bind(s.note)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// Reports not yet resolved, per severity.
    pub async fn open_feedback_by_severity(&self) -> Result<Vec<(String, i64)>, StoreError> {
        const SQL: &str =
            "SELECT severity, COUNT(*) FROM feedback WHERE status <> 'resolved' GROUP BY severity";
        on_pool!(self, p => sqlx::query_as(SQL).fetch_all(p).await.map_err(Into::into))
    }

    pub async fn count_feedback(&self) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM feedback";
        on_pool!(self, p => sqlx::query_scalar(SQL).fetch_one(p).await.map_err(Into::into))
    }

    /// Deletes reports resolved before the cutoff, with their audit trail.
    pub async fn purge_resolved_feedback(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        const EVENTS: &str = "DELETE FROM feedback_events WHERE feedback_id IN \
             (SELECT id FROM feedback WHERE status = 'resolved' AND status_changed_ms < $1)";
        const ITEMS: &str =
            "DELETE FROM feedback WHERE status = 'resolved' AND status_changed_ms < $1";
        on_pool!(bulk self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(EVENTS).bind(cutoff_ms).execute(&mut *tx).await?;
            let n = sqlx::query(ITEMS).bind(cutoff_ms).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            Ok(n)
        })
    }

    /// The value of a shared key: `candidate` if none was stored yet, else
    /// the stored one, so every replica ends up with the same.
    pub async fn shared_secret(&self, name: &str, candidate: &str) -> Result<String, StoreError> {
        const INSERT: &str =
            "INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
        const SELECT: &str = "SELECT value FROM app_secrets WHERE name = $1";
        on_pool!(self, p => {
            sqlx::query(INSERT).bind(name).bind(candidate).execute(p).await?;
            sqlx::query_scalar(SELECT).bind(name).fetch_one(p).await.map_err(Into::into)
        })
    }
}
