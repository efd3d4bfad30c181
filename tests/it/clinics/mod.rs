//! Every figure per clinic: codes in `[[clinics]]`, findings attributed to
//! the clinic whose code the data carries, judged per clinic.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use hypercare::checks::{build_all, run_once};
use hypercare::config::parse;
use hypercare::sources::Sources;

mod config;
mod daemon;
mod fhir;
mod integrity;
mod keyed;

/// Runs every check of a config once, in this process (as `hypercare
/// check --json` does), by name.
pub async fn run_checks(text: &str, path: &Path) -> BTreeMap<String, Value> {
    let config = parse(text, path, &|_| None).unwrap_or_else(|e| panic!("{e}"));
    let sources = Sources::from_config(&config).expect("sources");
    let checks = build_all(&config, &sources);
    let reports = run_once(&checks).await;
    sources.close().await;
    reports
        .into_iter()
        .map(|r| (r.name.clone(), serde_json::to_value(&r).unwrap()))
        .collect()
}
