//! Pairs marked "not a duplicate" by a reviewer: the probable_duplicates
//! rule of that check leaves them out of its next runs.

use super::{Store, StoreError, on_pool};

impl Store {
    /// Marks a pair (either order) as two people; marking it again is a no-op.
    pub async fn mark_not_duplicate(
        &self,
        check: &str,
        rule: &str,
        keys: [&str; 2],
        at_ms: i64,
        actor: &str,
    ) -> Result<(), StoreError> {
        let [a, b] = if keys[0] <= keys[1] {
            keys
        } else {
            [keys[1], keys[0]]
        };
        const INSERT: &str = "INSERT INTO not_duplicates (check_name, rule, key_a, key_b, marked_ms, actor) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
        on_pool!(self, p => sqlx::query(INSERT).bind(check).bind(rule).bind(a).bind(b)
            .bind(at_ms).bind(actor).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// A check's marked pairs: (rule, key_a, key_b), key_a < key_b.
    pub async fn not_duplicates(
        &self,
        check: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        const SELECT: &str = "SELECT rule, key_a, key_b FROM not_duplicates WHERE check_name = $1 \
             ORDER BY rule, key_a, key_b";
        Ok(on_pool!(self, p => sqlx::query_as(SELECT).bind(check).fetch_all(p).await?))
    }
}
