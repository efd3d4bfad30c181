//! The daemon with two waves and three clinics, where east (wave2) lost
//! 3 % of its records and south, in the same wave, nothing: a real
//! `hypercare run` process, its real `/metrics`, and a digest received by
//! a real SMTP server (aiosmtpd).

use std::process::Command;
use std::time::Duration;

use crate::alerts::{Smtp, have_aiosmtpd, port};
use crate::digests::parse;
use crate::helpers::{BIN, Daemon, exec, sample, wait_for, write_config};

/// Per clinic: (legacy facility id, site code, records, records lost).
const CLINICS: [(&str, i32, &str, i32, i32); 4] = [
    ("north", 1, "N01", 300, 0),
    ("south", 2, "S02", 300, 0),
    ("east", 3, "E03", 300, 9),
    // Rows of no clinic: two lost, which no clinic owns.
    ("_unassigned", 0, "X99", 60, 2),
];

async fn tables(url: &str) {
    let mut legacy = Vec::new();
    let mut target = Vec::new();
    let mut id = 0;
    for (_, facility, site, rows, lost) in CLINICS {
        for i in 0..rows {
            id += 1;
            legacy.push(format!("({id}, 'Patient {id}', {facility})"));
            if i >= lost {
                target.push(format!("({id}, 'Patient {id}', '{site}')"));
            }
        }
    }
    exec(
        url,
        &format!(
            "CREATE TABLE patient_data (pid INTEGER PRIMARY KEY, name TEXT, facility_id INTEGER);
             INSERT INTO patient_data VALUES {};
             CREATE TABLE patient (id INTEGER PRIMARY KEY, name TEXT, site TEXT);
             INSERT INTO patient VALUES {}",
            legacy.join(","),
            target.join(",")
        ),
    )
    .await;
}

fn config(listen: u16, store: &str, source: &str, smtp: u16) -> String {
    let go_live = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    format!(
        r#"[server]
listen = "127.0.0.1:{listen}"
[store]
url = "{store}"
[sources.s]
url = "{source}"

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

[[reconcile]]
name = "patients"
schedule = "* * * * * *"
source = {{ from = "s", table = "patient_data", key = "pid", columns = ["name"], clinic = "facility_id" }}
target = {{ from = "s", table = "patient", key = "id", columns = ["name"], clinic = "site" }}

[alerting]
evaluation_interval = "1s"
default_rules = false
[stabilization]
contingency_owner = "Dana Reyes"
escalation = ["on-call lead", "CMIO"]
evaluation_interval = "1s"
[[stabilization.waves]]
name = "wave1"
go_live = "{go_live}"
clinics = ["north"]
[[stabilization.waves]]
name = "wave2"
go_live = "{go_live}"
clinics = ["south", "east"]
[[stabilization.rollback]]
name = "patients_missing"
kind = "missing_records"
above = 0.01
[[digests]]
name = "morning"
schedule = "0 0 0 1 1 *"
recipients = ["leads@example.org"]
[smtp]
host = "127.0.0.1"
port = {smtp}
tls = "none"
from = "hypercare <hypercare@example.org>"
timeout = "3s"
[outbox]
poll_interval = "200ms"
"#
    )
}

/// A clinic's section of the digest's text part.
fn section<'t>(text: &'t str, clinic: &str) -> &'t str {
    text.split("\n== ")
        .find(|s| s.starts_with(clinic))
        .unwrap_or_else(|| panic!("no section {clinic} in:\n{text}"))
}

#[tokio::test]
async fn only_the_clinic_that_lost_records_breaches_its_rollback_trigger() {
    if !have_aiosmtpd("clinic digest over SMTP") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port(), &dir.path().join("maildir")).await;
    let source = format!("sqlite://{}/src.db", dir.path().display());
    tables(&source).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let listen = port();
    let path = write_config(dir.path(), &config(listen, &store, &source, smtp.port));
    let d = Daemon::start(&path, listen).await;
    let trigger = |clinic: &str| {
        format!(r#"hypercare_rollback_trigger{{clinic="{clinic}",trigger="patients_missing"}}"#)
    };
    wait_for(Duration::from_secs(30), || async {
        sample(&d.metrics().await, &trigger("east")) == Some(1.0)
    })
    .await
    .expect("east's rollback trigger is breached");
    let m = d.metrics().await;
    for clinic in ["north", "south"] {
        assert_eq!(sample(&m, &trigger(clinic)), Some(0.0), "{clinic}");
    }
    let missing = |clinic: &str| {
        let series = format!(
            r#"hypercare_reconcile_clinic_discrepancy_records{{check="patients",clinic="{clinic}",type="missing"}}"#
        );
        sample(&m, &series)
    };
    let per_clinic: Vec<Option<f64>> = ["north", "south", "east", "_unassigned"]
        .into_iter()
        .map(missing)
        .collect();
    assert_eq!(
        per_clinic,
        [Some(0.0), Some(0.0), Some(9.0), Some(2.0)],
        "{m}"
    );

    let out = Command::new(BIN)
        .args(["digest", "send", "morning", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = ["new", "cur"]
        .iter()
        .flat_map(|s| {
            std::fs::read_dir(smtp.maildir.join(s))
                .into_iter()
                .flatten()
        })
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "one message");
    let mail = parse(&files[0]);
    let text = mail["text"].as_str().unwrap();
    let html = mail["html"].as_str().unwrap();
    for quiet in ["North Clinic", "South Clinic"] {
        let s = section(text, quiet);
        assert!(!s.contains("ROLLBACK"), "{s}");
        assert!(s.contains("Rollback triggers: none breached."), "{s}");
        assert!(
            s.contains("Reconciliation: 0 records differ between legacy and target"),
            "{s}"
        );
    }
    let east = section(text, "East Family Practice");
    assert!(east.contains("ROLLBACK DECISION NEEDED"), "{east}");
    assert!(
        east.contains("9 of 300 source records missing in the target (3.0 %)"),
        "{east}"
    );
    // The two rows of no clinic: once, for all clinics, in both parts.
    let all = section(text, "All clinics");
    assert!(
        all.contains("Findings no clinic owns: 2 records differ (patients)"),
        "{all}"
    );
    assert_eq!(
        html.matches("Rollback decision needed</div>").count(),
        1,
        "{html}"
    );
    assert_eq!(html.matches("No clinic owns").count(), 1, "{html}");
    drop(d);
}
