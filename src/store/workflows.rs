//! Workflow history read back for SLO burn rates and baseline ratios:
//! derived from the `runs` table, so every replica computes the same figures.

use super::{Store, StoreError, on_pool};

impl Store {
    /// `(id, finished_ms, good)` of a check's runs that finished since
    /// `since_ms`, oldest first. A run is good when it passed and its details
    /// say `"slo_good":true` (serde writes compact JSON, so the text is exact).
    pub async fn slo_samples(
        &self,
        check: &str,
        since_ms: i64,
    ) -> Result<Vec<(i64, i64, bool)>, StoreError> {
        const SQL: &str = "SELECT id, finished_ms, CAST(CASE WHEN status = 'pass' AND details LIKE '%\"slo_good\":true%' \
             THEN 1 ELSE 0 END AS BIGINT) FROM runs WHERE check_name = $1 AND status IN ('pass', 'fail', 'error') \
             AND finished_ms >= $2 ORDER BY finished_ms";
        let rows: Vec<(i64, i64, i64)> = on_pool!(self, p => sqlx::query_as(SQL)
            .bind(check).bind(since_ms).fetch_all(p).await?);
        Ok(rows.into_iter().map(|(id, t, g)| (id, t, g == 1)).collect())
    }

    /// The details (JSON text) of a check's passing runs since `since_ms`.
    pub async fn passing_details(
        &self,
        check: &str,
        since_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        const SQL: &str = "SELECT details FROM runs WHERE check_name = $1 AND status = 'pass' \
             AND finished_ms >= $2 ORDER BY finished_ms";
        on_pool!(self, p => sqlx::query_scalar(SQL).bind(check).bind(since_ms).fetch_all(p).await.map_err(Into::into))
    }
}
