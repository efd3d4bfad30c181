//! The documents rotation ledger: per check and document id, when it was
//! last checked, last content-verified, and why it last failed. Loaded
//! whole before a run, updated with what the run changed (one transaction).

use std::collections::HashMap;

use super::{Store, StoreError, on_pool};
use crate::results::{Ledger, LedgerEntry, LedgerUpdate, Reason};

const UPSERT: &str = "INSERT INTO document_ledger (check_name, doc_id, checked_ms, content_ms, reason) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (check_name, doc_id) DO UPDATE SET checked_ms = excluded.checked_ms, \
     content_ms = excluded.content_ms, reason = excluded.reason";
const DELETE: &str = "DELETE FROM document_ledger WHERE check_name = $1 AND doc_id = $2";
const LOAD: &str =
    "SELECT doc_id, checked_ms, content_ms, reason FROM document_ledger WHERE check_name = $1";

impl Store {
    /// Every document's rotation state for one check.
    pub async fn load_ledger(&self, check: &str) -> Result<Ledger, StoreError> {
        let rows: Vec<(String, i64, i64, Option<String>)> = on_pool!(self, p => {
            sqlx::query_as(LOAD).bind(check).fetch_all(p).await?
        });
        let mut entries = HashMap::with_capacity(rows.len());
        for (id, checked_ms, content_ms, reason) in rows {
            let reason = match reason {
                None => None,
                Some(r) => Some(r.parse::<Reason>().map_err(|_| {
                    StoreError::Corrupt(format!("unknown document failure reason `{r}`"))
                })?),
            };
            entries.insert(
                id,
                LedgerEntry {
                    checked_ms,
                    content_ms,
                    reason,
                },
            );
        }
        Ok(Ledger { entries })
    }

    /// Applies what one run changed, all or nothing.
    pub async fn save_ledger(&self, check: &str, update: &LedgerUpdate) -> Result<(), StoreError> {
        on_pool!(bulk self, p => {
            let mut tx = p.begin().await?;
            for (id, e) in &update.upserts {
                sqlx::query(UPSERT)
                    .bind(check)
                    .bind(id)
                    .bind(e.checked_ms)
                    .bind(e.content_ms)
                    .bind(e.reason.map(Reason::as_str))
                    .execute(&mut *tx)
                    .await?;
            }
            for id in &update.removed {
                sqlx::query(DELETE).bind(check).bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
