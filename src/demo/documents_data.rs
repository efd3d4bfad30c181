//! The demo's documents: a folder of small files (PDF, PNG, JPEG, TIFF,
//! text) of every document kind, an inventory of them (`documents.db`), and
//! a small HTTP server in the demo process that serves the folder. Some
//! documents are planted broken: missing, truncated, of the wrong type,
//! altered after their hash was taken, unreadable, without a date, or
//! linked to a patient the target lacks; one superseded version is skipped
//! by rule. Scanned records are read from the folder directly (file paths),
//! the rest over HTTP.

use std::path::{Path, PathBuf};

use anyhow::Context;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sqlx::Connection;

use super::facts::DOCUMENT_KINDS;

/// Documents in the demo inventory (the superseded one included).
pub const DOCUMENTS: usize = 64;

/// What is planted, by document number (1-based), and what the check must say.
pub const PLANTED: [(usize, &str); 12] = [
    (5, "not_found"),
    (17, "not_found"),
    (29, "not_found"),
    (8, "size_mismatch"),
    (20, "size_mismatch"),
    (11, "type_mismatch"),
    (23, "type_mismatch"),
    (14, "hash_mismatch"),
    (26, "unreadable"),
    (32, "metadata_missing"),
    (35, "broken_link"),
    (47, "broken_link"),
];

/// The document that is an older, superseded version (skipped by rule).
pub const SUPERSEDED: usize = 50;

fn planted(n: usize) -> Option<&'static str> {
    PLANTED.iter().find(|(i, _)| *i == n).map(|(_, r)| *r)
}

/// One demo file's bytes and content type, by number.
fn body(n: usize) -> (Vec<u8>, &'static str, &'static str) {
    match n % 5 {
        0 => (
            format!("Clinical note {n}\r\nNo acute distress. Follow up in 4 weeks.\r\n").into_bytes(),
            "text/plain",
            "txt",
        ),
        1 => {
            let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
            b.extend(std::iter::repeat_n(n as u8, 200));
            (b, "image/png", "png")
        }
        2 => {
            let mut b = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".to_vec();
            b.extend(std::iter::repeat_n(n as u8, 300));
            b.extend_from_slice(b"\xff\xd9");
            (b, "image/jpeg", "jpg")
        }
        3 => {
            let mut b = b"II*\0\x08\0\0\0".to_vec();
            b.extend(std::iter::repeat_n(n as u8, 256));
            (b, "image/tiff", "tif")
        }
        _ => (
            format!(
                "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n% demo document {n}\n{}\ntrailer << /Root 1 0 R >>\n%%EOF\n",
                "x".repeat(400 + n * 7)
            )
            .into_bytes(),
            "application/pdf",
            "pdf",
        ),
    }
}

fn sha256_hex(b: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b)
        .as_ref()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Writes the folder and the inventory, once (kept across demo starts).
pub async fn prepare(dir: &Path) -> anyhow::Result<()> {
    let db_path = dir.join("documents.db");
    if db_path.exists() {
        return Ok(());
    }
    let folder = dir.join("documents");
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let patients = target_patients(&dir.join("target.db")).await?;
    let mut sql = String::from(
        "CREATE TABLE document_index (id TEXT PRIMARY KEY, kind TEXT, location TEXT, content_type TEXT,
           size INTEGER, hash TEXT, hash_algorithm TEXT, patient INTEGER, created TEXT, status TEXT NOT NULL,
           clinic TEXT);\n",
    );
    for n in 1..=DOCUMENTS {
        let d = document(n, &patients);
        if planted(n) != Some("not_found") {
            let path = folder.join(&d.name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&path, &d.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        sql.push_str(&d.row(n, &folder));
    }
    let url = format!("sqlite://{}", db_path.display());
    let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().context("documents.db url")?;
    let mut conn = sqlx::SqliteConnection::connect_with(&opts.create_if_missing(true))
        .await
        .context("cannot create documents.db")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .context("cannot write the document inventory")?;
    conn.close().await.ok();
    Ok(())
}

/// One demo document: its file and its inventory row's values.
struct Document {
    kind: &'static str,
    name: String,
    bytes: Vec<u8>,
    content_type: &'static str,
    /// Size and hash as the inventory states them (before any planted damage).
    size: usize,
    hash: String,
    patient: i64,
    created: Option<String>,
    /// The site code of its patient's clinic: attributes it to the clinic.
    clinic: String,
}

/// Document `n`, with its planted problem (if any) applied.
fn document(n: usize, patients: &[(i64, String)]) -> Document {
    let (bytes, content_type, ext) = body(n);
    let kind = DOCUMENT_KINDS[n % DOCUMENT_KINDS.len()];
    // The planted problems are east's (the clinic the migration hurt), so
    // the other clinics' documents stay accessible.
    let east: Vec<&(i64, String)> = patients.iter().filter(|p| p.1 == "east").collect();
    let owner = match planted(n) {
        Some(_) if !east.is_empty() => east[n % east.len()],
        _ => &patients[n % patients.len()],
    };
    let mut d = Document {
        kind,
        name: format!("{kind}/{n:04}.{ext}"),
        size: bytes.len(),
        hash: sha256_hex(&bytes),
        bytes,
        content_type,
        patient: owner.0,
        clinic: owner.1.clone(),
        created: Some(format!("2024-{:02}-{:02}", 1 + n % 12, 1 + n % 28)),
    };
    let size = d.size;
    match planted(n) {
        Some("size_mismatch") => d.bytes.truncate(size / 2),
        Some("type_mismatch") => {
            // PNG bytes where the inventory says PDF.
            (d.bytes, _, _) = body(1);
            d.name = format!("{kind}/{n:04}.png");
            d.content_type = "application/pdf";
        }
        Some("hash_mismatch") => d.bytes[size / 2] ^= 0x01,
        Some("unreadable") => {
            d.bytes = b"<html><body>Session expired, please log in</body></html>".to_vec();
            d.content_type = "application/pdf";
            d.name = format!("{kind}/{n:04}.pdf");
        }
        Some("metadata_missing") => d.created = None,
        Some("broken_link") => {
            d.patient = patients.iter().map(|p| p.0).max().unwrap_or(0) + 100_000 + n as i64
        }
        _ => {}
    }
    // Replaced bodies are described truthfully: only their type is wrong.
    if matches!(planted(n), Some("type_mismatch" | "unreadable")) {
        d.size = d.bytes.len();
        d.hash = sha256_hex(&d.bytes);
    }
    d
}

impl Document {
    /// Its inventory row as an INSERT statement.
    fn row(&self, n: usize, folder: &Path) -> String {
        // Scanned records sit on a mounted share: absolute paths; the rest over HTTP.
        let location = if self.kind == "scanned_record" {
            folder.join(&self.name).display().to_string()
        } else {
            self.name.clone()
        };
        let status = if n == SUPERSEDED {
            "superseded"
        } else {
            "current"
        };
        let created = self
            .created
            .as_ref()
            .map_or("NULL".to_string(), |c| format!("'{c}'"));
        let (kind, ct, size, hash, patient) = (
            self.kind,
            self.content_type,
            self.size,
            &self.hash,
            self.patient,
        );
        format!(
            "INSERT INTO document_index VALUES ('doc-{n:04}', '{kind}', '{}', '{ct}', {size}, '{hash}', 'sha256', {patient}, {created}, '{status}', '{}');\n",
            location.replace('\'', "''"),
            self.clinic.replace('\'', "''")
        )
    }
}

/// Patient ids the target has, for the documents to link to.
async fn target_patients(target: &Path) -> anyhow::Result<Vec<(i64, String)>> {
    let url = format!("sqlite://{}", target.display());
    let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().context("target.db url")?;
    let mut conn = sqlx::SqliteConnection::connect_with(&opts.read_only(true))
        .await
        .context("cannot open target.db")?;
    let ids: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, clinic_id FROM patient ORDER BY id LIMIT 40")
            .fetch_all(&mut conn)
            .await
            .context("cannot read target patients")?;
    conn.close().await.ok();
    anyhow::ensure!(!ids.is_empty(), "the target has no patients");
    Ok(ids)
}

/// Serves the documents folder over HTTP on loopback (a port of its own);
/// returns its base URL. Runs as long as the demo process.
pub async fn serve(dir: &Path) -> anyhow::Result<String> {
    let folder = dir.join("documents");
    let app = Router::new()
        .route("/documents/{*path}", get(file))
        .with_state(folder);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind the demo document server")?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "demo document server stopped");
        }
    });
    Ok(format!("http://{addr}/documents/"))
}

async fn file(State(folder): State<PathBuf>, UrlPath(path): UrlPath<String>) -> Response {
    let rel = PathBuf::from(&path);
    if rel
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let ct = match rel.extension().and_then(|e| e.to_str()) {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("tif") => "image/tiff",
        Some("txt") => "text/plain",
        _ => "application/octet-stream",
    };
    match tokio::fs::read(folder.join(rel)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, ct)], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The demo's `[[documents]]` check, appended to its config.
pub fn config_text(dir: &Path, base: &str) -> String {
    let d = dir.display();
    let kinds = DOCUMENT_KINDS
        .iter()
        .map(|k| format!("{k} = []"))
        .collect::<Vec<_>>()
        .join(", ");
    super::template::fill(
        include_str!("templates/documents.toml"),
        &[
            ("d", d.to_string()),
            ("kinds", kinds),
            ("base", base.to_string()),
        ],
    )
}
