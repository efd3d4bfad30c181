//! A real FHIR R4 server from a package registry on loopback: SEKMET
//! (`pip install sekmet-fhir`, a FastAPI server over SQLite with search,
//! paging, `_elements`, `_lastUpdated` and Bulk Data `$export`). .ci/run
//! installs it into a cache folder and names its `sekmet` program in
//! `HYPERCARE_TEST_SEKMET`. Medplum's server is not published to npm and
//! HAPI needs Maven Central, which this machine cannot reach.
//!
//! Skipped with a message when the program is absent, failed under `CI=true`.

mod documents;
mod group;
mod incremental;
mod pair;
mod patients;
mod smart;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// A running SEKMET server; killed when dropped (its data folder with it).
pub struct Sekmet {
    child: Child,
    _dir: tempfile::TempDir,
    pub base: String,
    /// A bearer token for loading, when the server asks for one.
    pub token: Option<String>,
}

impl Drop for Sekmet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn program() -> PathBuf {
    std::env::var_os("HYPERCARE_TEST_SEKMET")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("sekmet"))
}

fn skip_or_fail(test: &str, why: String) -> Option<Sekmet> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{test}: the SEKMET FHIR server is needed under CI=true ({why}); .ci/run installs it"
        );
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {why}; pip install sekmet-fhir and set HYPERCARE_TEST_SEKMET"
    );
    None
}

/// Starts an empty server on a free port, or says why not.
pub async fn start(test: &str) -> Option<Sekmet> {
    start_with(test, tempfile::tempdir().expect("tempdir"), "").await
}

/// Starts a server in `dir` with more settings (YAML lines), such as
/// `server_auth`.
pub async fn start_with(test: &str, dir: tempfile::TempDir, extra: &str) -> Option<Sekmet> {
    let port = crate::helpers::free_port();
    let base = format!("http://127.0.0.1:{port}/fhir");
    // No simulator (it answers orders on its own), no inbound validation
    // (speed), no traffic log (it stores every request body).
    let settings = format!(
        "base_url: {base}\nhost: 127.0.0.1\nport: {port}\ndata_dir: {data}\nlog_inbound: false\nsimulator: {{enabled: false}}\nvalidation: {{inbound: \"off\"}}\n{extra}",
        data = dir.path().join("data").display()
    );
    let cfg = dir.path().join("settings.yaml");
    std::fs::write(&cfg, settings).expect("settings");
    let child = Command::new(program())
        .arg("serve")
        .arg("-c")
        .arg(&cfg)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => {
            return skip_or_fail(test, format!("`{}` cannot start: {e}", program().display()));
        }
    };
    let server = Sekmet {
        child,
        _dir: dir,
        base,
        token: None,
    };
    let http = reqwest::Client::new();
    let metadata = format!("{}/metadata", server.base);
    let up = crate::helpers::wait_for(Duration::from_secs(60), || {
        let (http, url) = (http.clone(), metadata.clone());
        async move {
            http.get(url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        }
    })
    .await;
    assert!(up.is_ok(), "{test}: SEKMET did not answer within 60 s");
    Some(server)
}

impl Sekmet {
    /// Where the server keeps its export files (`bulk/JOB/…`).
    pub fn exports(&self) -> PathBuf {
        self._dir.path().join("data").join("bulk")
    }

    /// Stores resources with transaction bundles of up to 1,000 entries,
    /// the server choosing ids.
    pub async fn load(&self, resources: Vec<Value>) {
        self.transaction(resources, false).await
    }

    /// Stores resources under their own ids (`PUT`), in one transaction.
    pub async fn put(&self, resources: Vec<Value>) {
        self.transaction(resources, true).await
    }

    async fn transaction(&self, resources: Vec<Value>, put: bool) {
        let http = reqwest::Client::new();
        for chunk in resources.chunks(1000) {
            let entry: Vec<Value> = chunk
                .iter()
                .map(|r| {
                    let ty = r["resourceType"].as_str().expect("resourceType");
                    let request = match (put, r["id"].as_str()) {
                        (true, Some(id)) => json!({"method": "PUT", "url": format!("{ty}/{id}")}),
                        _ => json!({"method": "POST", "url": ty}),
                    };
                    json!({"resource": r, "request": request})
                })
                .collect();
            let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": entry});
            let mut req = http.post(&self.base);
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            let r = req
                .header("content-type", "application/fhir+json")
                .body(bundle.to_string())
                .send()
                .await
                .expect("transaction");
            let status = r.status();
            assert!(
                status.is_success(),
                "{status}: {}",
                r.text().await.unwrap_or_default()
            );
        }
    }
}
