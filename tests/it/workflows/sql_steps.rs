//! SQL steps on PostgreSQL, MariaDB and SQLite: variables from columns
//! (text and integer), bound as text parameters, then used by an HTTP step;
//! a slow query recorded as a timeout of its own step.

use hypercare::results::{Outcome, StepOutcome};

use super::*;
use crate::helpers::{exec, fresh_mysql, fresh_postgres};

fn workflow_on(base: &str, db: &str, placeholder: &str, slow_sql: &str) -> String {
    format!(
        r#"{}
[sources.db]
url = "{db}"
statement_timeout = "5s"

[[workflows]]
name = "lookup"
schedule = "0 0 * * * *"
target = "ehr"
pools = {{ clinic = ["north"] }}

[[workflows.steps]]
name = "pick"
from = "db"
sql = "SELECT mrn, visits FROM test_patients WHERE clinic = {placeholder}"
params = ["{{{{clinic}}}}"]
extract = {{ mrn = "mrn", visits = "visits" }}
expect = {{ count = 1 }}

[[workflows.steps]]
name = "search"
path = "Patient"
query = {{ identifier = "{{{{mrn}}}}", visits = "{{{{visits}}}}" }}
extract = {{ id = "entry[0].resource.id" }}

[[workflows]]
name = "slow_query"
schedule = "0 0 * * * *"
target = "ehr"

[[workflows.steps]]
name = "sleepy"
from = "db"
sql = "{slow_sql}"
timeout = "200ms"

[[workflows.steps]]
name = "after"
path = "Patient"
"#,
        source(base)
    )
}

async fn scenario(db: &str, placeholder: &str, slow_sql: &str) {
    exec(
        db,
        "CREATE TABLE test_patients (mrn VARCHAR(20), clinic VARCHAR(20), visits INTEGER); \
         INSERT INTO test_patients VALUES ('T-42', 'north', 7), ('T-43', 'south', 1)",
    )
    .await;
    let (base, ehr) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let config = load(dir.path(), &workflow_on(&base, db, placeholder, slow_sql));
    let r = build(&config, "lookup")
        .run(Default::default())
        .await
        .result;
    assert_eq!(r.outcome, Outcome::Pass, "{db}: {}", r.summary);
    let w = workflow(&r.details);
    assert_eq!(w.steps[0].count, Some(1));
    // The text and the integer column reached the next step's query.
    let q = ehr.searches.lock().unwrap().last().cloned().unwrap();
    assert_eq!(q.get("identifier").map(String::as_str), Some("T-42"));
    assert_eq!(q.get("visits").map(String::as_str), Some("7"));
    let r = build(&config, "slow_query")
        .run(Default::default())
        .await
        .result;
    let w = workflow(&r.details);
    assert_eq!(r.outcome, Outcome::Fail, "{db}: {}", r.summary);
    assert_eq!(w.failed_step.as_deref(), Some("sleepy"));
    assert_eq!(w.steps[0].outcome, StepOutcome::Timeout);
    assert_eq!(w.steps[1].outcome, StepOutcome::Skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_steps_feed_http_steps_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    // SQLite has no sleep: a recursive count long enough to outlast 200 ms.
    scenario(
        &db,
        "$1",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000000) SELECT COUNT(*) FROM c",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_steps_feed_http_steps_on_postgres() {
    let Some(db) = fresh_postgres("sql_steps_feed_http_steps_on_postgres").await else {
        return;
    };
    scenario(&db, "$1", "SELECT pg_sleep(2)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_steps_feed_http_steps_on_mariadb() {
    let Some(db) = fresh_mysql("sql_steps_feed_http_steps_on_mariadb").await else {
        return;
    };
    scenario(&db, "?", "SELECT SLEEP(2)").await;
}
