//! A keyed diff attributed to clinics: PostgreSQL source with integer
//! facility ids, MariaDB target with text site codes, three clinics and
//! rows of no clinic, planted missing, extra, changed and moved records.

use std::path::Path;

use serde_json::{Value, json};

use super::run_checks;
use crate::helpers::{exec, fresh_mysql, fresh_postgres};

const ROWS: i32 = 4000;

const CLINICS: &str = r#"
[[clinics]]
id = "north"
name = "North Clinic"
codes = ["1", "N01"]

[[clinics]]
id = "south"
name = "South Clinic"
codes = ["2", "S02"]

[[clinics]]
id = "east"
name = "East Family Practice"
codes = ["3", "E03"]
"#;

/// The site code the target uses for a legacy facility id (0 is no clinic).
fn site(facility: i32) -> &'static str {
    ["X99", "N01", "S02", "E03"][facility as usize]
}

async fn tables(pg: &str, my: &str) {
    let values = |f: &dyn Fn(i32) -> String| (1..=ROWS).map(f).collect::<Vec<_>>().join(",");
    exec(
        pg,
        &format!(
            "CREATE TABLE patient (id integer PRIMARY KEY, name text, facility_id integer);
             INSERT INTO patient VALUES {}",
            values(&|i| format!("({i}, 'Name {i}', {})", i % 4))
        ),
    )
    .await;
    exec(
        my,
        &format!(
            "CREATE TABLE patient (id INT PRIMARY KEY, name VARCHAR(64), site VARCHAR(8));
             INSERT INTO patient VALUES {};
             DELETE FROM patient WHERE (id % 4 = 3 AND id <= 120) OR id = 4;
             INSERT INTO patient VALUES (4001, 'New 1', 'S02'), (4002, 'New 2', 'S02'),
               (4003, 'New 3', 'S02'), (4004, 'New 4', 'S02'), (4005, 'New 5', 'S02');
             UPDATE patient SET name = CONCAT(name, ' Jr') WHERE id % 4 = 1 AND id BETWEEN 1001 AND 1040;
             UPDATE patient SET site = 'E03' WHERE id = 2001",
            values(&|i| format!("({i}, 'Name {i}', '{}')", site(i % 4)))
        ),
    )
    .await;
}

fn config(pg: &str, my: &str) -> String {
    let check = |name: &str, factor: u32, clinic: bool| {
        let (s, t) = if clinic {
            (r#", clinic = "facility_id""#, r#", clinic = "site""#)
        } else {
            ("", "")
        };
        format!(
            r#"
[[reconcile]]
name = "{name}"
schedule = "0 * * * * *"
bisection_factor = {factor}
source = {{ from = "legacy", table = "patient", key = "id", columns = ["name"]{s} }}
target = {{ from = "ehr", table = "patient", key = "id", columns = ["name"]{t} }}
"#
        )
    };
    format!(
        "[sources.legacy]\nurl = \"{pg}\"\n[sources.ehr]\nurl = \"{my}\"\n{CLINICS}{}{}{}",
        check("by_checksum", 32, true),
        check("by_hash_stream", 2, true),
        check("unattributed", 32, false)
    )
}

#[tokio::test]
async fn each_clinic_gets_its_own_missing_extra_changed_and_moved_records() {
    let (Some(pg), Some(my)) = (
        fresh_postgres("clinic keyed").await,
        fresh_mysql("clinic keyed").await,
    ) else {
        return;
    };
    tables(&pg, &my).await;
    let runs = run_checks(&config(&pg, &my), Path::new("hc.toml")).await;
    let quarter = u64::try_from(ROWS / 4).unwrap();
    let expected = json!({
        "north": {"missing": 0, "extra": 0, "changed": 11, "source_rows": quarter, "target_rows": quarter - 1},
        "south": {"missing": 0, "extra": 5, "changed": 0, "source_rows": quarter, "target_rows": quarter + 5},
        "east": {"missing": 30, "extra": 0, "changed": 0, "source_rows": quarter, "target_rows": quarter - 30 + 1},
        "_unassigned": {"missing": 1, "extra": 0, "changed": 0, "source_rows": quarter, "target_rows": quarter - 1},
    });
    for (name, mode) in [
        ("by_checksum", "checksum"),
        // Most segments differ: their buckets are checksummed, only the
        // rows of differing buckets read.
        ("by_hash_stream", "buckets"),
    ] {
        let d = &runs[name]["details"];
        assert_eq!(d["mode"], mode, "{name}: {d}");
        assert_eq!(d["by_clinic"], expected, "{name}");
        assert_eq!(
            (
                d["missing"].as_u64(),
                d["extra"].as_u64(),
                d["changed"].as_u64()
            ),
            (Some(31), Some(5), Some(11))
        );
        assert_eq!(
            d["changed_columns"]["facility_id"], 1,
            "{name}: the move names the clinic column"
        );
        let sum = |f: &str| -> u64 {
            d["by_clinic"]
                .as_object()
                .unwrap()
                .values()
                .map(|s| s[f].as_u64().unwrap())
                .sum()
        };
        for f in ["missing", "extra", "changed", "source_rows", "target_rows"] {
            assert_eq!(Some(sum(f)), d[f].as_u64(), "{name}: {f} adds up");
        }
    }
    // Without `clinic`, the same figures but the move is not a change.
    let plain = &runs["unattributed"]["details"];
    assert_eq!(plain.get("by_clinic"), None::<&Value>);
    assert_eq!(
        (
            plain["missing"].as_u64(),
            plain["extra"].as_u64(),
            plain["changed"].as_u64()
        ),
        (Some(31), Some(5), Some(10))
    );
}
