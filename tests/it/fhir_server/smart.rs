//! SMART Backend Services: hypercare signs a JWT client assertion with its
//! private key (RS384 for an RSA key, ES384 for a P-384 key), the real
//! server verifies it against the registered public key and issues a token,
//! and searches, counts and an export run with that token.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::patients::{MRN, legacy, patient};
use crate::helpers::{BIN, write_config};

/// A private key made by openssl (`genpkey` args) and its public key.
fn key_pair(dir: &Path, name: &str, args: &[&str]) {
    let private = dir.join(format!("{name}.pem"));
    let ok = Command::new("openssl")
        .arg("genpkey")
        .args(args)
        .arg("-out")
        .arg(&private)
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "openssl genpkey");
    let ok = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(dir.join(format!("{name}.pub.pem")))
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "openssl pkey");
}

#[tokio::test]
async fn smart_backend_services_with_rsa_and_ec_keys() {
    let test = "smart_backend_services_with_rsa_and_ec_keys";
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().to_path_buf();
    key_pair(
        &keys,
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    key_pair(
        &keys,
        "ec",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    let auth = format!(
        "server_auth:\n  types: [smart, bearer]\n  tokens: [loader-token]\n  smart_clients:\n    - {{client_id: hc-rsa, public_key_path: {k}/rsa.pub.pem, scopes: \"system/*.read\"}}\n    - {{client_id: hc-ec, public_key_path: {k}/ec.pub.pem, scopes: \"system/*.read\"}}\n",
        k = keys.display()
    );
    let Some(mut fhir) = super::start_with(test, dir, &auth).await else {
        return;
    };
    fhir.token = Some("loader-token".into());
    let patients: Vec<Value> = (1..=300)
        .map(|i| {
            let (mrn, family, given, born) = legacy(i);
            patient(&mrn, &family, &given, &born, i)
        })
        .collect();
    // Both sides are the same server: the diff must come out clean, and
    // each side must have got its token and read all 300.
    fhir.load(patients).await;
    // Loaded without a token: refused, so the test can tell auth is on.
    let open = reqwest::get(format!("{}/Patient", fhir.base))
        .await
        .unwrap();
    assert_eq!(open.status(), 401);
    let root = fhir.base.trim_end_matches("/fhir");
    let token_url = format!("{root}/auth/token");
    let cfg_dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        cfg_dir.path(),
        &format!(
            r#"[sources.rsa]
fhir = "{base}"
token_url = "{token_url}"
client_id = "hc-rsa"
private_key_file = "{k}/rsa.pem"
scope = "system/*.read"
bulk = true
[sources.ec]
fhir = "{base}"
token_url = "{token_url}"
client_id = "hc-ec"
private_key_file = "{k}/ec.pem"
scope = "system/Patient.read"
bulk = false

[[reconcile]]
name = "export_vs_search"
schedule = "0 0 * * * *"
source = {{ from = "rsa", resource = "Patient", key = "identifier:{MRN}", columns = ["name.family", "birthDate"] }}
target = {{ from = "ec", resource = "Patient", key = "identifier:{MRN}", columns = ["name.family", "birthDate"] }}
"#,
            base = fhir.base,
            k = keys.display()
        ),
    );
    let out = Command::new(BIN)
        .args(["check", "--json", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    let runs: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let run = &runs[0];
    assert_eq!(run["status"], "pass", "{run:#}");
    let d = &run["details"];
    assert_eq!(
        (d["source_rows"].as_u64(), d["target_rows"].as_u64()),
        (Some(300), Some(300)),
        "{d:#}"
    );
    assert!(fhir.exports().is_dir(), "the RSA side exported");
}
