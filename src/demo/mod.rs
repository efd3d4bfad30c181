//! `hypercare demo`: the whole product on generated data, no server needed.
//!
//! In a folder (reused on the next start) it generates a legacy EHR database
//! and a migrated target database as SQLite files, with known discrepancies,
//! writes the config it runs with beside them, and runs the daemon on it.

mod billing_data;
mod config_text;
mod db;
pub mod documents_data;
pub mod ehr;
mod facts;
mod feedback_seed;
mod generate;
mod integrity_data;
mod known_seed;
mod lab_data;
mod lab_interface;
mod patients;
pub mod stabilization_text;
mod template;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::{self, Config};

pub use facts::DemoFacts;
pub use generate::generate;

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
    write_admin_password(&dir.join(ADMIN_PASSWORD_FILE))?;
    documents_data::prepare(&dir).await?;
    // Both read target.db and write their own file: side by side, the
    // second costs little of the start time.
    tokio::try_join!(
        billing_data::prepare(&dir, SEED),
        lab_data::prepare(&dir, SEED)
    )?;
    let documents_base = documents_data::serve(&dir).await?;
    let config_path = dir.join("hypercare.toml");
    let ehr = ehr::start()
        .await
        .context("cannot start the demo's simulated EHR API")?;
    let lab = lab_interface::start()
        .await
        .context("cannot start the demo lab system's MLLP listener")?;
    let text = config_text::render(&dir, listen)
        + &ehr::config_text(ehr)
        + &documents_data::config_text(&dir, &documents_base)
        + &billing_data::config_text(&dir)
        + &lab_data::config_text(&dir)
        + &lab_interface::config_text(lab)
        + &stabilization_text::config_text(&dir);
    std::fs::write(&config_path, text)
        .with_context(|| format!("cannot write {}", config_path.display()))?;
    let config = config::load(&config_path)
        .map_err(|e| anyhow::anyhow!("the demo config is invalid:\n{e}"))?;
    feedback_seed::seed(&config).await?;
    known_seed::seed(&config).await?;
    stabilization_text::seed_history(&config).await?;
    Ok(config)
}

/// The demo admin's password file, beside the config.
const ADMIN_PASSWORD_FILE: &str = "admin-password";

/// Generates the demo admin password once (kept across demo starts), readable by its owner only.
fn write_admin_password(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let password: String = crate::web::csrf::random_id();
    std::fs::write(path, format!("{password}\n"))
        .with_context(|| format!("cannot write {}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict {}", path.display()))?;
    Ok(())
}

fn dir_of(cfg: &Config) -> PathBuf {
    cfg.path.parent().map(PathBuf::from).unwrap_or_default()
}

/// Tells the newcomer where to look; `addr` is the address actually bound.
pub fn print_banner(cfg: &Config, addr: std::net::SocketAddr) {
    let base = format!("http://{addr}");
    let dir = cfg.path.parent().map(PathBuf::from).unwrap_or_default();
    println!("hypercare demo");
    println!("  status page  {base}/");
    println!("  metrics      {base}/metrics");
    println!("  health       {base}/healthz  {base}/readyz");
    println!("  feedback     {base}/feedback?clinic=east   (the staff form)");
    let password =
        std::fs::read_to_string(dir_of(cfg).join(ADMIN_PASSWORD_FILE)).unwrap_or_default();
    println!(
        "  triage       {base}/admin/feedback   (user admin, password {})",
        password.trim()
    );
    println!("  API          {base}/api/v1/feedback   (same credentials; {base}/api/openapi.json)");
    if let Some(ehr) = cfg
        .fhir_sources
        .values()
        .find(|s| s.name.as_str() == "ehr_api")
    {
        println!(
            "  demo EHR     {}   (the demo's own simulated EHR API, probed by [[workflows]])",
            ehr.base
        );
    }
    println!("  alerts       {base}/admin/alerts   (same credentials; {base}/api/v1/alerts)");
    println!("  config       {}", cfg.path.display());
    println!(
        "  data         {} (legacy.db, target.db, billing.db, lab.db, hypercare.db)",
        dir.display()
    );
    println!("Checks run every 10 seconds; some fail on purpose (clinic `east` lost patients and");
    println!("encounters in the migration; the integrity checks find duplicate patients, orphans,");
    println!("blank names, invalid NPIs, unmapped legacy codes and a stopped lab feed).");
    println!("The documents check finds missing, truncated, mistyped, altered and unreadable");
    println!("documents, one without a date and two linked to patients the target lacks.");
    println!(
        "Workflow probes time the simulated EHR per step: clinic `{}`'s appointment list is slow",
        ehr::SLOW_CLINIC
    );
    println!("(see hypercare_workflow_slo_burn_rate and hypercare_workflow_baseline_ratio).");
    println!(
        "The lab system (lab.db) results most orders within hours, a few never (labs_resulted);"
    );
    println!(
        "its HL7 v2 interface (MLLP) accepts updates and rejects queries (AE), probed by lab_interface."
    );
    println!(
        "Try: hypercare check -c {} --json target_integrity",
        cfg.path.display()
    );
    println!("Press Ctrl-C to stop.");
}
