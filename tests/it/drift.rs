//! Drift and incremental runs of a keyed diff: PostgreSQL source, MariaDB
//! target, runs chained the way the scheduler chains them, then the daemon
//! itself passing each run the previous one from its store.

use std::time::Duration;

use hypercare::checks::RunInput;
use hypercare::results::Details;
use hypercare::results::{CheckResult, KeyedDiff, Outcome};

use crate::helpers::{
    Daemon, exec, free_port, fresh_mysql, fresh_postgres, sample, wait_for, write_config,
};

const PG: &str =
    "CREATE TABLE visits (id integer PRIMARY KEY, note varchar(40), updated timestamp(6) NOT NULL)";
const MY: &str =
    "CREATE TABLE visits (id INT PRIMARY KEY, note VARCHAR(40), updated DATETIME(6) NOT NULL)";

fn config(pg: &str, my: &str, extra: &str) -> String {
    format!(
        r#"{extra}
[sources.legacy]
url = "{pg}"
[sources.ehr]
url = "{my}"

[[reconcile]]
name = "visits"
schedule = "* * * * * *"
grace = "2s"
source = {{ from = "legacy", table = "visits", key = "id", columns = ["note"], updated = "updated" }}
target = {{ from = "ehr", table = "visits", key = "id", columns = ["note"], updated = "updated" }}

[[reconcile]]
name = "visits_swept"
schedule = "0 0 0 1 1 *"
enabled = false
full_sweep = "* * * * * *"
source = {{ from = "legacy", table = "visits", key = "id", columns = ["note"], updated = "updated" }}
target = {{ from = "ehr", table = "visits", key = "id", columns = ["note"], updated = "updated" }}
"#
    )
}

/// Rows 1..=20 on both sides, stamped an hour ago; the target lacks 5 and
/// has a different note for 7.
async fn seed(pg: &str, my: &str) {
    let rows = |skip: i32| {
        (1..=20)
            .filter(|i| *i != skip)
            .map(|i| {
                let note = if i == 7 && skip == 5 { "typo" } else { "ok" };
                format!("({i}, '{note} {i}', '2020-01-01 00:00:00')")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    exec(pg, &format!("{PG}; INSERT INTO visits VALUES {}", rows(0))).await;
    exec(my, &format!("{MY}; INSERT INTO visits VALUES {}", rows(5))).await;
}

fn keyed(r: &CheckResult) -> KeyedDiff {
    let d = r.details.reconcile().expect("reconcile details");
    d.keyed.as_deref().expect("keyed diff").clone()
}

fn previous(r: &CheckResult) -> Option<Details> {
    Some(r.details.clone())
}

#[tokio::test]
async fn runs_classify_drift_compare_changed_rows_and_sweep_fully_on_schedule() {
    let (Some(pg), Some(my)) = (
        fresh_postgres("drift_incremental").await,
        fresh_mysql("drift_incremental").await,
    ) else {
        return;
    };
    seed(&pg, &my).await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config(&pg, &my, ""));
    let cfg = hypercare::config::load(&path).unwrap();
    let sources = hypercare::sources::Sources::from_config(&cfg).unwrap();
    let checks = hypercare::checks::build_all(&cfg, &sources);
    let check = |name: &str| {
        checks
            .iter()
            .find(|c| c.meta().name.as_str() == name)
            .unwrap()
            .clone()
    };
    let (visits, swept) = (check("visits"), check("visits_swept"));

    // Run 1, the first: a full sweep; both discrepancies are new and within
    // the 2-s grace period, so the check passes despite tolerance 0.
    let r1 = visits
        .run(RunInput::remembering(None, Default::default()))
        .await
        .result;
    let d1 = keyed(&r1);
    assert_eq!(r1.outcome, Outcome::Pass, "{}", r1.summary);
    assert_eq!(d1.sweep.as_ref().unwrap().kind, "full");
    assert_eq!(
        d1.sweep.as_ref().unwrap().reason.as_deref(),
        Some("first run")
    );
    assert_eq!(
        (d1.missing_keys.clone(), d1.changed),
        (vec!["5".to_string()], 1)
    );
    let drift = d1.drift.unwrap();
    assert_eq!((drift.new, drift.persisting, drift.within_grace), (2, 0, 2));
    assert!(
        r1.summary.contains("2 within the 2s grace period"),
        "{}",
        r1.summary
    );

    // Between runs: 5 arrives in the target, 9 changes in the source (not
    // replicated yet), and 12 silently disappears from the target.
    exec(
        &my,
        "INSERT INTO visits VALUES (5, 'ok 5', UTC_TIMESTAMP(6)); DELETE FROM visits WHERE id = 12",
    )
    .await;
    exec(
        &pg,
        "UPDATE visits SET note = 'moved', updated = now() AT TIME ZONE 'UTC' WHERE id = 9",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;

    // Run 2, incremental: only 5 and 9 changed. 5 is resolved, 9 is new
    // (within grace), 7 was not looked at and is carried over, now past the
    // grace period: the check fails. 12 did not change: not seen yet.
    let r2 = visits
        .run(RunInput::remembering(previous(&r1), Default::default()))
        .await
        .result;
    let d2 = keyed(&r2);
    let sweep = d2.sweep.as_ref().unwrap();
    assert_eq!(sweep.kind, "incremental", "{}", r2.summary);
    assert_eq!(sweep.since_ms, Some(d1.sweep.as_ref().unwrap().started_ms));
    assert_eq!(d2.mode, "incremental");
    assert_eq!(
        (d2.source_rows, d2.target_rows),
        (2, 2),
        "rows 5 and 9 only"
    );
    assert_eq!(
        (d2.missing, d2.extra, d2.changed),
        (0, 0, 2),
        "{}",
        r2.summary
    );
    let mut changed: Vec<&str> = d2.changed_keys.iter().map(|c| c.key.as_str()).collect();
    changed.sort();
    assert_eq!(changed, ["7", "9"]);
    let drift = d2.drift.unwrap();
    assert_eq!(
        (
            drift.new,
            drift.persisting,
            drift.resolved,
            drift.within_grace
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(d2.first_seen["changed:7"], d1.first_seen["changed:7"]);
    assert_eq!(r2.outcome, Outcome::Fail, "{}", r2.summary);

    // A check whose full sweep is due compares every row and finds 12.
    let r3 = swept
        .run(RunInput::remembering(previous(&r2), Default::default()))
        .await
        .result;
    let d3 = keyed(&r3);
    let sweep = d3.sweep.as_ref().unwrap();
    assert_eq!(
        (sweep.kind.as_str(), sweep.reason.as_deref()),
        ("full", Some("full_sweep schedule"))
    );
    assert_eq!(d3.missing_keys, vec!["12"]);
    assert_eq!(d3.changed, 2);
    let drift = d3.drift.unwrap();
    assert_eq!((drift.new, drift.persisting, drift.resolved), (1, 2, 0));

    // `hypercare check` has no history: no drift, every discrepancy counts.
    let once = visits.run(Default::default()).await.result;
    assert!(keyed(&once).drift.is_none());
    assert_eq!(once.outcome, Outcome::Fail);
}

#[tokio::test]
async fn the_daemon_hands_each_run_the_previous_one() {
    let (Some(pg), Some(my)) = (
        fresh_postgres("drift_daemon").await,
        fresh_mysql("drift_daemon").await,
    ) else {
        return;
    };
    seed(&pg, &my).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"sqlite://{}/store.db\"\n",
        dir.path().display()
    );
    let path = write_config(dir.path(), &config(&pg, &my, &server));
    let daemon = Daemon::start(&path, port).await;
    // The second run of `visits` sees the first one's discrepancies again:
    // they persist; after 2 s they are past the grace period and the check fails.
    let persisting = r#"hypercare_reconcile_drift_records{check="visits",state="persisting"}"#;
    let failing = r#"hypercare_check_status{check="visits",kind="reconcile",status="fail"}"#;
    let seen = wait_for(Duration::from_secs(20), || async {
        let m = daemon.metrics().await;
        sample(&m, persisting) == Some(2.0) && sample(&m, failing) == Some(1.0)
    })
    .await;
    let m = daemon.metrics().await;
    assert!(
        seen.is_ok(),
        "{}",
        m.lines()
            .filter(|l| l.contains("visits"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        sample(
            &m,
            r#"hypercare_reconcile_last_full_sweep_timestamp_seconds{check="visits"}"#
        )
        .is_some()
    );
}
