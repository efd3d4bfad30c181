//! Two replicas on one PostgreSQL store notify each transition once: one
//! mail and one webhook post each for firing and for resolved.

use std::collections::BTreeMap;
use std::time::Duration;

use sqlx::Connection;

use super::{Smtp, config, drifting_source, fix, have_aiosmtpd, port, receiver, smtp_section};
use crate::helpers::{Daemon, fresh_postgres, wait_for, write_config};

#[tokio::test]
async fn two_replicas_on_postgresql_send_each_notification_once() {
    let Some(store) = fresh_postgres("alerts on two replicas").await else {
        return;
    };
    if !have_aiosmtpd("alerts on two replicas") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port(), &dir.path().join("maildir")).await;
    let (hook_port, posts) = receiver().await;
    let source = drifting_source(dir.path()).await;
    let notifiers = format!(
        "{}[notifiers.hook]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{hook_port}/hook\"\n",
        smtp_section(smtp.port)
    );
    let mut daemons = Vec::new();
    for replica in ["replica-a", "replica-b"] {
        let sub = dir.path().join(replica);
        std::fs::create_dir_all(&sub).unwrap();
        let p = port();
        let text = config(
            p,
            &store,
            &source,
            replica,
            "\"mail\", \"hook\"",
            &notifiers,
        );
        daemons.push(Daemon::start(&write_config(&sub, &text), p).await);
    }

    let fired = wait_for(Duration::from_secs(30), || async {
        !smtp.subjects().is_empty() && !posts.lock().unwrap().is_empty()
    })
    .await;
    assert!(fired.is_ok(), "no firing notification");
    // Both replicas keep evaluating for a while: nothing more may come.
    tokio::time::sleep(Duration::from_secs(5)).await;
    fix(&source).await;
    let resolved = wait_for(Duration::from_secs(30), || async {
        smtp.subjects().len() >= 2 && posts.lock().unwrap().len() >= 2
    })
    .await;
    assert!(
        resolved.is_ok(),
        "no resolved notification: {:?}",
        smtp.subjects()
    );
    tokio::time::sleep(Duration::from_secs(5)).await;

    assert_eq!(
        smtp.subjects(),
        vec![
            "[FIRING] patients_drift patients (critical)".to_string(),
            "[RESOLVED] patients_drift patients (critical)".to_string(),
        ]
    );
    let posts = posts.lock().unwrap().clone();
    let statuses: Vec<&str> = posts
        .iter()
        .map(|(_, b)| b["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(statuses, vec!["firing", "resolved"]);
    let keys: BTreeMap<&str, usize> = posts.iter().fold(BTreeMap::new(), |mut m, (k, _)| {
        *m.entry(k.as_str()).or_default() += 1;
        m
    });
    assert!(
        keys.values().all(|n| *n == 1),
        "a key was posted twice: {keys:?}"
    );

    // One transition row per change, whichever replica made it.
    let mut conn = sqlx::PgConnection::connect(&store).await.unwrap();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT from_state, to_state FROM alert_transitions ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(rows, vec![("inactive", "firing"), ("firing", "resolved")]);
    let delivered: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE delivered_ms IS NOT NULL")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(delivered, 4);
    drop(daemons);
}
