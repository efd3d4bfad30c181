//! The demo's billing system: its own SQLite file of claims, made from the
//! target EHR's encounters, so the `visits_billed` handoff has something to
//! follow. What goes wrong on purpose:
//! - east's claims stopped during June 2026: those visits never got a claim
//!   (stuck once their 48 h passed);
//! - one claim was sent twice (duplicated);
//! - about one claim in twenty came after the 48 h deadline (late).
//!
//! Visits dated after today have no claim yet (pending).

use std::path::Path;

use anyhow::Context;

use super::db::{Db, V};

const SCHEMA: &str = "CREATE TABLE claims (id INTEGER PRIMARY KEY, encounter_ref TEXT NOT NULL, created_at TEXT NOT NULL);";

/// Writes `billing.db` beside `target.db` unless it is there already.
pub async fn prepare(dir: &Path, seed: u64) -> anyhow::Result<()> {
    let path = dir.join("billing.db");
    if path.exists() {
        return Ok(());
    }
    let visits = super::db::target_visits(dir).await?;
    let today = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut claims = Vec::new();
    for (id, at, clinic) in visits {
        if at > today || (clinic == "east" && at.starts_with("2026-06")) {
            continue;
        }
        // Most claims within a working day or two; one in twenty late.
        let hours = if rng.u8(0..20) == 0 {
            rng.i64(49..120)
        } else {
            rng.i64(1..40)
        };
        let created = claim_time(&at, hours)?;
        // The hundredth claim is sent twice.
        let copies = if claims.len() == 99 { 2 } else { 1 };
        for _ in 0..copies {
            let claim_id = i64::try_from(claims.len())? + 1;
            claims.push(vec![
                V::I(claim_id),
                V::T(id.to_string()),
                V::T(created.clone()),
            ]);
        }
    }
    let mut db = Db::create(&path, SCHEMA).await?;
    db.insert("claims", "id,encounter_ref,created_at", claims)
        .await?;
    db.commit().await
}

/// `at` plus `hours`, written as the EHR writes times.
fn claim_time(at: &str, hours: i64) -> anyhow::Result<String> {
    let t = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S")
        .with_context(|| format!("an encounter time is not a date and time: {at}"))?;
    Ok((t + chrono::Duration::hours(hours))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string())
}

/// The billing source and the handoff that follows visits into it.
pub fn config_text(dir: &Path) -> String {
    format!(
        r#"
[sources.billing]
url = "sqlite://{dir}/billing.db"

[[handoffs]]
name = "visits_billed"
description = "Every closed visit becomes a claim in billing within 48 h"
schedule = "*/10 * * * * *"
within = "48h"
look_back = "3650d"
tolerance = "1%"
events_called = "visits"
arrival_called = "claim"
from = {{ from = "target", sql = "SELECT id AS key, period_start AS at, clinic_id AS clinic FROM encounter" }}
to = {{ from = "billing", sql = "SELECT encounter_ref AS key, created_at AS at FROM claims" }}
"#,
        dir = dir.display()
    )
}
