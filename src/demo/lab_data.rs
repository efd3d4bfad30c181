//! The demo's lab system: its own SQLite file of the orders it received from
//! the target EHR (one visit in four orders labs) and the results it sent
//! back, so the `labs_resulted` handoff has something to follow. What goes
//! wrong on purpose:
//! - every 600th order never got a result (stuck once its 24 h passed);
//! - about one result in twenty-five came after the 24 h deadline (late).
//!
//! A result due after the moment the file is written is not there yet, nor
//! are those of a dozen orders placed over the last hours (pending while
//! their deadline runs).

use std::path::Path;

use anyhow::Context;

use super::db::{Db, V};

const SCHEMA: &str = "CREATE TABLE lab_order (id INTEGER PRIMARY KEY, encounter_ref TEXT NOT NULL, clinic TEXT NOT NULL, ordered_at TEXT NOT NULL);
CREATE TABLE lab_result (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, resulted_at TEXT NOT NULL);";

const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Writes `lab.db` beside `target.db` unless it is there already.
pub async fn prepare(dir: &Path, seed: u64) -> anyhow::Result<()> {
    let path = dir.join("lab.db");
    if path.exists() {
        return Ok(());
    }
    let visits = super::db::target_visits(dir).await?;
    let now = chrono::Utc::now().naive_utc();
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x1ab);
    let (mut orders, mut results) = (Vec::new(), Vec::new());
    for (id, at, clinic) in visits {
        let ordered = chrono::NaiveDateTime::parse_from_str(&at, FORMAT)
            .with_context(|| format!("an encounter time is not a date and time: {at}"))?;
        if ordered > now || rng.u8(0..4) != 0 {
            continue;
        }
        let order_id = i64::try_from(orders.len())? + 1;
        orders.push(vec![
            V::I(order_id),
            V::T(id.to_string()),
            V::T(clinic),
            V::T(at),
        ]);
        if order_id % 600 == 0 {
            continue;
        }
        // Most within a few hours (a send-out test the next day); one in 25 late.
        let minutes = if rng.u8(0..25) == 0 {
            rng.i64(25 * 60..96 * 60)
        } else {
            rng.i64(20..20 * 60)
        };
        let resulted = ordered + chrono::Duration::minutes(minutes);
        if resulted <= now {
            let result_id = i64::try_from(results.len())? + 1;
            let at = resulted.format(FORMAT).to_string();
            results.push(vec![V::I(result_id), V::I(order_id), V::T(at)]);
        }
    }
    todays_orders(&mut orders, now)?;
    let mut db = Db::create(&path, SCHEMA).await?;
    db.insert("lab_order", "id,encounter_ref,clinic,ordered_at", orders)
        .await?;
    db.insert("lab_result", "id,order_id,resulted_at", results)
        .await?;
    db.commit().await
}

/// Twelve orders placed over the last 19 hours, their results not back yet
/// (pending), taking after the last orders of the history.
fn todays_orders(orders: &mut Vec<Vec<V>>, now: chrono::NaiveDateTime) -> anyhow::Result<()> {
    let recent: Vec<(String, String)> = orders
        .iter()
        .rev()
        .take(12)
        .filter_map(|o| match (&o[1], &o[2]) {
            (V::T(visit), V::T(clinic)) => Some((visit.clone(), clinic.clone())),
            _ => None,
        })
        .collect();
    for (k, (visit, clinic)) in (1..).zip(recent) {
        let at = now - chrono::Duration::minutes(95 * k);
        let id = i64::try_from(orders.len())? + 1;
        let at = at.format(FORMAT).to_string();
        orders.push(vec![V::I(id), V::T(visit), V::T(clinic), V::T(at)]);
    }
    Ok(())
}

/// The lab source and the handoff that follows orders to their results.
pub fn config_text(dir: &Path) -> String {
    format!(
        r#"
[sources.lab]
url = "sqlite://{dir}/lab.db"

[[handoffs]]
name = "labs_resulted"
description = "Every lab order gets its result within 24 h"
schedule = "*/10 * * * * *"
within = "24h"
look_back = "3650d"
tolerance = 10
from = {{ from = "lab", sql = "SELECT id AS key, ordered_at AS at, clinic AS clinic FROM lab_order" }}
to = {{ from = "lab", sql = "SELECT order_id AS key, resulted_at AS at FROM lab_result" }}
"#,
        dir = dir.display()
    )
}
