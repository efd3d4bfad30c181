//! Handoffs whose two sides share a database and an integer key type: the
//! pushed statement compares the keys in their own type (no text cast), on
//! PostgreSQL, MariaDB and SQLite, with the same planted classes, keys and
//! clock edges as `handoffs.rs`.

use super::handoffs::{EVENTS, arrivals_typed, assert_planted_with, config, judge, utc};
use crate::helpers::{exec, fresh_mysql, fresh_postgres};

/// Events with the instants written in UTC (MariaDB and SQLite have no
/// offsets in their time types), `id` of `key_type`.
fn events_utc(key_type: &str, time_type: &str) -> String {
    let rows: Vec<String> = EVENTS
        .iter()
        .map(|(k, at, c)| format!("({k}, '{}', 'finished', '{c}')", utc(at)))
        .collect();
    format!(
        "CREATE TABLE encounters (id {key_type} PRIMARY KEY, closed_at {time_type}, status VARCHAR(20), facility VARCHAR(20));
         INSERT INTO encounters VALUES {}",
        rows.join(", ")
    )
}

fn shared(text: &str) -> String {
    text.replace("from = \"billing\"", "from = \"ehr\"")
}

#[tokio::test]
async fn postgres_integer_keys_are_compared_as_integers() {
    let Some(pg) = fresh_postgres("handoffs_native_pg").await else {
        return;
    };
    exec(&pg, &super::handoffs::pg_events()).await;
    exec(&pg, &arrivals_typed("timestamptz", "bigint")).await;
    let dir = tempfile::tempdir().unwrap();
    let (outcome, d) = judge(dir.path(), &shared(&config(&pg, &pg))).await;
    assert!(d.pushed_down);
    assert_planted_with(outcome, &d, "9009");
}

#[tokio::test]
async fn mariadb_integer_keys_are_compared_as_integers() {
    let Some(my) = fresh_mysql("handoffs_native_my").await else {
        return;
    };
    let events = events_utc("INT", "DATETIME(3)");
    exec(&my, &format!("SET time_zone = '+00:00'; {events}")).await;
    exec(&my, &arrivals_typed("DATETIME(3)", "BIGINT UNSIGNED")).await;
    let dir = tempfile::tempdir().unwrap();
    let text = shared(&config(&my, &my)).replace("id AS key", "id AS `key`");
    let (outcome, d) = judge(dir.path(), &text).await;
    assert!(d.pushed_down);
    assert_planted_with(outcome, &d, "9009");
}

#[tokio::test]
async fn sqlite_integer_keys_are_compared_as_integers() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ehr.db", dir.path().display());
    exec(&url, &events_utc("INTEGER", "TEXT")).await;
    exec(&url, &arrivals_typed("TEXT", "INTEGER")).await;
    let (outcome, d) = judge(dir.path(), &shared(&config(&url, &url))).await;
    assert!(d.pushed_down);
    assert_planted_with(outcome, &d, "9009");
}
