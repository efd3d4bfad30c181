//! Probable pairs counted by how they came about, from a `lineage` column
//! (the legacy record each row was migrated from), on the registration
//! desk fixture on SQLite and PostgreSQL: background rows and most planted
//! ones migrated one to one, one legacy record loaded twice twice over,
//! and two duplicates registered since go-live (no legacy record).

use std::process::Command;

use serde_json::{Value, json};

use super::fixture;
use crate::helpers::{BIN, exec, fresh_postgres, write_config};

/// Lineage as a migration would leave it, after the fixture's rows are in.
const LINEAGE: &str = "ALTER TABLE reg_desk_patient_data ADD COLUMN legacy_pid INT;
UPDATE reg_desk_patient_data SET legacy_pid = pid;
UPDATE reg_desk_patient_data SET legacy_pid = 1001 WHERE pid = 1002;
UPDATE reg_desk_patient_data SET legacy_pid = 1013 WHERE pid = 1014;
UPDATE reg_desk_patient_data SET legacy_pid = NULL WHERE pid IN (1010, 1012);";

async fn classes(url: &str, dir: &std::path::Path) -> Value {
    classes_with(url, dir, "").await
}

/// The first rule's `migration_classes`, with `extra` keys added to it.
async fn classes_with(url: &str, dir: &std::path::Path, extra: &str) -> Value {
    let schema = if url.starts_with("postgres") {
        fixture::SCHEMA.replace(" DOB ", " \"DOB\" ")
    } else {
        fixture::SCHEMA.to_string()
    };
    exec(url, &schema).await;
    exec(url, &fixture::rows()).await;
    exec(url, LINEAGE).await;
    // The first rule (default vetoes) gets the lineage column; the second not.
    let cfg = fixture::config(url).replacen(
        "address = \"street\" }\n",
        &format!("address = \"street\" }}\nlineage = \"legacy_pid\"\n{extra}"),
        1,
    );
    assert!(cfg.contains("lineage"), "{cfg}");
    let cfg = write_config(dir, &cfg);
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(&cfg)
        .output()
        .expect("run hypercare");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let rules = &json[0]["details"]["rules"];
    assert_eq!(rules[1].get("migration_classes"), None, "{rules:#}");
    rules[0]["migration_classes"].clone()
}

#[tokio::test]
async fn probable_pairs_are_counted_by_origin() {
    let want = json!({"created_by_migration": 2, "pre_existing": 3, "since_go_live": 2});
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("target.db").display());
    assert_eq!(classes(&sqlite, dir.path()).await, want);
    if let Some(pg) = fresh_postgres("empi_lineage").await {
        let pg_dir = tempfile::tempdir().unwrap();
        assert_eq!(classes(&pg, pg_dir.path()).await, want);
    }
}

/// The legacy system's copy of the patients, as the migration read them:
/// the fixture's rows, then four records changed since (two overlays and
/// two slips that are not).
const LEGACY_CHANGES: &str = "
UPDATE legacy_patient_data SET DOB = '1990-06-15', sex = 'Female' WHERE pid = 1003;
UPDATE legacy_patient_data SET fname = 'Susan', DOB = '1961-09-09' WHERE pid = 1105;
UPDATE legacy_patient_data SET DOB = '1970-01-01' WHERE pid = 1107;
UPDATE legacy_patient_data SET sex = 'Female' WHERE pid = 1109;
UPDATE legacy_patient_data SET fname = 'Bob' WHERE pid = 1005;
UPDATE legacy_patient_data SET DOB = '1975-09-04' WHERE pid = 1007;";

async fn legacy_db(url: &str) {
    let pg = url.starts_with("postgres");
    let legacy = |s: &str| {
        let s = s.replace("reg_desk_patient_data", "legacy_patient_data");
        if pg { s.replace("DOB", "\"DOB\"") } else { s }
    };
    exec(url, &legacy(fixture::SCHEMA)).await;
    exec(url, &legacy(&fixture::rows())).await;
    exec(url, &legacy(LEGACY_CHANGES)).await;
}

/// Two migrated records whose identity disagrees with their legacy record
/// (another birth date and sex; another given name and birth date) are
/// overlays; one disagreement alone, a nickname or a day/month swap is not.
#[tokio::test]
async fn overlays_are_counted_apart_and_fail_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("target.db").display());
    let old = format!("sqlite://{}", dir.path().join("legacy.db").display());
    legacy_db(&old).await;
    let mut runs = vec![(sqlite, old, dir)];
    if let (Some(pg), Some(pg_old)) = (
        fresh_postgres("empi_overlay_target").await,
        fresh_postgres("empi_overlay_legacy").await,
    ) {
        legacy_db(&pg_old).await;
        runs.push((pg, pg_old, tempfile::tempdir().unwrap()));
    }
    for (target, old, dir) in runs {
        let extra = format!(
            "legacy = {{ from = \"legacy\", table = \"legacy_patient_data\", key = \"pid\", \
             person = {{ given = \"fname\", family = \"lname\", birth_date = \"DOB\", sex = \"sex\" }} }}\n\
             [sources.legacy]\nurl = \"{old}\"\n"
        );
        let got = classes_with(&target, dir.path(), &extra).await;
        assert_eq!(
            got,
            json!({"created_by_migration": 2, "pre_existing": 3, "since_go_live": 2,
                   "overlays": 2, "sample_overlays": ["1003", "1105"]}),
            "{target}"
        );
    }
}
