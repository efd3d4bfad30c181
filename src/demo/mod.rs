//! `hypercare demo`: the whole product on generated data, no server needed.
//!
//! In a folder (reused on the next start) it generates a legacy EHR database
//! and a migrated target database as SQLite files, with known discrepancies,
//! writes the config it runs with beside them, and runs the daemon on it.

mod config_text;
mod generate;
mod integrity_data;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::{self, Config};

pub use generate::{DemoFacts, generate};

/// The seed the demo's data is generated from.
pub const SEED: u64 = 20261125;

/// Builds (or reuses) the demo folder and returns the loaded config.
pub async fn prepare(dir: &Path, listen: &str) -> anyhow::Result<Config> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    let (legacy, target) = (dir.join("legacy.db"), dir.join("target.db"));
    if !legacy.exists() || !target.exists() {
        eprintln!("generating demo data in {} …", dir.display());
        let facts = generate(&legacy, &target, SEED).await?;
        eprintln!(
            "  {} patients in {} clinics; {} encounters, {} appointments, {} documents",
            facts.patients, facts.clinics, facts.encounters, facts.appointments, facts.documents
        );
    }
    let config_path = dir.join("hypercare.toml");
    std::fs::write(&config_path, config_text::render(&dir, listen))
        .with_context(|| format!("cannot write {}", config_path.display()))?;
    config::load(&config_path).map_err(|e| anyhow::anyhow!("the demo config is invalid:\n{e}"))
}

/// Tells the newcomer where to look; `addr` is the address actually bound.
pub fn print_banner(cfg: &Config, addr: std::net::SocketAddr) {
    let base = format!("http://{addr}");
    let dir = cfg.path.parent().map(PathBuf::from).unwrap_or_default();
    println!("hypercare demo");
    println!("  status page  {base}/");
    println!("  metrics      {base}/metrics");
    println!("  health       {base}/healthz  {base}/readyz");
    println!("  config       {}", cfg.path.display());
    println!(
        "  data         {} (legacy.db, target.db, hypercare.db)",
        dir.display()
    );
    println!("Checks run every 10 seconds; some fail on purpose (clinic `east` lost patients and");
    println!("encounters in the migration; the integrity checks find duplicate patients, orphans,");
    println!("blank names, invalid NPIs, unmapped legacy codes and a stopped lab feed).");
    println!(
        "Try: hypercare check -c {} --json target_integrity",
        cfg.path.display()
    );
    println!("Press Ctrl-C to stop.");
}
