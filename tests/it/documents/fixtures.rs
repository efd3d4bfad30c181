//! Shared fixtures: document bytes, their digests, an inventory database,
//! and running a configured documents check through the library.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use hypercare::checks::{RunInput, RunOutput};
use hypercare::results::{CheckResult, DocumentsDetails, Ledger, Reason};

pub fn pdf(body: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {body}\ntrailer << >>\n%%EOF\n")
        .into_bytes()
}

pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
pub const TIFF: &[u8] = b"II*\0\x08\0\0\0\0\0";
pub const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9";

pub fn sha256_hex(b: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b).as_ref())
}

pub fn sha1_base64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, b).as_ref())
}

pub fn sha1_hex(b: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, b).as_ref())
}

pub fn sha3_512_hex(b: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA3_512, b).as_ref())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// One inventory row.
#[derive(Clone, Default)]
pub struct Row {
    pub id: &'static str,
    pub kind: Option<&'static str>,
    pub location: String,
    pub content_type: Option<&'static str>,
    pub size: Option<usize>,
    pub hash: Option<String>,
    pub hash_algorithm: Option<&'static str>,
    pub patient: Option<&'static str>,
    pub encounter: Option<&'static str>,
    pub date: bool,
    pub status: &'static str,
}

impl Row {
    /// A complete row for `bytes` at `location` (SHA-256 hex, patient 1).
    pub fn good(id: &'static str, location: String, ct: &'static str, bytes: &[u8]) -> Row {
        Row {
            id,
            kind: Some("lab_report"),
            location,
            content_type: Some(ct),
            size: Some(bytes.len()),
            hash: Some(sha256_hex(bytes)),
            hash_algorithm: Some("sha256"),
            patient: Some("1"),
            encounter: Some("10"),
            date: true,
            status: "current",
        }
    }
}

fn lit(v: Option<&str>) -> String {
    v.map_or("NULL".into(), |s| format!("'{}'", s.replace('\'', "''")))
}

/// A SQLite inventory (`docs`) with the target's `patient` (1, 2) and
/// `encounter` (10) tables beside it.
pub async fn inventory_db(dir: &Path, rows: &[Row]) -> String {
    let url = format!("sqlite://{}/inventory.db", dir.display());
    let mut sql = String::from(
        "CREATE TABLE docs (id TEXT, kind TEXT, location TEXT, content_type TEXT, size INTEGER, hash TEXT,
           hash_algorithm TEXT, patient_id INTEGER, encounter_id TEXT, created TEXT, status TEXT);
         CREATE TABLE patient (id INTEGER PRIMARY KEY);
         CREATE TABLE encounter (id TEXT PRIMARY KEY);
         INSERT INTO patient VALUES (1), (2);
         INSERT INTO encounter VALUES ('10');",
    );
    for r in rows {
        sql.push_str(&format!(
            "INSERT INTO docs VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});",
            lit(Some(r.id)),
            lit(r.kind),
            lit(Some(&r.location)),
            lit(r.content_type),
            r.size.map_or("NULL".into(), |s| s.to_string()),
            lit(r.hash.as_deref()),
            lit(r.hash_algorithm),
            r.patient.unwrap_or("NULL"),
            lit(r.encounter),
            lit(r.date.then_some("2024-05-01")),
            lit(Some(r.status)),
        ));
    }
    crate::helpers::exec(&url, &sql).await;
    url
}

/// The `[sources.inv]` table and a `[[documents]]` check reading `docs`.
pub fn config(db_url: &str, extra: &str) -> String {
    format!(
        r#"
[sources.inv]
url = "{db_url}"

[[documents]]
name = "docs"
schedule = "0 0 * * * *"
inventory = {{ from = "inv", sql = "SELECT id, kind, location, content_type, size, hash, hash_algorithm, patient_id AS patient, encounter_id AS encounter, created AS date, status FROM docs" }}
links = {{ from = "inv", patients_sql = "SELECT id FROM patient", encounters_sql = "SELECT id FROM encounter" }}
kinds = {{ lab_report = ["lab"], referral = ["57133-1"] }}
request_timeout = "1s"
concurrency = 4
rate_per_host = 200
{extra}
"#
    )
}

/// Runs the config's only check once with the given ledger.
pub async fn run(text: &str, ledger: Ledger) -> CheckResult {
    run_output(text, ledger).await.result
}

/// Runs the config's only check once with the given ledger: its result and ledger update.
pub async fn run_output(text: &str, ledger: Ledger) -> RunOutput {
    let cfg = hypercare::config::parse(text, Path::new("documents.toml"), &|_| None)
        .unwrap_or_else(|e| panic!("config: {e}"));
    let sources = hypercare::sources::Sources::from_config(&cfg).expect("sources");
    let checks = hypercare::checks::build_all(&cfg, &sources);
    assert_eq!(checks.len(), 1);
    let result = checks[0].run(RunInput::remembering(None, ledger)).await;
    sources.close().await;
    result
}

pub fn details(r: &CheckResult) -> &DocumentsDetails {
    r.details
        .documents()
        .unwrap_or_else(|| panic!("documents details: {r:?}"))
}

/// Failing ids by reason, and the figures' reason counts, which must agree.
pub fn failures(d: &DocumentsDetails) -> BTreeMap<String, Reason> {
    let by_id: BTreeMap<String, Reason> = d
        .failures
        .iter()
        .map(|f| (f.id.clone(), f.reason))
        .collect();
    assert_eq!(
        by_id.len(),
        d.failures.len(),
        "an id failed twice: {:?}",
        d.failures
    );
    let mut counted: BTreeMap<Reason, u64> = BTreeMap::new();
    for r in by_id.values() {
        *counted.entry(*r).or_default() += 1;
    }
    assert_eq!(counted, d.by_reason);
    by_id
}

pub fn expect(pairs: &[(&str, Reason)]) -> BTreeMap<String, Reason> {
    pairs.iter().map(|(id, r)| (id.to_string(), *r)).collect()
}
