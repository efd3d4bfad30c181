//! Documents in a local folder: every reason the file path can give,
//! planted once, with the hash spellings legacy systems used.

use hypercare::results::{Ledger, Outcome, Reason};

use super::fixtures::{
    PNG, Row, TIFF, config, details, expect, failures, inventory_db, pdf, run, sha1_base64,
    sha3_512_hex,
};

#[tokio::test]
async fn a_folder_with_planted_failures_gives_each_reason_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("2024")).expect("mkdir");
    let write = |name: &str, bytes: &[u8]| std::fs::write(docs.join(name), bytes).expect("write");
    let ok = pdf("scanned record");
    write("2024/ok.pdf", &ok);
    write("scan.tif", TIFF);
    write("fhir-style.pdf", &pdf("fhir"));
    let full = pdf("truncated");
    write("truncated.pdf", &full[..full.len() / 2]);
    let mut altered = pdf("altered");
    altered[15] ^= 0x20;
    write("altered.pdf", &altered);
    write("png.pdf", PNG);
    write("zeros.pdf", &[0u8; 64]);
    let abs = |name: &str| docs.join(name).display().to_string();
    let rows = vec![
        // Newer legacy rows: hex SHA3-512, relative to the base folder.
        Row {
            hash: Some(sha3_512_hex(&ok)),
            hash_algorithm: Some("sha3-512"),
            kind: Some("57133-1"),
            ..Row::good("ok", "2024/ok.pdf".into(), "application/pdf", &ok)
        },
        // An absolute path, and a file URL; FHIR's base64 SHA-1 (told by its length).
        Row::good("tiff", abs("scan.tif"), "image/tiff", TIFF),
        Row {
            hash: Some(sha1_base64(&pdf("fhir"))),
            hash_algorithm: None,
            ..Row::good(
                "file-url",
                format!("file://{}", abs("fhir-style.pdf")),
                "application/pdf",
                &pdf("fhir"),
            )
        },
        Row::good("gone", "2023/gone.pdf".into(), "application/pdf", &ok),
        Row::good(
            "truncated",
            "truncated.pdf".into(),
            "application/pdf",
            &full,
        ),
        Row::good(
            "altered",
            "altered.pdf".into(),
            "application/pdf",
            &pdf("altered"),
        ),
        Row::good("png", "png.pdf".into(), "application/pdf", PNG),
        Row::good("zeros", "zeros.pdf".into(), "application/pdf", &[0u8; 64]),
        Row::good("escape", "../../etc/passwd".into(), "text/plain", b""),
        Row {
            kind: None,
            date: false,
            ..Row::good("no-kind", "2024/ok.pdf".into(), "application/pdf", &ok)
        },
        Row {
            encounter: Some("77"),
            ..Row::good(
                "lost-encounter",
                "2024/ok.pdf".into(),
                "application/pdf",
                &ok,
            )
        },
    ];
    let db = inventory_db(dir.path(), &rows).await;
    let text = config(
        &db,
        &format!(
            "content_share = \"100%\"\nstorage = {{ base = \"{}\" }}",
            docs.display()
        ),
    );
    let result = run(&text, Ledger::default()).await;
    let d = details(&result);
    assert_eq!(result.outcome, Outcome::Fail);
    assert_eq!(
        failures(d),
        expect(&[
            ("gone", Reason::NotFound),
            ("truncated", Reason::SizeMismatch),
            ("altered", Reason::HashMismatch),
            ("png", Reason::TypeMismatch),
            ("zeros", Reason::Unreadable),
            ("escape", Reason::InvalidLocation),
            ("no-kind", Reason::MetadataMissing),
            ("lost-encounter", Reason::BrokenLink),
        ])
    );
    let no_kind = d
        .failures
        .iter()
        .find(|f| f.id == "no-kind")
        .expect("no-kind");
    assert_eq!(no_kind.detail, "no kind, date");
    assert_eq!(d.kinds["referral"].checked, 1);
    assert_eq!(d.kinds["lab_report"].checked, 9);
    assert_eq!(
        d.kinds["_other"].failed, 1,
        "a document without a kind counts as _other"
    );

    // Within the tolerance, the same failures pass the check.
    let text = text.replace("concurrency = 4", "concurrency = 4\ntolerance = \"80%\"");
    let result = run(&text, Ledger::default()).await;
    assert_eq!(result.outcome, Outcome::Pass, "{}", result.summary);
}
