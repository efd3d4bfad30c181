//! The demo's `[stabilization]` (two go-live waves relative to today),
//! its morning digest and the mail folder it goes to.

use std::path::Path;

pub fn config_text(dir: &Path) -> String {
    let d = dir.display();
    let today = chrono::Utc::now().date_naive();
    let wave1 = today - chrono::Duration::days(9);
    let wave2 = today - chrono::Duration::days(2);
    format!(
        r#"
# Stabilization: north and south went live nine days ago, the rest two
# days ago. Each clinic's exit criteria and rollback triggers are judged
# from the checks that watch its wave; the scorecard is on the status page.
[stabilization]
contingency_owner = "Dana Reyes, migration lead (+1 555 0100)"
escalation = ["on-call informatics lead", "CMIO", "CIO"]
evaluation_interval = "30s"

[[stabilization.waves]]
name = "wave1"
go_live = "{wave1}"
clinics = ["north", "south"]
checks = ["patients_keyed", "demo_documents", "open_chart", "appointments_north"]

[[stabilization.waves]]
name = "wave2"
go_live = "{wave2}"
clinics = ["east", "west", "pediatrics"]
checks = ["patients_keyed", "demo_documents", "appointments_east", "latest_document"]

[[stabilization.criteria]]
name = "no_drift"
kind = "no_drift"
days = 3

[[stabilization.criteria]]
name = "documents_accessible"
kind = "document_accessibility"
at_least = 0.999

[[stabilization.criteria]]
name = "workflow_speed"
kind = "workflow_p95"
max_ratio = 1.2

[[stabilization.criteria]]
name = "no_open_blockers"
kind = "no_open_blockers"

[[stabilization.criteria]]
name = "no_page_alerts"
kind = "no_page_alerts"

[[stabilization.rollback]]
name = "patients_missing"
kind = "missing_records"
above = 0.01
within = "14d"

[[stabilization.rollback]]
name = "documents_down"
kind = "document_accessibility"
below = 0.95
within = "14d"

[[stabilization.rollback]]
name = "workflow_down"
kind = "workflow_failing"
for = "30m"
within = "14d"

# The clinic leads' digest, every quarter hour in the demo. With no [smtp]
# relay, each message is written to {d}/mail as an .eml file.
[[digests]]
name = "morning"
schedule = "0 */15 * * * *"
recipients = ["clinic-leads@example.org", "cmio@example.org"]
subject = "Hypercare digest"
send_window = "5m"

[outbox]
mail_dir = "{d}/mail"
"#
    )
}

/// Seeds the days between each wave's go-live and today (days the demo did
/// not run) with a plausible, improving history, so the 14-day charts have
/// something to show. Marked as seeded in each row's detail; days with real
/// rows are left alone.
pub async fn seed_history(config: &crate::config::Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let store = crate::store::Store::open(&config.store)
        .await
        .context("cannot open the demo store")?;
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(14);
    let existing: std::collections::BTreeSet<(String, String)> = store
        .days_since(&from.to_string())
        .await?
        .into_iter()
        .map(|r| (r.clinic, r.day))
        .collect();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let criteria = &config.stabilization.criteria;
    let mut rows = Vec::new();
    for (w, wave) in config.stabilization.waves.iter().enumerate() {
        for (c, clinic) in wave.clinics.iter().enumerate() {
            let mut day = wave.go_live.max(from);
            while day < today {
                let i = (day - wave.go_live).num_days() as usize;
                if !existing.contains(&(clinic.to_string(), day.to_string())) {
                    for (k, cr) in criteria.iter().enumerate() {
                        // Criterion k settles on day k + 1 (later in later waves), with
                        // an occasional relapse.
                        let met = i > k + w && !(k == 1 && (i + c) % 4 == 2);
                        rows.push(crate::store::DayRow {
                            clinic: clinic.to_string(),
                            day: day.to_string(),
                            criterion: cr.name.to_string(),
                            wave: wave.name.to_string(),
                            state: if met { "met" } else { "not_met" }.to_string(),
                            value: None,
                            detail: "demo history (seeded)".to_string(),
                            updated_ms: now_ms,
                        });
                    }
                }
                day += chrono::Duration::days(1);
            }
        }
    }
    let mut overall: std::collections::BTreeMap<(String, String), bool> = Default::default();
    for r in &rows {
        let e = overall
            .entry((r.day.clone(), r.criterion.clone()))
            .or_insert(true);
        *e &= r.state == "met";
    }
    for ((day, criterion), met) in overall {
        rows.push(crate::store::DayRow {
            clinic: crate::derive::scorecard::ALL.to_string(),
            day,
            criterion,
            wave: String::new(),
            state: if met { "met" } else { "not_met" }.to_string(),
            value: None,
            detail: "demo history (seeded)".to_string(),
            updated_ms: now_ms,
        });
    }
    let result = store.save_days(&rows).await;
    store.close().await;
    Ok(result?)
}
