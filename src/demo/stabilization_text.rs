//! The demo's `[stabilization]` (two go-live waves relative to today),
//! its morning digest and the mail folder it goes to.

use std::path::Path;

pub fn config_text(dir: &Path) -> String {
    let d = dir.display();
    let today = chrono::Utc::now().date_naive();
    let wave1 = today - chrono::Duration::days(9);
    let wave2 = today - chrono::Duration::days(2);
    super::template::fill(
        include_str!("templates/stabilization.toml"),
        &[
            ("d", d.to_string()),
            ("wave1", wave1.to_string()),
            ("wave2", wave2.to_string()),
        ],
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
