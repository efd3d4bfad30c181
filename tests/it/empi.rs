//! `probable_duplicates` through `hypercare check --json` on a registration
//! desk's patient table (see `empi/fixture.rs`) on real PostgreSQL, MariaDB
//! and SQLite: each planted duplicate kind is linked, each trap is not, and
//! nothing else is. The check runs once per engine; each kind and trap is
//! its own test reading that run.

mod fixture;
mod lineage;
mod review;

use std::collections::HashMap;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::helpers::{BIN, exec, fresh_mysql, fresh_postgres, write_config};
use fixture::{DUPLICATES, TRAPS};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Engine {
    Postgres,
    MariaDb,
    Sqlite,
}

const ENGINES: [Engine; 3] = [Engine::Postgres, Engine::MariaDb, Engine::Sqlite];

/// The default rule's result per engine (`None`: the server is not configured).
fn result(engine: Engine) -> Option<&'static Value> {
    rules(engine).map(|r| &r[0])
}

/// Both rules' results per engine: the default, then `vetoes = ["sex", "suffix"]`.
fn rules(engine: Engine) -> Option<&'static Value> {
    static RUNS: OnceLock<std::sync::Mutex<HashMap<Engine, Option<&'static Value>>>> =
        OnceLock::new();
    let runs = RUNS.get_or_init(Default::default);
    let mut runs = runs.lock().unwrap_or_else(|e| e.into_inner());
    *runs.entry(engine).or_insert_with(|| {
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(run(engine)).map(|v| &*Box::leak(Box::new(v)))
        })
        .join()
        .expect("fixture run")
    })
}

async fn run(engine: Engine) -> Option<Value> {
    let dir = tempfile::tempdir().unwrap();
    let url = match engine {
        Engine::Postgres => fresh_postgres("probable_duplicates").await?,
        Engine::MariaDb => fresh_mysql("probable_duplicates").await?,
        Engine::Sqlite => format!("sqlite://{}", dir.path().join("desk.db").display()),
    };
    // OpenEMR's column is `DOB`; on PostgreSQL it keeps that case only quoted.
    let schema = match engine {
        Engine::Postgres => fixture::SCHEMA.replace(" DOB ", " \"DOB\" "),
        Engine::MariaDb | Engine::Sqlite => fixture::SCHEMA.to_string(),
    };
    exec(&url, &schema).await;
    exec(&url, &fixture::rows()).await;
    let cfg = write_config(dir.path(), &fixture::config(&url));
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(&cfg)
        .output()
        .expect("run hypercare");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let rules = json[0]["details"]["rules"].clone();
    assert_eq!(rules[0]["kind"], "probable_duplicates", "{json:#}");
    assert_eq!(rules[1]["kind"], "probable_duplicates", "{json:#}");
    Some(rules)
}

fn clusters(rule: &Value) -> Vec<Vec<i64>> {
    let none = Vec::new();
    assert_ne!(rule["status"], "error", "{rule:#}");
    rule["sample_clusters"]
        .as_array()
        .unwrap_or(&none)
        .iter()
        .map(|c| {
            c["keys"]
                .as_array()
                .expect("keys")
                .iter()
                .map(|k| k.as_str().and_then(|k| k.parse().ok()).expect("key"))
                .collect()
        })
        .collect()
}

/// Asserts on every configured engine that `(a, b)` is, or is not, one cluster.
fn linked(what: &str, want: bool) {
    linked_by(0, what, want)
}

/// [`linked`] for rule `rule` of the check.
fn linked_by(rule_at: usize, what: &str, want: bool) {
    let kind = if want { "linked" } else { "apart" };
    let planted = DUPLICATES.iter().chain(TRAPS);
    let pairs: Vec<_> = planted.filter(|(w, ..)| *w == what).collect();
    assert!(!pairs.is_empty(), "nothing planted as `{what}`");
    for engine in ENGINES {
        let Some(rule) = rules(engine).map(|r| &r[rule_at]) else {
            continue;
        };
        let found = clusters(rule);
        for (_, a, b) in &pairs {
            let together = found.iter().any(|c| c.contains(a) && c.contains(b));
            assert_eq!(
                together, want,
                "{engine:?}: `{what}` ({a}, {b}) should be {kind}: {rule:#}"
            );
        }
    }
}

#[test]
fn typo_in_given_name_is_linked() {
    linked("typo in given name", true);
}

#[test]
fn typo_in_family_name_is_linked() {
    linked("typo in family name", true);
}

#[test]
fn nickname_is_linked() {
    linked("nickname", true);
}

#[test]
fn day_and_month_swapped_is_linked() {
    linked("day and month swapped", true);
}

#[test]
fn married_name_is_linked() {
    linked("married name", true);
}

#[test]
fn missing_phone_is_linked() {
    linked("missing phone", true);
}

#[test]
fn case_and_spacing_is_linked() {
    linked("case and spacing", true);
}

#[test]
fn twins_are_not_linked() {
    linked("twins of either sex", false);
    linked("twin sisters", false);
}

#[test]
fn jr_and_sr_are_not_linked() {
    linked("Jr and Sr at one address", false);
    linked("father and son, no suffix", false);
}

/// With only the sex and suffix vetoes, twins of one sex weigh in as one
/// person (same family, birth date, phone, address); the other traps stay
/// apart through the vetoes kept, and every duplicate is still found.
#[test]
fn vetoes_left_out_no_longer_hold() {
    linked_by(1, "twin sisters", true);
    linked_by(1, "twins of either sex", false);
    linked_by(1, "Jr and Sr at one address", false);
    linked_by(1, "common name, other date and address", false);
    for (what, ..) in DUPLICATES {
        linked_by(1, what, true);
    }
}

#[test]
fn common_names_are_not_linked() {
    linked("common name, other date and address", false);
}

/// Exactly the planted duplicates, nothing from the 600 background patients.
#[test]
fn nothing_else_is_linked_and_pairs_say_why() {
    let want: Vec<Vec<i64>> = DUPLICATES.iter().map(|(_, a, b)| vec![*a, *b]).collect();
    for engine in ENGINES {
        let Some(rule) = result(engine) else { continue };
        assert_eq!(clusters(rule), want, "{engine:?}: {rule:#}");
        assert_eq!(rule["status"], "fail");
        assert_eq!(rule["rows_checked"], 626);
        assert_eq!(rule["problems"], 7);
        assert_eq!(rule["records_involved"], 14);
        let pair = rule["sample_pairs"]
            .as_array()
            .and_then(|p| {
                p.iter()
                    .find(|p| p["keys"] == serde_json::json!(["1005", "1006"]))
            })
            .unwrap_or_else(|| panic!("{engine:?}: no explained nickname pair: {rule:#}"));
        let given = &pair["fields"][0];
        assert_eq!(
            (&given["field"], &given["level"]),
            (&"given".into(), &"nickname".into())
        );
        assert!(given["weight"].as_f64().unwrap() > 0.0, "{pair:#}");
        assert_eq!(pair["class"], "probable");
    }
}

/// A watched table may be called `p`, `q` or `y` (names the blocking
/// statement once used for its own CTEs): same clusters as the fixture's table.
#[test]
fn a_table_named_like_a_cte_is_still_read() {
    let fixture_rule = result(Engine::Sqlite).expect("SQLite always runs");
    let want = clusters(fixture_rule);
    for table in ["p", "q", "y"] {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("desk.db").display());
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            exec(
                &url,
                &fixture::SCHEMA.replace("reg_desk_patient_data", table),
            )
            .await;
            exec(
                &url,
                &fixture::rows().replace("reg_desk_patient_data", table),
            )
            .await;
        });
        let config = fixture::config(&url).replace("reg_desk_patient_data", table);
        let cfg = write_config(dir.path(), &config);
        let out = Command::new(BIN)
            .args(["check", "--json", "-c"])
            .arg(&cfg)
            .output()
            .expect("run hypercare");
        let json: Value = serde_json::from_slice(&out.stdout).expect("json");
        let rule = &json[0]["details"]["rules"][0];
        assert_eq!(rule["status"], fixture_rule["status"], "{table}: {rule:#}");
        assert_eq!(clusters(rule), want, "table {table}");
    }
}
