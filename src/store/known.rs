//! Known issues, the reports merged into them, their audit trail and the
//! "affects me too" taps.
//!
//! Every decision that tells reporters something (a status change, a merge
//! into an issue that already has a workaround or a fix) writes its outbox
//! rows in the same transaction, under keys that make each notice unique:
//! two replicas, or one restarted, cannot send a notice twice. The rows'
//! content comes from the caller (`Notices`): this module knows no mail.

use super::outbox::{NewOutbox, insert_outbox};
use super::{Store, StoreError, on_pool};

/// A known issue to create (texts already redacted).
#[derive(Debug, Clone)]
pub struct NewKnownRow<'a> {
    pub title: &'a str,
    pub workaround: &'a str,
    /// Wrapped in commas: `,east,north,` (`,` for none).
    pub clinics: &'a str,
    pub roles: &'a str,
    pub training: bool,
    pub redactions: &'a str,
    pub status: &'a str,
    pub at_ms: i64,
    pub actor: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KnownRow {
    pub id: i64,
    pub title: String,
    pub workaround: String,
    pub clinics: String,
    pub roles: String,
    pub training: bool,
    pub redactions: String,
    pub status: String,
    pub created_ms: i64,
    pub status_changed_ms: i64,
    pub fixed_ms: Option<i64>,
    /// Reports merged into it.
    pub reporters: i64,
    pub taps: i64,
    /// The latest tap or merged report with a manual workaround.
    pub last_worked_around_ms: Option<i64>,
}

/// A linked report whose reporter left a contact.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ContactRow {
    pub issue_id: i64,
    pub feedback_id: i64,
    pub clinic: Option<String>,
    pub contact: String,
}

/// Makes the outbox rows for a decision: given a reporter, the
/// (channel, idempotency key, payload) of the notice to send, if any.
pub type Notices<'a> = &'a (dyn Fn(&ContactRow) -> Option<(String, String, String)> + Sync);

/// A tap to record.
#[derive(Debug, Clone)]
pub struct NewTap<'a> {
    pub tap_id: &'a str,
    pub issue_id: i64,
    pub clinic: Option<&'a str>,
    pub role: &'a str,
    pub at_ms: i64,
}

/// What a tap did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tapped {
    New,
    /// The same tap was recorded before (a double tap, a reload).
    Again,
    NoSuchIssue,
}

const COLUMNS: &str = "k.id, k.title, k.workaround, k.clinics, k.roles, k.training <> 0 AS training, \
     k.redactions, k.status, k.created_ms, k.status_changed_ms, k.fixed_ms, \
     (SELECT COUNT(*) FROM known_issue_reports r WHERE r.issue_id = k.id) AS reporters, \
     (SELECT COUNT(*) FROM known_issue_taps t WHERE t.issue_id = k.id) AS taps, \
     (SELECT MAX(u.at_ms) FROM (SELECT t.at_ms FROM known_issue_taps t WHERE t.issue_id = k.id \
       UNION ALL SELECT f.created_ms FROM known_issue_reports r JOIN feedback f ON f.id = r.feedback_id \
       WHERE r.issue_id = k.id AND f.workaround <> 0) u) AS last_worked_around_ms";

const EVENT: &str = "INSERT INTO known_issue_events (issue_id, at_ms, actor, from_status, to_status, note) \
     VALUES ($1, $2, $3, $4, $5, $6)";
const LINK: &str = "INSERT INTO known_issue_reports (feedback_id, issue_id, linked_ms, actor) \
     SELECT id, $2, $3, $4 FROM feedback WHERE id = $1 ON CONFLICT (feedback_id) DO NOTHING";
/// The merged report's own trail says where it went (its status unchanged).
const REPORT_EVENT: &str = "INSERT INTO feedback_events (feedback_id, at_ms, actor, from_status, to_status, note) \
     SELECT id, $2, $3, status, status, $4 FROM feedback WHERE id = $1";
const CONTACTS: &str = "SELECT r.issue_id, f.id AS feedback_id, f.clinic, f.contact FROM known_issue_reports r \
     JOIN feedback f ON f.id = r.feedback_id WHERE r.issue_id = $1 AND f.contact IS NOT NULL ORDER BY f.id";

/// Links reports to an issue and queues notices, on an open transaction;
/// returns the reports linked (those already in an issue are skipped).
macro_rules! link_and_notify {
    ($tx:expr, $issue:expr, $reports:expr, $at:expr, $actor:expr, $notices:expr) => {{
        let mut linked = Vec::new();
        let note = format!("merged into known issue #{}", $issue);
        for fid in $reports {
            let n = sqlx::query(LINK)
                .bind(*fid)
                .bind($issue)
                .bind($at)
                .bind($actor)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
            if n == 1 {
                sqlx::query(REPORT_EVENT)
                    .bind(*fid)
                    .bind($at)
                    .bind($actor)
                    .bind(&note)
                    .execute(&mut *$tx)
                    .await?;
                linked.push(*fid);
            }
        }
        let contacts: Vec<ContactRow> = sqlx::query_as(CONTACTS)
            .bind($issue)
            .fetch_all(&mut *$tx)
            .await?;
        for c in contacts.iter() {
            if let Some((channel, key, payload)) = ($notices)(c) {
                let row = NewOutbox {
                    channel: &channel,
                    idempotency_key: &key,
                    ordering_key: "",
                    payload: &payload,
                    created_ms: $at,
                };
                insert_outbox!(&mut *$tx, row).await?;
            }
        }
        linked
    }};
}

impl Store {
    /// Creates a known issue from reports (its `created` event, the links,
    /// any notice its status calls for) in one transaction.
    pub async fn insert_known(
        &self,
        n: &NewKnownRow<'_>,
        reports: &[i64],
        notices: Notices<'_>,
    ) -> Result<(i64, Vec<i64>), StoreError> {
        const INSERT: &str = "INSERT INTO known_issues (title, workaround, clinics, roles, training, redactions, \
             status, created_ms, status_changed_ms, fixed_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, CASE WHEN $7 = 'fixed' THEN $8 END) RETURNING id";
        let made = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(INSERT).bind(n.title).bind(n.workaround).bind(n.clinics)
                .bind(n.roles).bind(i64::from(n.training)).bind(n.redactions).bind(n.status).bind(n.at_ms)
                .fetch_one(&mut *tx).await?;
            sqlx::query(EVENT).bind(id).bind(n.at_ms).bind(n.actor).bind(None::<&str>).bind(n.status)
                .bind("created").execute(&mut *tx).await?;
            let linked = link_and_notify!(tx, id, reports, n.at_ms, n.actor, notices);
            tx.commit().await?;
            (id, linked)
        });
        Ok(made)
    }

    /// Merges more reports into an issue; reporters of an issue that already
    /// has a workaround or a fix are told in the same transaction.
    pub async fn link_known(
        &self,
        issue: i64,
        reports: &[i64],
        at_ms: i64,
        actor: &str,
        notices: Notices<'_>,
    ) -> Result<Vec<i64>, StoreError> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let linked = link_and_notify!(tx, issue, reports, at_ms, actor, notices);
            if !linked.is_empty() {
                let note = format!("merged reports {}", list(&linked));
                let status: String = sqlx::query_scalar("SELECT status FROM known_issues WHERE id = $1")
                    .bind(issue).fetch_one(&mut *tx).await?;
                sqlx::query(EVENT).bind(issue).bind(at_ms).bind(actor).bind(&status).bind(&status)
                    .bind(&note).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(linked)
        })
    }

    /// Moves an issue from `from` to `to` (false when it is no longer in
    /// `from`), with its event and the notices the new status calls for.
    pub async fn change_known_status(
        &self,
        issue: i64,
        from: &str,
        to: &str,
        (at_ms, actor, note): (i64, &str, &str),
        notices: Notices<'_>,
    ) -> Result<bool, StoreError> {
        const UPDATE: &str = "UPDATE known_issues SET status = $1, status_changed_ms = $2, \
             fixed_ms = CASE WHEN $1 = 'fixed' THEN $2 ELSE fixed_ms END WHERE id = $3 AND status = $4";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(UPDATE).bind(to).bind(at_ms).bind(issue).bind(from)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query(EVENT).bind(issue).bind(at_ms).bind(actor).bind(from).bind(to).bind(note)
                    .execute(&mut *tx).await?;
                let none: [i64; 0] = [];
                link_and_notify!(tx, issue, none.iter(), at_ms, actor, notices);
            }
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// Known issues, newest first; with `clinic`, those affecting it; with
    /// `open`, those not fixed or monitored.
    pub async fn list_known(
        &self,
        clinic: Option<&str>,
        open: bool,
    ) -> Result<Vec<KnownRow>, StoreError> {
        let open = if open {
            " AND k.status IN ('investigating', 'workaround_available')"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM known_issues k WHERE ($1 = '' OR k.clinics LIKE $2 ESCAPE '\\'){open} ORDER BY k.id DESC LIMIT 500"
        );
        let c = clinic.unwrap_or("");
        on_pool!(self, p => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(c).bind(format!("%,{},%", c.replace('_', "\\_")))
            .fetch_all(p).await?))
    }

    pub async fn get_known(&self, id: i64) -> Result<Option<KnownRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM known_issues k WHERE k.id = $1");
        on_pool!(self, p => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?))
    }

    /// An issue's trail, oldest first (the report trail's row shape).
    pub async fn known_events(&self, id: i64) -> Result<Vec<super::FeedbackEventRow>, StoreError> {
        const SQL: &str = "SELECT at_ms, actor, from_status, to_status, note FROM known_issue_events \
             WHERE issue_id = $1 ORDER BY id";
        on_pool!(self, p => Ok(sqlx::query_as(SQL).bind(id).fetch_all(p).await?))
    }

    /// The reports merged into an issue, oldest first.
    pub async fn known_reports(&self, id: i64) -> Result<Vec<i64>, StoreError> {
        const SQL: &str =
            "SELECT feedback_id FROM known_issue_reports WHERE issue_id = $1 ORDER BY feedback_id";
        on_pool!(self, p => Ok(sqlx::query_scalar(SQL).bind(id).fetch_all(p).await?))
    }

    /// Which of these reports are already in an issue, and in which.
    pub async fn known_of_reports(&self, reports: &[i64]) -> Result<Vec<(i64, i64)>, StoreError> {
        const SQL: &str =
            "SELECT feedback_id, issue_id FROM known_issue_reports WHERE feedback_id = $1";
        let mut out = Vec::new();
        for r in reports {
            let row: Option<(i64, i64)> =
                on_pool!(self, p => sqlx::query_as(SQL).bind(*r).fetch_optional(p).await?);
            out.extend(row);
        }
        Ok(out)
    }

    /// Records a tap (committed before this returns), once per `tap_id`.
    pub async fn insert_tap(&self, t: &NewTap<'_>) -> Result<Tapped, StoreError> {
        const SQL: &str = "INSERT INTO known_issue_taps (tap_id, issue_id, clinic, role, at_ms, status) \
             SELECT $1, id, $3, $4, $5, status FROM known_issues WHERE id = $2 \
             ON CONFLICT (tap_id) DO NOTHING";
        const SEEN: &str = "SELECT COUNT(*) FROM known_issue_taps WHERE tap_id = $1";
        let n = on_pool!(self, p => sqlx::query(SQL).bind(t.tap_id).bind(t.issue_id).bind(t.clinic)
            .bind(t.role).bind(t.at_ms).execute(p).await?.rows_affected());
        if n == 1 {
            return Ok(Tapped::New);
        }
        let seen: i64 =
            on_pool!(self, p => sqlx::query_scalar(SEEN).bind(t.tap_id).fetch_one(p).await?);
        Ok(if seen > 0 {
            Tapped::Again
        } else {
            Tapped::NoSuchIssue
        })
    }
}

fn list(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
