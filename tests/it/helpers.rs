//! Fixtures: fresh databases, config files, daemon processes, a TCP proxy
//! that can cut a source off.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

pub const BIN: &str = env!("CARGO_BIN_EXE_hypercare");

/// The URL of a database server from the environment, or `None` (skipped).
/// Under `CI=true` a missing variable is a failure, not a skip.
fn server_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{var} is not set under CI=true: {test} must not be skipped")
        }
        _ => {
            // Straight to stderr: libtest captures eprintln!, and a skip must be seen.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "skipped {test}: set {var} to run it");
            None
        }
    }
}

fn replace_db(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("database URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

fn fresh_name(prefix: &str) -> String {
    format!("{prefix}_{}_{:08x}", std::process::id(), fastrand::u32(..))
}

/// A new, empty PostgreSQL database; its URL.
pub async fn fresh_postgres(test: &str) -> Option<String> {
    let base = server_url("HYPERCARE_TEST_POSTGRES_URL", test)?;
    let name = fresh_name("hc");
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to PostgreSQL");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create database");
    Some(replace_db(&base, &name))
}

/// A new, empty MariaDB/MySQL database; its URL.
pub async fn fresh_mysql(test: &str) -> Option<String> {
    let base = server_url("HYPERCARE_TEST_MYSQL_URL", test)?;
    let name = fresh_name("hc");
    let mut conn = sqlx::MySqlConnection::connect(&base)
        .await
        .expect("connect to MariaDB");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create database");
    Some(replace_db(&base, &name))
}

/// Runs SQL statements (separated by `;`) on a database.
pub async fn exec(url: &str, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql)
            .execute(&mut c)
            .await
            .expect("statements");
    } else if url.starts_with("mysql") {
        let mut c = sqlx::MySqlConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql)
            .execute(&mut c)
            .await
            .expect("statements");
    } else {
        let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().expect("sqlite url");
        let mut c = sqlx::SqliteConnection::connect_with(&opts.create_if_missing(true))
            .await
            .expect("connect");
        sqlx::raw_sql(sql)
            .execute(&mut c)
            .await
            .expect("statements");
    }
}

/// Writes a config file into `dir`.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("hypercare.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// A `hypercare` process; killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub base: String,
}

impl Daemon {
    /// Starts `hypercare run -c CONFIG` and waits until it answers `/readyz`.
    pub async fn start(config: &Path, listen_port: u16) -> Daemon {
        let child = Command::new(BIN)
            .args(["run", "-c"])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn hypercare");
        let d = Daemon {
            child,
            base: format!("http://127.0.0.1:{listen_port}"),
        };
        d.wait_ready().await;
        d
    }

    pub async fn wait_ready(&self) {
        wait_for(Duration::from_secs(30), || async {
            reqwest::get(format!("{}/readyz", self.base))
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await
        .expect("hypercare did not become ready");
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -{sig}");
    }

    /// Waits for the process to exit; its exit code and how long it took.
    pub fn wait_exit(&mut self, within: Duration) -> (Option<i32>, Duration) {
        let start = Instant::now();
        while start.elapsed() < within {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return (status.code(), start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("hypercare did not exit within {within:?}");
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.base))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("body")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Polls `cond` until it holds or `within` passes (for other processes; in-process tests await directly).
pub async fn wait_for<F, Fut>(within: Duration, mut cond: F) -> Result<(), ()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < within {
        if cond().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(())
}

/// The value of a metric sample line such as `name{labels} value`.
pub fn sample(metrics: &str, name_and_labels: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Reads lines from a child's stdout until one contains `needle`.
pub fn read_until(child: &mut Child, needle: &str) -> String {
    let out = child.stdout.as_mut().expect("piped stdout");
    let mut reader = BufReader::new(out);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).expect("read stdout") == 0 {
            panic!("stdout closed before `{needle}`");
        }
        if line.contains(needle) {
            return line;
        }
    }
}

/// A TCP proxy on loopback in front of a real server, which can be cut off
/// (new connections dropped, open ones reset) and restored.
pub struct Proxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Proxy {
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let (upstream, cut) = (upstream.clone(), cut2.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Proxy { port, up, cut }
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `host:port` of a database URL.
pub fn host_port(url: &str) -> String {
    let u = url::Url::parse(url).expect("url");
    format!(
        "{}:{}",
        u.host_str().expect("host"),
        u.port_or_known_default().unwrap_or(3306)
    )
}

/// The same URL pointing at another port on 127.0.0.1.
pub fn via_port(url: &str, port: u16) -> String {
    let mut u = url::Url::parse(url).expect("url");
    u.set_host(Some("127.0.0.1")).expect("host");
    u.set_port(Some(port)).expect("port");
    u.to_string()
}
