//! The rotation through the daemon: the scheduler loads the ledger from the
//! store before each run and saves it after, so a sample smaller than the
//! inventory covers it all within a few runs (without the ledger every run
//! would check the same first documents and coverage would stay put).

use std::time::Duration;

use crate::helpers::{Daemon, free_port, sample, wait_for, write_config};

use super::fixtures::{Row, config, inventory_db, pdf};

#[tokio::test]
async fn the_daemon_rotates_through_the_inventory_and_reports_coverage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).expect("mkdir");
    let ids = ["d1", "d2", "d3", "d4", "d5", "d6", "d7"];
    for id in ids {
        std::fs::write(docs.join(format!("{id}.pdf")), pdf(id)).expect("write");
    }
    let rows: Vec<Row> = ids
        .iter()
        .map(|id| Row::good(id, format!("{id}.pdf"), "application/pdf", &pdf(id)))
        .collect();
    let db = inventory_db(dir.path(), &rows).await;
    let port = free_port();
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"sqlite://{}/store.db\"\n{}",
        dir.path().display(),
        config(
            &db,
            &format!(
                "sample = 3\ncontent_share = 0.5\ncycle = \"1h\"\nstorage = {{ base = \"{}\" }}",
                docs.display()
            ),
        )
        .replace("schedule = \"0 0 * * * *\"", "schedule = \"* * * * * *\"")
    );
    let path = write_config(dir.path(), &text);
    let daemon = Daemon::start(&path, port).await;
    let coverage = |m: &str| {
        sample(
            m,
            "hypercare_documents_coverage_ratio{check=\"docs\",kind=\"lab_report\"}",
        )
    };
    let last = std::sync::Mutex::new(String::new());
    let covered = wait_for(Duration::from_secs(30), || async {
        let m = daemon.metrics().await;
        let done = coverage(&m) == Some(1.0);
        *last.lock().expect("lock") = m;
        done
    })
    .await;
    assert!(
        covered.is_ok(),
        "coverage never reached 1:\n{}",
        last.lock().expect("lock")
    );
    let m = daemon.metrics().await;
    assert_eq!(
        sample(
            &m,
            "hypercare_documents_inventory{check=\"docs\",kind=\"lab_report\"}"
        ),
        Some(7.0)
    );
    assert_eq!(
        sample(
            &m,
            "hypercare_documents_checked{check=\"docs\",kind=\"lab_report\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &m,
            "hypercare_documents_failed{check=\"docs\",kind=\"lab_report\",reason=\"not_found\"}"
        ),
        Some(0.0)
    );
    assert!(
        !m.contains("d1.pdf") && !m.contains("\"d1\""),
        "no document id or location in metrics"
    );
}
