//! Housekeeping off the scheduling path: a purge blocked in the store (a
//! lock held on an old run) delays only the purge; checks keep their
//! schedule [runs started while the purge is blocked].

use std::time::Duration;

use sqlx::Connection;
use tokio_util::sync::CancellationToken;

use crate::helpers::{exec, fresh_postgres, write_config};

#[tokio::test]
async fn a_blocked_purge_does_not_stop_the_schedule() {
    let Some(pg) = fresh_postgres("a_blocked_purge_does_not_stop_the_schedule").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    exec(&format!("sqlite://{d}/src.db"), "CREATE TABLE t (a INT)").await;
    let path = write_config(
        dir.path(),
        &format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"{pg}\"\nretention = \"1h\"\n\
             [sources.s]\nurl = \"sqlite://{d}/src.db\"\n\
             [[reconcile]]\nname = \"every_second\"\nschedule = \"* * * * * *\"\n\
             source = {{ from = \"s\", sql = \"SELECT COUNT(*) FROM t\" }}\n\
             target = {{ from = \"s\", sql = \"SELECT COUNT(*) FROM t\" }}\n"
        ),
    );
    let app = hypercare::app::Application::build(hypercare::config::load(&path).unwrap())
        .await
        .unwrap();
    // An old finished run, locked by another session: the purge's DELETE waits on it.
    exec(
        &pg,
        "INSERT INTO runs (check_name, kind, slot_ms, status, owner, started_ms, finished_ms) \
         VALUES ('old', 'reconcile', 1000, 'passed', 'gone', 1000, 2000)",
    )
    .await;
    let mut locker = sqlx::PgConnection::connect(&pg).await.unwrap();
    sqlx::raw_sql("BEGIN; SELECT * FROM runs WHERE check_name = 'old' FOR UPDATE")
        .execute(&mut locker)
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    let running = tokio::spawn(app.run(shutdown.clone(), rx));
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut reader = sqlx::PgConnection::connect(&pg).await.unwrap();
    let (started, old): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*) FILTER (WHERE check_name = 'every_second'), \
         COUNT(*) FILTER (WHERE check_name = 'old') FROM runs",
    )
    .fetch_one(&mut reader)
    .await
    .unwrap();
    assert_eq!(old, 1, "the purge is still blocked");
    assert!(
        started >= 3,
        "runs started while the purge was blocked: {started}"
    );
    eprintln!("fault purge blocked in the store: {started} runs started in 5 s");
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut locker)
        .await
        .unwrap();
    shutdown.cancel();
    running.await.unwrap().unwrap();
}
