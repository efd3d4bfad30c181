//! Keyed diffs: PostgreSQL source, MariaDB target, every normalization rule.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::helpers::{BIN, exec, fresh_mysql, fresh_postgres, write_config};

const PG_TABLE: &str = "CREATE TABLE people (id integer PRIMARY KEY, name varchar(64), code char(8), born date,
  seen timestamp(6), seen_tz timestamptz, amount numeric(12,2), score double precision, active boolean,
  uid uuid, note text, email varchar(64))";
const MY_TABLE: &str = "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(64) COLLATE utf8mb4_general_ci,
  code CHAR(8), born DATE, seen DATETIME(6), seen_tz TIMESTAMP(6) NULL, amount DECIMAL(12,2), score DOUBLE,
  active TINYINT(1), uid CHAR(36), note TEXT CHARACTER SET latin1, email VARCHAR(64))";

/// One row as (pg values, mysql values), equal in meaning unless planted otherwise.
fn row(id: i32) -> (String, String) {
    let uid = format!("{:08x}-0000-4000-8000-{:012x}", id, id * 7);
    let pg = format!(
        "({id}, 'Name {id}', 'C{id}', '1980-01-{d:02}', '2024-05-01 10:00:{s:02}.{us:06}', '2024-05-01 12:00:00+02',
          {id}.25, {id}.5, {b}, '{uid}', 'note {id}', 'user{id}@example.org')",
        d = id % 28 + 1, s = id % 60, us = id * 1001, b = if id % 2 == 0 { "true" } else { "false" }
    );
    let my = format!(
        "({id}, 'Name {id}', 'C{id}', '1980-01-{d:02}', '2024-05-01 10:00:{s:02}.{us:06}', '2024-05-01 10:00:00',
          {id}.25, {id}.5, {b}, '{uid}', 'note {id}', 'user{id}@example.org')",
        d = id % 28 + 1, s = id % 60, us = id * 1001, b = i32::from(id % 2 == 0)
    );
    (pg, my)
}

fn config(pg: &str, my: &str, threshold: u32) -> String {
    format!(
        r#"[sources.legacy]
url = "{pg}"
[sources.ehr]
url = "{my}"

[[reconcile]]
name = "people"
schedule = "0 * * * * *"
bisection_factor = 4
bisection_threshold = {threshold}
source = {{ from = "legacy", table = "people", key = "id", columns = ["name", "code", "born", "seen", "seen_tz", "amount", "score", "active", "uid", "note", "email"] }}
target = {{ from = "ehr", table = "people", key = "id", columns = ["name", "code", "born", "seen", "seen_tz", "amount", "score", "active", "uid", "note", "email"] }}
compare = {{ email = "lower" }}

[[reconcile]]
name = "spread"
schedule = "0 * * * * *"
bisection_factor = 4
source = {{ from = "legacy", table = "spread", key = "id", columns = ["v"] }}
target = {{ from = "ehr", table = "spread", key = "id", columns = ["v"] }}

[[reconcile]]
name = "codes"
schedule = "0 * * * * *"
source = {{ from = "legacy", table = "codes", key = "code", columns = ["label"], where = "deleted = 0" }}
target = {{ from = "ehr", table = "codes", key = "code", columns = ["label"] }}
"#
    )
}

fn run_check(cfg: &std::path::Path) -> Vec<Value> {
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(cfg)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&out.stderr)));
    v.as_array().unwrap().clone()
}

fn changed(details: &Value) -> BTreeMap<String, Vec<String>> {
    details["changed_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let cols = c["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect();
            (c["key"].as_str().unwrap().to_string(), cols)
        })
        .collect()
}

#[tokio::test]
async fn keyed_diff_across_postgres_and_mariadb_reports_each_planted_difference_once() {
    let (Some(pg), Some(my)) = (
        fresh_postgres("keyed_pg_mariadb").await,
        fresh_mysql("keyed_pg_mariadb").await,
    ) else {
        return;
    };
    let (mut pg_rows, mut my_rows) = (vec![], vec![]);
    for id in 1..=200 {
        let (p, m) = row(id);
        pg_rows.push(p);
        my_rows.push(m);
    }
    let missing = row(201).0;
    exec(
        &pg,
        &format!(
            "{PG_TABLE}; INSERT INTO people VALUES {}, {missing}",
            pg_rows.join(",")
        ),
    )
    .await;
    exec(
        &my,
        &format!(
            "{MY_TABLE}; INSERT INTO people VALUES {}, {}",
            my_rows.join(","),
            row(202).1
        ),
    )
    .await;
    // Planted differences (each must be reported once, naming its column)…
    exec(
        &pg,
        "UPDATE people SET name = 'Ann' WHERE id = 10; UPDATE people SET note = NULL WHERE id = 11;
        UPDATE people SET name = 'Bob ' WHERE id = 21",
    )
    .await;
    exec(&my, "UPDATE people SET name = 'ANN' WHERE id = 10; UPDATE people SET note = '' WHERE id = 11;
        UPDATE people SET amount = 12.26 WHERE id = 12; UPDATE people SET seen = '2024-05-01 10:00:13.013014' WHERE id = 13;
        UPDATE people SET active = 1 WHERE id = 15; UPDATE people SET uid = '00000000-0000-4000-8000-000000000000' WHERE id = 16;
        UPDATE people SET name = 'Bob' WHERE id = 21").await;
    // …and equal meanings spelled differently (none may be reported).
    exec(&pg, "UPDATE people SET score = 1.0000001, code = 'AB' WHERE id = 17; UPDATE people SET email = 'X@Y.ORG', born = NULL WHERE id = 18").await;
    exec(
        &my,
        "SET SESSION sql_mode = ''; UPDATE people SET score = 1.0000002, code = 'AB' WHERE id = 17;
        UPDATE people SET email = 'x@y.org', born = '0000-00-00' WHERE id = 18;
        UPDATE people SET uid = UPPER(uid) WHERE id = 19",
    )
    .await;
    // A text key: byte order on both sides, despite MariaDB's case-insensitive collation.
    exec(&pg, "CREATE TABLE codes (code varchar(10) PRIMARY KEY, label text, deleted int NOT NULL DEFAULT 0);
        INSERT INTO codes (code, label) VALUES ('a', 'x'), ('B', 'y'), ('c', 'z'), ('D', 'w'), ('gone', 'q');
        UPDATE codes SET deleted = 1 WHERE code = 'gone'").await;
    exec(
        &my,
        "CREATE TABLE codes (code varchar(10) PRIMARY KEY, label text);
        INSERT INTO codes VALUES ('a', 'x'), ('B', 'y'), ('C', 'z'), ('D', 'W')",
    )
    .await;

    // Differences in most segments: the diff compares buckets instead of bisecting.
    let spread = |changed: &str| {
        (1..=40)
            .map(|i| format!("({i}, '{}')", if i % 2 == 0 { changed } else { "same" }))
            .collect::<Vec<_>>()
            .join(",")
    };
    exec(&pg, &format!("CREATE TABLE spread (id int PRIMARY KEY, v text); INSERT INTO spread VALUES {}, (41, 'only source')", spread("a"))).await;
    exec(&my, &format!("CREATE TABLE spread (id INT PRIMARY KEY, v TEXT); INSERT INTO spread VALUES {}, (0, 'only target')", spread("b"))).await;

    let dir = tempfile::tempdir().unwrap();
    // A tiny threshold forces bisection down to row fetches; a large one compares rows at once.
    for threshold in [8, 100_000] {
        let cfg = write_config(dir.path(), &config(&pg, &my, threshold));
        let runs = run_check(&cfg);
        let people = runs.iter().find(|r| r["name"] == "people").unwrap();
        let d = &people["details"];
        assert_eq!(people["status"], "fail", "{people:#}");
        assert_eq!(d["mode"], "checksum");
        assert_eq!(
            (
                d["missing"].as_u64(),
                d["extra"].as_u64(),
                d["changed"].as_u64()
            ),
            (Some(1), Some(1), Some(7)),
            "{d:#}"
        );
        assert_eq!(d["missing_keys"], serde_json::json!(["201"]));
        assert_eq!(d["extra_keys"], serde_json::json!(["202"]));
        let expected: BTreeMap<String, Vec<String>> = [
            ("10", "name"),
            ("11", "note"),
            ("12", "amount"),
            ("13", "seen"),
            ("15", "active"),
            ("16", "uid"),
            ("21", "name"),
        ]
        .iter()
        .map(|(k, c)| (k.to_string(), vec![c.to_string()]))
        .collect();
        assert_eq!(changed(d), expected, "threshold {threshold}: {d:#}");
        assert_eq!(
            (d["source_rows"].as_u64(), d["target_rows"].as_u64()),
            (Some(201), Some(201))
        );
        assert!(d["segments"].as_u64().unwrap() >= 4);

        let spread = &runs.iter().find(|r| r["name"] == "spread").unwrap()["details"];
        assert_eq!(spread["mode"], "buckets", "{spread:#}");
        assert_eq!(
            (
                spread["missing"].as_u64(),
                spread["extra"].as_u64(),
                spread["changed"].as_u64()
            ),
            (Some(1), Some(1), Some(20))
        );
        assert_eq!(spread["missing_keys"], serde_json::json!(["41"]));
        assert_eq!(spread["extra_keys"], serde_json::json!(["0"]));
        assert_eq!(spread["changed_columns"]["v"], 20);
        assert_eq!(
            (
                spread["source_rows"].as_u64(),
                spread["target_rows"].as_u64()
            ),
            (Some(41), Some(41))
        );

        let codes = runs.iter().find(|r| r["name"] == "codes").unwrap();
        let c = &codes["details"];
        assert_eq!(c["mode"], "stream");
        assert_eq!(c["missing_keys"], serde_json::json!(["c"]), "{c:#}");
        assert_eq!(c["extra_keys"], serde_json::json!(["C"]));
        assert_eq!(
            changed(c),
            BTreeMap::from([("D".to_string(), vec!["label".to_string()])])
        );
    }

    // Equal data reports zero differences, and equal meanings spelled
    // differently (17-19), accents in UTF-8 and latin1 columns hash equal:
    // with a threshold of 1, any segment whose checksums differed would be
    // bisected into more segments than the top-level 4.
    exec(&pg, "DELETE FROM people WHERE id > 9 AND id NOT IN (17, 18, 19); UPDATE people SET note = 'café', name = 'Zoë', uid = 'ABCDEF00-0000-4000-8000-0000000000AB' WHERE id = 7").await;
    exec(&my, "DELETE FROM people WHERE id > 9 AND id NOT IN (17, 18, 19); UPDATE people SET note = 'café', name = 'Zoë', uid = 'ABCDEF00-0000-4000-8000-0000000000AB' WHERE id = 7").await;
    let cfg = write_config(dir.path(), &config(&pg, &my, 1));
    let runs = run_check(&cfg);
    let people = runs.iter().find(|r| r["name"] == "people").unwrap();
    assert_eq!(people["status"], "pass", "{people:#}");
    assert_eq!(people["details"]["changed"], 0);
    assert_eq!(people["details"]["segments"], 4, "{people:#}");

    // Checksums alone must see a comma moved from one text to the next and
    // NULL against '' (rows are fetched only for segments whose sums differ).
    exec(&pg, "UPDATE people SET name = 'a,b', note = 'c' WHERE id = 5; UPDATE people SET note = NULL WHERE id = 6").await;
    exec(&my, "UPDATE people SET name = 'a', note = 'b,c' WHERE id = 5; UPDATE people SET note = '' WHERE id = 6").await;
    let people = run_check(&cfg)
        .into_iter()
        .find(|r| r["name"] == "people")
        .unwrap();
    assert_eq!(people["status"], "fail", "{people:#}");
    let expected = BTreeMap::from([
        (
            "5".to_string(),
            vec!["name".to_string(), "note".to_string()],
        ),
        ("6".to_string(), vec!["note".to_string()]),
    ]);
    assert_eq!(changed(&people["details"]), expected, "{people:#}");
}

#[tokio::test]
async fn duplicate_and_null_keys_are_findings_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        format!("sqlite://{}/a.db", dir.path().display()),
        format!("sqlite://{}/b.db", dir.path().display()),
    );
    exec(&a, "CREATE TABLE p (pid INTEGER, name TEXT); INSERT INTO p VALUES (1, 'x'), (2, 'y'), (2, 'y'), (NULL, 'z'), (3, 'w')").await;
    exec(&b, "CREATE TABLE patient (id INTEGER, name TEXT); INSERT INTO patient VALUES (1, 'x'), (2, 'y'), (3, 'w'), (4, NULL)").await;
    let cfg = write_config(
        dir.path(),
        &format!(
            "[sources.a]\nurl = \"{a}\"\n[sources.b]\nurl = \"{b}\"\n[[reconcile]]\nname = \"p\"\nschedule = \"0 * * * * *\"\n\
         source = {{ from = \"a\", table = \"p\", key = \"pid\", columns = [\"name\"] }}\n\
         target = {{ from = \"b\", table = \"patient\", key = \"id\", columns = [\"name\"] }}\n"
        ),
    );
    let run = run_check(&cfg).remove(0);
    let d = &run["details"];
    assert_eq!(run["status"], "fail");
    assert_eq!(d["mode"], "stream");
    assert_eq!(d["duplicate_keys"]["source"], 1);
    assert_eq!(d["duplicate_keys"]["keys"], serde_json::json!(["2"]));
    assert_eq!(d["null_keys"]["source"], 1);
    assert_eq!(
        (
            d["missing"].as_u64(),
            d["extra"].as_u64(),
            d["changed"].as_u64()
        ),
        (Some(0), Some(1), Some(0))
    );
    let summary = run["summary"].as_str().unwrap();
    assert!(
        summary.contains("duplicate keys: 1 in source")
            && summary.contains("NULL keys: 1 in source"),
        "{summary}"
    );
    assert!(
        !summary.contains('y') || !summary.contains("'y'"),
        "no values in the summary"
    );
}
