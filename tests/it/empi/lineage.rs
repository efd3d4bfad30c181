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
        "address = \"street\" }\nlineage = \"legacy_pid\"\n",
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
