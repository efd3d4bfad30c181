//! The demo's SQLite files: created fresh from a schema, filled in batches
//! of multi-row inserts inside one transaction.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

/// The target EHR's visits (id, start, clinic) in id order, read from
/// `target.db` in `dir`: what the demo's connected systems (billing, lab)
/// received from it.
pub(super) async fn target_visits(dir: &Path) -> anyhow::Result<Vec<(i64, String, String)>> {
    let options = SqliteConnectOptions::new()
        .filename(dir.join("target.db"))
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options)
        .await
        .context("cannot open the demo's target.db")?;
    let visits = sqlx::query_as("SELECT id, period_start, clinic_id FROM encounter ORDER BY id")
        .fetch_all(&pool)
        .await?;
    pool.close().await;
    Ok(visits)
}

pub(super) enum V {
    I(i64),
    T(String),
    /// NULL.
    N,
}

pub(super) struct Db {
    conn: SqliteConnection,
}

impl Db {
    pub(super) async fn create(path: &Path, schema: &str) -> anyhow::Result<Db> {
        let _ = std::fs::remove_file(path);
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true);
        let mut conn = SqliteConnection::connect_with(&opts)
            .await
            .with_context(|| format!("cannot create {}", path.display()))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(schema.to_string()))
            .execute(&mut conn)
            .await?;
        sqlx::raw_sql("BEGIN").execute(&mut conn).await?;
        Ok(Db { conn })
    }

    /// Inserts rows in batches of multi-row VALUES; `cols` comma-separated.
    pub(super) async fn insert(
        &mut self,
        table: &str,
        cols: &str,
        rows: Vec<Vec<V>>,
    ) -> anyhow::Result<()> {
        let n = cols.split(',').count();
        for chunk in rows.chunks(200) {
            let one = format!("({})", vec!["?"; n].join(","));
            let sql = format!(
                "INSERT INTO {table} ({cols}) VALUES {}",
                vec![one; chunk.len()].join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for v in row {
                    q = match v {
                        V::I(i) => q.bind(*i),
                        V::T(t) => q.bind(t.clone()),
                        V::N => q.bind(None::<String>),
                    };
                }
            }
            q.execute(&mut self.conn).await?;
        }
        Ok(())
    }

    pub(super) async fn commit(mut self) -> anyhow::Result<()> {
        sqlx::raw_sql("COMMIT").execute(&mut self.conn).await?;
        self.conn.close().await?;
        Ok(())
    }
}

pub(super) const LEGACY_SCHEMA: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, fname TEXT, lname TEXT, npi TEXT, active INTEGER NOT NULL);
CREATE TABLE patient_data (pid INTEGER PRIMARY KEY, pubpid TEXT NOT NULL DEFAULT '', fname TEXT, lname TEXT,
  DOB TEXT, sex TEXT, clinic TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE form_encounter (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, date TEXT NOT NULL, clinic TEXT NOT NULL,
  provider_id INTEGER, reason TEXT);
CREATE TABLE calendar_events (pc_eid INTEGER PRIMARY KEY, pc_pid TEXT NOT NULL, pc_eventDate TEXT NOT NULL,
  clinic TEXT NOT NULL, provider_id INTEGER);
CREATE TABLE documents (id INTEGER PRIMARY KEY, foreign_id INTEGER NOT NULL, kind TEXT NOT NULL, url TEXT,
  mimetype TEXT, size INTEGER, hash TEXT, deleted INTEGER NOT NULL DEFAULT 0);";

pub(super) const TARGET_SCHEMA: &str = "
CREATE TABLE practitioner (id INTEGER PRIMARY KEY, legacy_id INTEGER, name TEXT, npi TEXT);
CREATE TABLE patient (id INTEGER PRIMARY KEY, mrn TEXT NOT NULL, family TEXT, given TEXT, birth_date TEXT,
  gender TEXT, clinic_id TEXT NOT NULL);
CREATE TABLE encounter (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, period_start TEXT NOT NULL,
  clinic_id TEXT NOT NULL, practitioner_id INTEGER);
CREATE TABLE appointment (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, start TEXT NOT NULL, clinic_id TEXT NOT NULL);
CREATE TABLE document_reference (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, kind TEXT NOT NULL, url TEXT,
  content_type TEXT, size INTEGER, hash TEXT);
CREATE TABLE condition (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, code TEXT, legacy_code TEXT NOT NULL);
CREATE TABLE code_map (legacy_code TEXT PRIMARY KEY, icd10 TEXT NOT NULL);
CREATE TABLE lab_feed_message (id INTEGER PRIMARY KEY, received_at TEXT NOT NULL);";
