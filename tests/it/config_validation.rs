//! `hypercare validate` and `run` on configs with mistakes.

use std::path::Path;
use std::process::Command;

use crate::helpers::{BIN, write_config};

const FIVE_MISTAKES: &str = r#"[server]
listen = "localhost:99999"

[sources.legacy]
url = "postgres://hc:hunter2-secret@127.0.0.1/legacy"

[[reconcile]]
name = "Patients"
schedule = "*/5 * * * *"
timeout = "10 parsecs"
source = { from = "legacy", sql = "SELECT 1" }
target = { from = "ehr", sql = "SELECT 1" }
"#;

fn run(args: &[&str], config: &Path) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("-c")
        .arg(config)
        .output()
        .expect("run hypercare");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn validate_reports_five_mistakes_with_their_lines_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), FIVE_MISTAKES);
    let (code, stderr) = run(&["validate"], &cfg);
    assert_eq!(code, Some(1), "{stderr}");
    let file = cfg.display().to_string();
    for (line, what) in [
        (2, "not an address"),
        (8, "check name"),
        (9, "seconds field"),
        (10, "not a duration"),
        (12, "unknown source `ehr`"),
    ] {
        let needle = format!("{file}:{line}:");
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&needle) && l.contains(what)),
            "expected `{needle} … {what}` in:\n{stderr}"
        );
    }
    assert!(stderr.contains("5 error(s)"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "a secret leaked into the output:\n{stderr}"
    );
}

#[test]
fn run_refuses_to_start_with_the_same_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), FIVE_MISTAKES);
    let (validate_code, validate_err) = run(&["validate"], &cfg);
    let (run_code, run_err) = run(&["run"], &cfg);
    assert_eq!((validate_code, run_code), (Some(1), Some(1)));
    let errors = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with(&cfg.display().to_string()))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(errors(&validate_err), errors(&run_err));
    assert_eq!(errors(&run_err).len(), 5);
}

#[test]
fn structural_mistakes_in_several_sections_are_all_reported() {
    let text = r#"[server]
listn = "127.0.0.1:1"

[sources.a]
url = "sqlite::memory:"
pool = 3

[[reconcile]]
name = "x"
schedule = "0 * * * * *"
source = { from = "a", sql = "SELECT 1" }
target = { from = "a", sql = "SELECT 1" }

[[reconcile]]
name = "x"
schedule = "0 * * * * *"
tolerance = "-3%"
source = { from = "a", sql = "SELECT 1" }
target = { from = "a", sql = "" }

[pager]
"#;
    let errs = hypercare::config::parse(text, Path::new("t.toml"), &|_| None)
        .unwrap_err()
        .0;
    let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 6, 15, 17, 19, 21], "{errs:#?}");
    assert!(errs[0].message.contains("unknown field `listn`"));
    assert!(errs[2].message.contains("used twice"));
    assert!(errs[5].message.contains("unknown section `pager`"));
}

#[test]
fn env_references_resolve_and_unset_ones_are_named_with_their_line() {
    let text = "[store]\nurl = \"sqlite://${DATA_DIR}/h.db\"\n\n[sources.a]\nurl_env = \"A_URL\"\n\n[sources.b]\nurl = \"${B_URL}\"\n";
    let env = |k: &str| match k {
        "DATA_DIR" => Some("/var/lib/hc".to_string()),
        "A_URL" => Some("postgres://u:pw@h/db".to_string()),
        _ => None,
    };
    let errs = hypercare::config::parse(text, Path::new("e.toml"), &env)
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].line, 8);
    assert!(errs[0].message.contains("`B_URL` is not set"));

    let env_all =
        |k: &str| env(k).or_else(|| (k == "B_URL").then(|| "mysql://r:pw2@h/db".to_string()));
    let cfg = hypercare::config::parse(text, Path::new("e.toml"), &env_all).unwrap();
    assert_eq!(cfg.store.url.expose(), "sqlite:///var/lib/hc/h.db");
    let debug = format!("{cfg:?}");
    assert!(
        !debug.contains("pw@") && !debug.contains("pw2"),
        "secrets in Debug output: {debug}"
    );
}

#[test]
fn url_file_reads_a_secret_file() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("db-url");
    std::fs::write(&secret, "sqlite::memory:\n").unwrap();
    let text = format!("[sources.a]\nurl_file = \"{}\"\n", secret.display());
    let cfg = hypercare::config::parse(&text, Path::new("f.toml"), &|_| None).unwrap();
    assert_eq!(
        cfg.sources.values().next().unwrap().url.expose(),
        "sqlite::memory:"
    );
}

/// SQL written into config is spliced into hypercare's queries (keyed
/// `where` and `expressions`) or run as it is (count sides, SQL steps,
/// inventories): each must stay one expression or one statement.
const SECOND_STATEMENTS: &str = r#"[sources.legacy]
url = "sqlite:///var/lib/legacy/legacy.db"

[sources.target]
url = "sqlite:///var/lib/ehr/ehr.db"

[[reconcile]]
name = "patients_keyed"
schedule = "0 */5 * * * *"
source = { from = "legacy", table = "patient_data", key = "pid", columns = ["pubpid"], where = "deleted = 0; DELETE FROM patient_data" }
target = { from = "target", table = "patient", key = "legacy_pid", columns = ["mrn"], expressions = { mrn = "mrn FROM patient -- " } }

[[reconcile]]
name = "patient_counts"
schedule = "0 */5 * * * *"
source = { from = "legacy", sql = "SELECT COUNT(*) FROM patient_data; UPDATE patient_data SET deleted = 1" }
target = { from = "target", sql = "SELECT COUNT(*) FROM patient;" }
"#;

#[test]
fn config_sql_is_one_expression_or_one_statement() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), SECOND_STATEMENTS);
    let (code, stderr) = run(&["validate"], &cfg);
    assert_eq!(code, Some(1), "{stderr}");
    let file = cfg.display().to_string();
    for (line, what) in [
        (10, "where: `;` is not allowed"),
        (11, "expressions: `mrn`: SQL comments"),
        (16, "one statement only"),
    ] {
        let needle = format!("{file}:{line}:");
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&needle) && l.contains(what)),
            "expected `{needle} … {what}` in:\n{stderr}"
        );
    }
    assert!(stderr.contains("3 error(s)"), "{stderr}");
}
