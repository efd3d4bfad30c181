//! The command line: `run`, `validate`, `check`, `demo`.
//!
//! Exit codes: 0 success (all checks pass); 1 invalid config, or a check
//! failed; 2 a check errored, or hypercare itself could not run or stopped
//! running (its scheduler or web server died).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

mod digest;
mod progress;

use crate::app::Application;
use crate::checks::RunReport;
use crate::config::{self, Config};
use crate::results::Outcome;
use crate::sources::Sources;

#[derive(Parser)]
#[command(
    name = "hypercare",
    version,
    about = "Watch an EHR system through the weeks after a migration goes live.",
    long_about = "hypercare compares the legacy (source) and new (target) EHR on a schedule, \
checks migrated documents and clinical workflows, collects staff feedback, and shows it all \
as Prometheus metrics, alerts and clinic digests.\n\n\
Start with `hypercare demo`: it builds sample legacy and target databases and runs the whole \
product on them, with no server to install.",
    after_help = "Exit codes: 0 ok / all checks pass; 1 config invalid or a check failed; \
2 a check errored, or hypercare could not run or its scheduler died."
)]
struct Cli {
    /// Config file [default: $HYPERCARE_CONFIG, else ./hypercare.toml]
    #[arg(
        short,
        long,
        global = true,
        env = "HYPERCARE_CONFIG",
        value_name = "FILE"
    )]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: schedule checks; serve /metrics, /healthz, /readyz, the status page, the feedback form, triage and API.
    Run,
    /// Check the config file and print every mistake with file:line:column.
    Validate,
    /// Run checks once, now, and print their results.
    Check {
        /// Checks to run, by name [default: all]
        names: Vec<String>,
        /// Print one JSON array instead of a table (includes record keys: operator use only).
        #[arg(long)]
        json: bool,
    },
    /// Clinic digests: preview one into files, or send one now through the outbox.
    Digest {
        #[command(subcommand)]
        action: DigestAction,
    },
    /// Run the whole product on generated sample data, with no server to install.
    Demo {
        /// Folder for the demo's databases and config (reused on the next start).
        #[arg(long, default_value = "hypercare-demo")]
        dir: PathBuf,
        /// Address to serve on.
        #[arg(long, default_value = "127.0.0.1:9187")]
        listen: String,
    },
    /// Ask a running hypercare whether it is alive, for container health checks (the runtime image has no curl): exit 0 when the URL answers 2xx within 3 s, else 1.
    Health {
        /// The URL to ask.
        #[arg(default_value = "http://127.0.0.1:9187/healthz")]
        url: String,
    },
}

#[derive(Subcommand)]
enum DigestAction {
    /// Write the digest's HTML (charts inline) and plain text into a folder.
    Preview {
        /// The `[[digests]]` name.
        name: String,
        /// Folder to write NAME.html, NAME.txt and the chart PNGs into.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Queue the digest now for every recipient and deliver it.
    Send {
        /// The `[[digests]]` name.
        name: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let path = cli
        .config
        .unwrap_or_else(|| PathBuf::from(config::DEFAULT_PATH));
    runtime.block_on(async move {
        match cli.command {
            Command::Validate => validate(&path),
            Command::Run => match load_or_report(&path) {
                Some(cfg) => run(cfg, |_, _| {}).await,
                None => ExitCode::from(1),
            },
            Command::Check { names, json } => match load_or_report(&path) {
                Some(cfg) => check(cfg, &names, json).await,
                None => ExitCode::from(1),
            },
            Command::Digest { action } => match load_or_report(&path) {
                Some(cfg) => match action {
                    DigestAction::Preview { name, out } => digest::preview(cfg, &name, &out).await,
                    DigestAction::Send { name } => digest::send(cfg, &name).await,
                },
                None => ExitCode::from(1),
            },
            Command::Demo { dir, listen } => match crate::demo::prepare(&dir, &listen).await {
                Ok(cfg) => run(cfg, crate::demo::print_banner).await,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::from(2)
                }
            },
            Command::Health { url } => crate::health_probe::probe(&url).await,
        }
    })
}

fn load_or_report(path: &std::path::Path) -> Option<Config> {
    match config::load(path) {
        Ok(c) => Some(c),
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("{} error(s) in {}", errors.0.len(), path.display());
            None
        }
    }
}

fn validate(path: &std::path::Path) -> ExitCode {
    match load_or_report(path) {
        Some(c) => {
            println!(
                "{}: valid ({} sources, {} checks)",
                path.display(),
                c.sources.len(),
                c.reconcile.len() + c.integrity.len() + c.workflows.len()
            );
            ExitCode::SUCCESS
        }
        None => ExitCode::from(1),
    }
}

/// Runs the daemon until SIGTERM or SIGINT; SIGHUP reloads the config.
/// `on_start` is told the address actually bound (port 0 picks one).
pub async fn run(cfg: Config, on_start: impl FnOnce(&Config, std::net::SocketAddr)) -> ExitCode {
    let shown = cfg.clone();
    let mut app = match Application::build(cfg).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "cannot start");
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    // A test hook (tests/it/supervision.rs): makes one loop die as a bug would.
    if let Ok(name) = std::env::var("HYPERCARE_TEST_PANIC_LOOP") {
        app.panic_loop(&name);
    }
    on_start(&shown, app.local_addr());
    let shutdown = CancellationToken::new();
    let (reload_tx, reload_rx) = mpsc::channel(4);
    if let Err(e) = spawn_signal_handlers(shutdown.clone(), reload_tx) {
        eprintln!("error: cannot install signal handlers: {e}");
        return ExitCode::from(2);
    }
    match app.run(shutdown, reload_rx).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn spawn_signal_handlers(
    shutdown: CancellationToken,
    reload: mpsc::Sender<()>,
) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!("SIGTERM received"); shutdown.cancel(); }
                _ = int.recv() => { tracing::info!("SIGINT received"); shutdown.cancel(); }
                _ = hup.recv() => { tracing::info!("SIGHUP received: reloading config"); let _ = reload.try_send(()); }
            }
        }
    });
    Ok(())
}

/// Runs the named checks (all by default) concurrently, once, and prints them.
async fn check(cfg: Config, names: &[String], json: bool) -> ExitCode {
    let sources = match Sources::from_config(&cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let selected = match crate::checks::select(crate::checks::build_all(&cfg, &sources), names) {
        Ok(s) => s,
        Err(unknown) => {
            eprintln!("error: no check named {}", unknown.join(", "));
            return ExitCode::from(2);
        }
    };
    // Progress bars only for a person at a terminal, and never with --json.
    let reports = if !json && std::io::stderr().is_terminal() {
        let bars: std::sync::Arc<dyn crate::checks::progress::Progress> =
            std::sync::Arc::new(progress::Bars::new());
        crate::checks::progress::with_sink(bars, crate::checks::run_once(&selected)).await
    } else {
        crate::checks::run_once(&selected).await
    };
    sources.close().await;
    if json {
        match serde_json::to_string_pretty(&reports) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print_table(&reports);
    }
    exit_code(&reports)
}

fn print_table(reports: &[RunReport]) {
    let width = reports
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    for r in reports {
        println!(
            "{:<6} {:<width$} {:>7}ms  {}",
            r.status.as_str().to_uppercase(),
            r.name,
            r.duration_ms,
            r.summary
        );
    }
}

/// 2 when any check errored, else 1 when any failed, else 0.
pub fn exit_code(reports: &[RunReport]) -> ExitCode {
    if reports
        .iter()
        .any(|r| matches!(r.status, Outcome::Error | Outcome::Cancelled))
    {
        ExitCode::from(2)
    } else if reports.iter().any(|r| r.status == Outcome::Fail) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
