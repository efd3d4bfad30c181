//! `[[documents]]` as read: defaults, and every mistake at its line.

use std::path::Path;

use crate::config::documents::{Base, HashAlgorithm, Inventory, Links};
use crate::config::parse;

const HEAD: &str = r#"[sources.db]
url = "sqlite://docs.db"

[sources.ehr]
fhir = "https://ehr.example/fhir"
"#;

fn load(body: &str) -> Result<crate::config::Config, String> {
    parse(&format!("{HEAD}{body}"), Path::new("t.toml"), &|v| {
        (v == "S3_KEY").then(|| "k".to_string())
    })
    .map_err(|e| e.to_string())
}

#[test]
fn a_full_check_loads_typed_with_its_defaults() {
    let cfg = load(
        r#"
[[documents]]
name = "docs"
schedule = "0 */10 * * * *"
content_share = "25%"
kinds = { referral = ["57133-1"], lab_report = [] }
inventory = { from = "db", sql = "SELECT id, location FROM d" }
links = { from = "ehr" }
storage = { base = "https://store.example/docs", hash_algorithm = "SHA3-512", s3_access_key_id_env = "S3_KEY", s3_secret_access_key_env = "S3_KEY" }
"#,
    )
    .expect("valid");
    let d = &cfg.documents[0];
    assert_eq!(d.content_share, 0.25);
    assert_eq!((d.sample, d.concurrency, d.rate_per_host), (500, 8, 20));
    assert_eq!(d.skip_status, ["superseded", "entered-in-error"]);
    assert!(matches!(d.inventory, Inventory::Sql { .. }));
    assert!(matches!(d.links, Some(Links::Fhir { .. })));
    assert_eq!(d.storage.hash_algorithm, Some(HashAlgorithm::Sha3_512));
    let Some(Base::Url(base)) = &d.storage.base else {
        panic!("a URL base")
    };
    assert_eq!(
        base.as_str(),
        "https://store.example/docs/",
        "a trailing slash is added"
    );
    assert_eq!(d.kinds.len(), 2);
}

#[test]
fn every_mistake_is_reported_at_its_line() {
    let err = load(
        r#"
[[documents]]
name = "docs"
schedule = "0 */10 * * * *"
content_share = 1.5
kinds = { "Lab Report" = [] }
inventory = { from = "ehr", sql = "SELECT 1" }
links = { from = "nowhere" }
storage = { base = "docs/relative", hash_algorithm = "md5", s3_endpoint = "http://minio:9000" }

[[documents]]
name = "no_kinds"
schedule = "0 */10 * * * *"
inventory = { from = "db" }
"#,
    )
    .expect_err("invalid");
    for (needle, line) in [
        ("content_share must be a share", 10),
        ("kind name", 11),
        ("`ehr` is a FHIR source", 12),
        ("unknown source `nowhere`", 13),
        ("base must be an http(s) URL", 14),
        ("`md5` is not a hash algorithm", 14),
        ("s3_endpoint is plain http", 14),
        ("check `no_kinds` needs `kinds`", 17),
        ("needs `sql`", 19),
    ] {
        assert!(
            err.contains(&format!("t.toml:{line}:")) && err.contains(needle),
            "expected `{needle}` at line {line}:\n{err}"
        );
    }
}

#[test]
fn storage_lists_secrets_and_names_are_checked_where_written() {
    let err = load(
        r#"
[[documents]]
name = "docs"
schedule = "0 */10 * * * *"
kinds = { referral = ["r"] }
inventory = { from = "db", sql = "SELECT 1; DELETE FROM d" }
storage = { allowed_hosts = ["https://x.org/"], allowed_folders = ["scans"], s3_access_key_id_env = "UNSET_KEY" }

[[documents]]
name = "docs"
schedule = "0 */10 * * * *"
kinds = {}
inventory = { from = "db", sql = "SELECT 1" }
links = { from = "db" }
"#,
    )
    .expect_err("invalid");
    for (needle, line) in [
        ("one statement", 11),
        ("allowed_hosts: `https://x.org/` is not a bare name", 12),
        ("allowed_folders: `scans` is not an absolute folder", 12),
        (
            "s3 access key id: environment variable `UNSET_KEY` is not set",
            12,
        ),
        ("check name `docs` is used twice", 15),
        ("`kinds` is empty", 17),
        ("links from SQL source `db` need `patients_sql`", 19),
    ] {
        assert!(
            err.contains(&format!("t.toml:{line}:")) && err.contains(needle),
            "expected `{needle}` at line {line}:\n{err}"
        );
    }
}

#[test]
fn the_timeout_defaults_to_the_schedulers_and_s3_keys_come_from_the_environment() {
    let cfg = load(
        r#"
[scheduler]
default_timeout = "42s"

[[documents]]
name = "docs"
schedule = "0 */10 * * * *"
kinds = { referral = ["r"] }
inventory = { from = "ehr", params = "?status=current" }
storage = { s3_endpoint = "http://minio:9000", s3_allow_http = true, s3_secret_access_key_env = "S3_KEY" }
"#,
    )
    .expect("valid");
    let d = &cfg.documents[0];
    assert_eq!(d.timeout(), std::time::Duration::from_secs(42));
    let s3 = d.storage.s3.as_ref().expect("s3");
    assert_eq!(s3.region, "us-east-1");
    assert!(s3.access_key_id.is_none());
    assert_eq!(s3.secret_access_key.as_ref().map(|s| s.expose()), Some("k"));
    let Inventory::Fhir { params, .. } = &d.inventory else {
        panic!("a FHIR inventory")
    };
    assert_eq!(params, &[("status".to_string(), "current".to_string())]);
}
