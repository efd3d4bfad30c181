//! What staff do about known issues, counted per clinic: issues still being
//! looked into (the `known_issues` criterion), training signals by role and
//! week, and fixed issues a clinic still works around. Grouped in SQL, so a
//! round reads a few rows per clinic whatever the number of taps.

use super::{Store, StoreError, on_pool};

/// A known issue in `investigating`, and since when.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvestigatingRow {
    pub id: i64,
    /// Wrapped in commas: `,east,north,`.
    pub clinics: String,
    pub since_ms: i64,
}

/// Training signals of one clinic and role in one week.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrainingRow {
    pub clinic: Option<String>,
    pub role: String,
    /// 1: the latest week; 0: the week before.
    pub this_week: i64,
    /// Reports in the training category.
    pub reports: i64,
    /// "Affects me too" taps on issues marked as training.
    pub taps: i64,
}

/// A fixed issue a clinic still works around: taps and workaround reports
/// from that clinic after the fix and its grace.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LateRow {
    pub issue_id: i64,
    pub title: String,
    pub clinic: String,
    pub fixed_ms: i64,
    pub signals: i64,
    pub last_ms: i64,
}

/// Training reports and training taps from `$1` on, split at `$2`.
const TRAINING: &str = "SELECT u.clinic, u.role, CAST(u.this_week AS BIGINT) AS this_week, \
     CAST(SUM(u.report) AS BIGINT) AS reports, CAST(SUM(1 - u.report) AS BIGINT) AS taps \
     FROM (SELECT f.clinic, f.role, CASE WHEN f.created_ms >= $2 THEN 1 ELSE 0 END AS this_week, 1 AS report \
       FROM feedback f WHERE f.category = $3 AND f.created_ms >= $1 AND f.created_ms < $4 \
     UNION ALL SELECT t.clinic, t.role, CASE WHEN t.at_ms >= $2 THEN 1 ELSE 0 END, 0 \
       FROM known_issue_taps t JOIN known_issues k ON k.id = t.issue_id \
       WHERE k.training <> 0 AND t.at_ms >= $1 AND t.at_ms < $4) u \
     GROUP BY u.clinic, u.role, u.this_week ORDER BY u.clinic, u.role, u.this_week";

/// Per fixed (or monitored) issue and clinic: taps and workaround reports
/// later than the fix plus `$1`.
const LATE: &str = "SELECT k.id AS issue_id, k.title, u.clinic, k.fixed_ms, COUNT(*) AS signals, MAX(u.at_ms) AS last_ms \
     FROM (SELECT t.issue_id, t.clinic, t.at_ms FROM known_issue_taps t \
     UNION ALL SELECT r.issue_id, f.clinic, f.created_ms FROM known_issue_reports r \
       JOIN feedback f ON f.id = r.feedback_id WHERE f.workaround <> 0) u \
     JOIN known_issues k ON k.id = u.issue_id \
     WHERE k.status IN ('fixed', 'monitoring') AND k.fixed_ms IS NOT NULL \
       AND u.clinic IS NOT NULL AND u.at_ms > k.fixed_ms + $1 \
     GROUP BY k.id, k.title, u.clinic, k.fixed_ms ORDER BY u.clinic, k.id";

impl Store {
    /// Known issues in `investigating`, oldest first.
    pub async fn known_investigating(&self) -> Result<Vec<InvestigatingRow>, StoreError> {
        const SQL: &str = "SELECT id, clinics, status_changed_ms AS since_ms FROM known_issues \
             WHERE status = 'investigating' ORDER BY status_changed_ms, id";
        on_pool!(self, p => Ok(sqlx::query_as(SQL).fetch_all(p).await?))
    }

    /// Training signals per clinic and role in `[from, split)` (last week)
    /// and `[split, to)` (this week); `category` is the training category.
    pub async fn training_signals(
        &self,
        (from_ms, split_ms, to_ms): (i64, i64, i64),
        category: &str,
    ) -> Result<Vec<TrainingRow>, StoreError> {
        on_pool!(self, p => Ok(sqlx::query_as(TRAINING).bind(from_ms).bind(split_ms).bind(category)
            .bind(to_ms).fetch_all(p).await?))
    }

    /// Fixed issues still worked around, per clinic, `grace_ms` after the fix.
    pub async fn known_worked_around_after_fix(
        &self,
        grace_ms: i64,
    ) -> Result<Vec<LateRow>, StoreError> {
        on_pool!(self, p => Ok(sqlx::query_as(LATE).bind(grace_ms).fetch_all(p).await?))
    }

    /// Per clinic (`_unassigned` without one): an issue's "affects me too"
    /// taps and its merged reports flagged as a manual workaround.
    pub async fn known_by_clinic(&self, id: i64) -> Result<Vec<(String, i64, i64)>, StoreError> {
        const SQL: &str = "SELECT clinic, SUM(taps), SUM(workarounds) FROM ( \
             SELECT COALESCE(clinic, '_unassigned') AS clinic, 1 AS taps, 0 AS workarounds \
             FROM known_issue_taps WHERE issue_id = $1 \
             UNION ALL SELECT COALESCE(f.clinic, '_unassigned'), 0, \
             CASE WHEN f.workaround <> 0 THEN 1 ELSE 0 END \
             FROM known_issue_reports r JOIN feedback f ON f.id = r.feedback_id \
             WHERE r.issue_id = $1) t GROUP BY clinic ORDER BY clinic";
        on_pool!(self, p => Ok(sqlx::query_as(SQL).bind(id).fetch_all(p).await?))
    }
}
