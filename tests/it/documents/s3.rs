//! Documents in an S3-compatible object store: a real S3 API server on
//! loopback (moto's server, from PyPI: `pip install "moto[server]"`; .ci/run
//! installs it), read through `object_store` with signed requests. Skipped
//! with a message when `moto_server` is absent, failed under `CI=true`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hypercare::checks::RunInput;
use hypercare::results::{Ledger, Reason};

use super::fixtures::{details, expect, failures, pdf};

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts moto's S3 server on a free port, or says why not.
async fn moto() -> Option<(Moto, u16)> {
    let port = crate::helpers::free_port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(c) => Moto(c),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("moto_server is needed under CI=true (pip install \"moto[server]\"): {e}")
        }
        Err(e) => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped the S3 documents test: moto_server cannot start ({e}); pip install \"moto[server]\""
            );
            return None;
        }
    };
    let up = crate::helpers::wait_for(Duration::from_secs(30), || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;
    assert!(up.is_ok(), "moto_server did not listen within 30 s");
    Some((child, port))
}

#[tokio::test]
async fn documents_in_an_s3_compatible_store_are_checked_through_object_store() {
    let Some((_moto, port)) = moto().await else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let put = |path: String, body: Vec<u8>| {
        let http = http.clone();
        async move {
            let r = http
                .put(path)
                .header("content-type", "application/pdf")
                .body(body)
                .send()
                .await
                .expect("put");
            assert!(r.status().is_success(), "{}", r.status());
        }
    };
    put(format!("{endpoint}/records"), Vec::new()).await;
    put(format!("{endpoint}/records/2024/ok.pdf"), pdf("ok")).await;
    let mut altered = pdf("altered");
    altered[10] ^= 1;
    put(format!("{endpoint}/records/2024/altered.pdf"), altered).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let rows = vec![
        super::fixtures::Row::good(
            "ok",
            "s3://records/2024/ok.pdf".into(),
            "application/pdf",
            &pdf("ok"),
        ),
        super::fixtures::Row::good(
            "altered",
            "s3://records/2024/altered.pdf".into(),
            "application/pdf",
            &pdf("altered"),
        ),
        super::fixtures::Row::good(
            "gone",
            "s3://records/2023/gone.pdf".into(),
            "application/pdf",
            &pdf("gone"),
        ),
    ];
    let db = super::fixtures::inventory_db(dir.path(), &rows).await;
    let storage = format!(
        "storage = {{ s3_endpoint = \"{endpoint}\", s3_region = \"us-east-1\", s3_allow_http = true, s3_access_key_id_env = \"S3_KEY\", s3_secret_access_key_env = \"S3_SECRET\", allowed_buckets = [\"records\"] }}"
    );
    let env = |v: &str| matches!(v, "S3_KEY" | "S3_SECRET").then(|| "testing".to_string());
    for (share, expected) in [
        // HEAD: reachability and size only.
        ("0", expect(&[("gone", Reason::NotFound)])),
        // GET: the altered object's hash differs.
        (
            "1",
            expect(&[
                ("gone", Reason::NotFound),
                ("altered", Reason::HashMismatch),
            ]),
        ),
    ] {
        let text = super::fixtures::config(&db, &format!("content_share = {share}\n{storage}"));
        let cfg = hypercare::config::parse(&text, std::path::Path::new("s3.toml"), &env)
            .unwrap_or_else(|e| panic!("{e}"));
        let sources = hypercare::sources::Sources::from_config(&cfg).expect("sources");
        let check = hypercare::checks::build_all(&cfg, &sources).remove(0);
        let result = check
            .run(RunInput::remembering(None, Ledger::default()))
            .await
            .result;
        assert_eq!(failures(details(&result)), expected, "{}", result.summary);
        sources.close().await;
    }
}
