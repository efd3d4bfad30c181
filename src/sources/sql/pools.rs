//! One pool per engine, lazy, bounded, and with each session set up as a
//! source needs it: read-only where the engine allows, UTC, the statement
//! timeout on the server side, no slow-statement logging.

use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{ConnectOptions, Executor};

use super::Pool;
use crate::config::SourceConfig;

/// PostgreSQL: the statement timeout, UTC and ISO dates set per session.
pub(super) fn postgres(cfg: &SourceConfig, opts: PgConnectOptions) -> Pool {
    let timeout_ms = cfg.statement_timeout.as_millis().to_string();
    let mut opts = opts.options([
        ("statement_timeout", timeout_ms.as_str()),
        ("TimeZone", "UTC"),
        // Dates cast to text read as YYYY-MM-DD whatever the server's default.
        ("DateStyle", "ISO"),
    ]);
    if cfg.read_only {
        opts = opts.options([("default_transaction_read_only", "on")]);
    }
    // Long statements are normal on a source (whole-table checksums):
    // sqlx's slow-statement warnings would only be noise.
    let opts = opts.disable_statement_logging();
    Pool::Postgres(
        PgPoolOptions::new()
            .max_connections(cfg.max_connections)
            .acquire_timeout(cfg.connect_timeout)
            .connect_lazy_with(opts),
    )
}

/// MySQL and MariaDB: UTC, and the session made read-only and given its
/// statement timeout as each connection opens.
pub(super) fn mysql(cfg: &SourceConfig, opts: MySqlConnectOptions) -> Pool {
    let opts = opts
        .timezone(Some("+00:00".into()))
        .disable_statement_logging();
    let read_only = cfg.read_only;
    let timeout = cfg.statement_timeout;
    Pool::MySql(
        MySqlPoolOptions::new()
            .max_connections(cfg.max_connections)
            .acquire_timeout(cfg.connect_timeout)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if read_only {
                        conn.execute("SET SESSION TRANSACTION READ ONLY").await?;
                    }
                    // MariaDB calls it max_statement_time (seconds), MySQL max_execution_time (ms).
                    let maria =
                        format!("SET SESSION max_statement_time = {}", timeout.as_secs_f64());
                    if conn.execute(sqlx::AssertSqlSafe(maria)).await.is_err() {
                        let mysql =
                            format!("SET SESSION max_execution_time = {}", timeout.as_millis());
                        let _ = conn.execute(sqlx::AssertSqlSafe(mysql)).await;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(opts),
    )
}

pub(super) fn sqlite(cfg: &SourceConfig, opts: SqliteConnectOptions) -> Pool {
    let opts = opts
        .read_only(cfg.read_only)
        // Sources are read once per check run: a small page cache per
        // connection keeps idle memory low; the OS caches the file anyway.
        // Measured on the demo (7 SQLite connections): page caches were
        // 5 MB of the 7 MB SQLite held at idle with 512 KiB each.
        .pragma("cache_size", "-128")
        .disable_statement_logging()
        // `col REGEXP pattern`, which SQLite leaves to the application.
        .with_regexp()
        .busy_timeout(cfg.statement_timeout.min(Duration::from_secs(5)));
    Pool::Sqlite(
        SqlitePoolOptions::new()
            .max_connections(cfg.max_connections)
            .acquire_timeout(cfg.connect_timeout)
            .connect_lazy_with(opts),
    )
}
