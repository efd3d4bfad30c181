//! A running app with the feedback form, credentials and a chosen store,
//! and helpers that behave like a browser (cookie, hidden fields).

use std::sync::Arc;

use hypercare::app::{AppState, Application};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "test-token-0123456789abcdef";
pub const USER: &str = "lead";
pub const PASSWORD: &str = "lead-password-42";

pub struct App {
    pub base: String,
    pub state: Arc<AppState>,
    pub store_url: String,
    pub dir: tempfile::TempDir,
    shutdown: CancellationToken,
    running: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Options that differ between tests.
pub struct Setup {
    /// `None`: a SQLite file in the test's folder.
    pub store_url: Option<String>,
    pub rate_limit: u32,
    pub max_body_bytes: u32,
    /// Extra lines for `[server]`.
    pub server_extra: String,
    /// Leave out every credential.
    pub no_admin: bool,
    /// Sections appended to the config (an outbox, a relay).
    pub extra: String,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            store_url: None,
            rate_limit: 1000,
            max_body_bytes: 16_384,
            server_extra: String::new(),
            no_admin: false,
            extra: String::new(),
        }
    }
}

impl App {
    pub async fn start(setup: Setup) -> App {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        std::fs::write(dir.path().join("token"), format!("{TOKEN}\n")).unwrap();
        std::fs::write(dir.path().join("password"), PASSWORD).unwrap();
        let store_url = setup
            .store_url
            .unwrap_or_else(|| format!("sqlite://{d}/store.db"));
        let admin = if setup.no_admin {
            String::new()
        } else {
            format!(
                "admin_token_file = \"{d}/token\"\nadmin_user = \"{USER}\"\nadmin_password_file = \"{d}/password\"\n"
            )
        };
        let text = format!(
            r#"[server]
listen = "127.0.0.1:0"
{admin}{extra}
[store]
url = "{store_url}"

[feedback]
mrn_pattern = '\bE\d{{6}}\b'
rate_limit_per_minute = {rate}
max_body_bytes = {body}

[[clinics]]
id = "north"
name = "North Clinic"

[[clinics]]
id = "east"
name = "East Family Practice"
{sections}"#,
            sections = setup.extra,
            extra = setup.server_extra,
            rate = setup.rate_limit,
            body = setup.max_body_bytes,
        );
        let path = crate::helpers::write_config(dir.path(), &text);
        let config = hypercare::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let app = Application::build(config).await.expect("build the app");
        let base = format!("http://{}", app.local_addr());
        let state = app.state();
        let shutdown = CancellationToken::new();
        let (_tx, rx) = mpsc::channel(1);
        let running = tokio::spawn(app.run(shutdown.clone(), rx));
        App {
            base,
            state,
            store_url,
            dir,
            shutdown,
            running: Some(running),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(r) = self.running.take() {
            let _ = r.await;
        }
    }

    pub async fn stored(&self) -> i64 {
        self.state.store.count_feedback().await.unwrap()
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(self.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// What a browser holds after opening the form.
#[derive(Debug, Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
    pub submission_id: String,
    pub html: String,
}

/// The `value` of the input named `name` in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no input `{name}` in:\n{html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

pub async fn open_form(app: &App, query: &str) -> Browser {
    let r = reqwest::get(app.url(&format!("/feedback{query}")))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let set = r
        .headers()
        .get(SET_COOKIE)
        .expect("a CSRF cookie")
        .to_str()
        .unwrap()
        .to_string();
    let cookie = set.split(';').next().unwrap().to_string();
    let html = r.text().await.unwrap();
    Browser {
        csrf: hidden(&html, "csrf"),
        submission_id: hidden(&html, "submission_id"),
        cookie,
        html,
    }
}

/// A complete, valid report's fields.
pub fn valid_fields(text: &str) -> Vec<(&'static str, String)> {
    vec![
        ("clinic", "east".into()),
        ("role", "nurse".into()),
        ("category", "notes_slow".into()),
        ("severity", "blocks_work".into()),
        ("workaround", "yes".into()),
        ("text", text.into()),
        ("contact", "ext 4411".into()),
    ]
}

/// Posts the form as the browser would: its cookie, its hidden fields, then `fields`.
pub async fn post(app: &App, b: &Browser, fields: &[(&str, String)]) -> (StatusCode, String) {
    let mut all: Vec<(&str, String)> = [("csrf", &b.csrf), ("submission_id", &b.submission_id)]
        .into_iter()
        .filter(|(k, _)| !fields.iter().any(|(f, _)| f == k))
        .map(|(k, v)| (k, v.clone()))
        .collect();
    all.extend(fields.iter().cloned());
    let r = reqwest::Client::new()
        .post(app.url("/feedback"))
        .header(COOKIE, &b.cookie)
        .form(&all)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

/// An authenticated client request builder.
pub fn admin(method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, url)
        .bearer_auth(TOKEN)
}
