//! Mail over TLS to a real SMTP server: STARTTLS and implicit TLS (SMTPS),
//! the relay's certificate issued by a private CA given as `ca_file`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{config, drifting_source, have_aiosmtpd, messages, port, python, tool};
use crate::helpers::{Daemon, wait_for, write_config};

/// A CA and a certificate for 127.0.0.1 signed by it, made with openssl.
pub(crate) fn certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let ok = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=hypercare test CA",
    ]);
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "relay.key",
        "-out",
        "relay.pem",
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
    ]);
}

async fn delivered_over(mode: &str, server_flags: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let maildir = dir.path().join("maildir");
    let smtp_port = port();
    let mut child = Command::new(python())
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{smtp_port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .args(server_flags)
        .arg(&maildir)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start aiosmtpd");
    let up = wait_for(Duration::from_secs(20), || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", smtp_port))
            .await
            .is_ok()
    })
    .await;
    assert!(up.is_ok(), "aiosmtpd did not listen");
    let source = drifting_source(dir.path()).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let smtp = format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"{mode}\"\nfrom = \"hypercare@example.org\"\n\
         ca_file = \"{}/ca.pem\"\ntimeout = \"3s\"\n[notifiers.mail]\ntype = \"email\"\nto = [\"oncall@example.org\"]\n",
        dir.path().display()
    );
    let p = port();
    let d = Daemon::start(
        &write_config(
            dir.path(),
            &config(p, &store, &source, "one", "\"mail\"", &smtp),
        ),
        p,
    )
    .await;
    let got = wait_for(Duration::from_secs(20), || async {
        !messages(&maildir).is_empty()
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(got.is_ok(), "no mail over {mode}:\n{}", d.metrics().await);
    assert!(messages(&maildir)[0].contains("Subject: [FIRING] patients_drift patients (critical)"));
}

fn tools(test: &str) -> bool {
    have_aiosmtpd(test)
        && tool(
            test,
            "openssl",
            Command::new("openssl").arg("version"),
            "apt-get install openssl",
        )
}

#[tokio::test]
async fn mail_goes_over_starttls_to_a_relay_with_a_private_ca() {
    if tools("mail over STARTTLS") {
        delivered_over(
            "starttls",
            &["--tlscert", "relay.pem", "--tlskey", "relay.key"],
        )
        .await;
    }
}

#[tokio::test]
async fn mail_goes_over_implicit_tls_to_a_relay_with_a_private_ca() {
    if tools("mail over TLS") {
        delivered_over(
            "tls",
            &["--smtpscert", "relay.pem", "--smtpskey", "relay.key"],
        )
        .await;
    }
}
