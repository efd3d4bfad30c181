//! Alerts end to end: real SMTP (aiosmtpd), a real Alertmanager, two
//! replicas on PostgreSQL, Prometheus rules under promtool.
//!
//! Tools missing here skip their test with a message; under `CI=true` they
//! fail it (`.ci/run` installs them).

mod alertmanager;
mod delivery;
mod mail;
pub(crate) mod mail_tls;
mod promtool;
mod replicas;
mod rules;
mod silences;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{exec, free_port, wait_for};

/// Whether a tool is usable; otherwise a skip (or, under CI, a failure).
pub fn tool(test: &str, what: &str, probe: &mut Command, install: &str) -> bool {
    let ok = probe
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is needed under CI=true for {test}: {install}");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {what} is missing ({install})"
    );
    false
}

pub fn python() -> String {
    std::env::var("HYPERCARE_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

pub fn have_aiosmtpd(test: &str) -> bool {
    tool(
        test,
        "aiosmtpd (Python)",
        Command::new(python()).args(["-c", "import aiosmtpd"]),
        "python3 -m pip install aiosmtpd",
    )
}

/// A real SMTP server (aiosmtpd) writing every message it receives into a Maildir.
pub struct Smtp {
    child: Option<Child>,
    pub port: u16,
    pub maildir: PathBuf,
}

impl Smtp {
    /// Starts on `port` and waits until it accepts connections.
    pub async fn start(port: u16, maildir: &Path) -> Smtp {
        let child = Command::new(python())
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aiosmtpd");
        wait_for(Duration::from_secs(20), || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        })
        .await
        .expect("aiosmtpd did not start listening");
        Smtp {
            child: Some(child),
            port,
            maildir: maildir.to_path_buf(),
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The subjects of the messages received so far, oldest first.
    pub fn subjects(&self) -> Vec<String> {
        messages(&self.maildir)
            .iter()
            .filter_map(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("Subject: "))
                    .map(str::to_string)
            })
            .collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every message in a Maildir, by delivery time.
pub fn messages(maildir: &Path) -> Vec<String> {
    let mut files: Vec<(std::time::SystemTime, String)> = ["new", "cur"]
        .iter()
        .flat_map(|d| std::fs::read_dir(maildir.join(d)).into_iter().flatten())
        .flatten()
        .filter_map(|e| {
            let t = e.metadata().ok()?.modified().ok()?;
            Some((t, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, m)| m).collect()
}

/// A source database whose two counts differ (drift) until [`fix`] is called.
pub async fn drifting_source(dir: &Path) -> String {
    let url = format!("sqlite://{}/src.db", dir.display());
    exec(&url, "CREATE TABLE a (x INT); CREATE TABLE b (x INT); INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (1)").await;
    url
}

pub async fn fix(source: &str) {
    exec(source, "INSERT INTO b VALUES (2)").await;
}

/// Config with one reconcile check every second over the drifting source,
/// one rule on it, evaluated every second; `notifiers` is appended as is.
pub fn config(
    port: u16,
    store: &str,
    source: &str,
    replica: &str,
    notify: &str,
    notifiers: &str,
) -> String {
    format!(
        r#"[server]
listen = "127.0.0.1:{port}"
public_url = "https://hypercare.example.org"
[store]
url = "{store}"
[scheduler]
lease = "3s"
replica_id = "{replica}"
[sources.s]
url = "{source}"
[[reconcile]]
name = "patients"
schedule = "* * * * * *"
source = {{ from = "s", sql = "SELECT COUNT(*) FROM a" }}
target = {{ from = "s", sql = "SELECT COUNT(*) FROM b" }}
[alerting]
evaluation_interval = "1s"
resend_interval = "2s"
default_rules = false
[outbox]
poll_interval = "200ms"
backoff_initial = "500ms"
backoff_max = "2s"
[[alerts]]
name = "patients_drift"
condition = "status"
checks = ["patients"]
severity = "critical"
summary = "Check {{check}} found drift"
runbook_url = "https://wiki.example.org/runbooks/drift"
notify = [{notify}]
{notifiers}
"#
    )
}

pub fn smtp_section(port: u16) -> String {
    format!(
        r#"[smtp]
host = "127.0.0.1"
port = {port}
tls = "none"
from = "hypercare <hypercare@example.org>"
timeout = "3s"
[notifiers.mail]
type = "email"
to = ["oncall@example.org"]
"#
    )
}

pub fn port() -> u16 {
    free_port()
}

pub type Posts = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// A webhook receiver on loopback that records every post and its idempotency key.
pub async fn receiver() -> (u16, Posts) {
    let posts: Posts = Arc::default();
    let kept = posts.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: HeaderMap, body: axum::Json<serde_json::Value>| {
                let kept = kept.clone();
                async move {
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    kept.lock().unwrap().push((key, body.0));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, posts)
}
