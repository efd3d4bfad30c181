//! MLLP steps against a real MLLP server: the `hl7` package's asyncio
//! server (PyPI) in `mllp_server.py`, answering AA, AE, AA after a known
//! delay (with the wait it measured), or nothing, by message type; and the
//! same over TLS.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hypercare::results::{Outcome, StepOutcome};

use super::*;
use crate::alerts::{python, tool};
use crate::helpers::{free_port, wait_for};

/// The delay the server waits before ACKing a QRY^A19.
const DELAY_MS: f64 = 200.0;

/// The engine, killed on drop.
struct Engine {
    child: Child,
    port: u16,
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn have_hl7(test: &str) -> bool {
    let probe = &mut Command::new(python());
    probe.args(["-c", "import hl7.mllp"]);
    tool(test, "hl7 (Python)", probe, "python3 -m pip install hl7")
}

async fn engine(tls: Option<(&Path, &Path)>) -> Engine {
    let port = free_port();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/workflows/mllp_server.py"
    );
    let mut cmd = Command::new(python());
    cmd.arg(script)
        .arg(port.to_string())
        .args(["--delay-ms", &DELAY_MS.to_string()]);
    if let Some((cert, key)) = tls {
        cmd.arg("--tls").arg(cert).arg(key);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mllp_server.py");
    let engine = Engine { child, port };
    wait_for(Duration::from_secs(20), || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await
    .expect("the MLLP server did not start listening");
    engine
}

/// One workflow of one MLLP step, then an HTTP step that shows the extracted variables.
fn probe(name: &str, addr: &str, kind: &str, extra: &str) -> String {
    format!(
        r#"
[[workflows]]
name = "{name}"
schedule = "0 0 * * * *"
target = "ehr"
vars = {{ mrn = "T|42^x" }}

[[workflows.steps]]
name = "send"
mllp = "{addr}"
message = """
MSH|^~\\&|HYPERCARE|PROBE|ENGINE|HOSP|20261206120000||{kind}|HC{{{{run}}}}|P|2.5
EVN|A08|20261206120000
PID|1||{{{{mrn}}}}^^^HOSP^MR||TEST^PROBE
"""
{extra}
"#
    )
}

const SHOW: &str = r#"
[[workflows.steps]]
name = "show"
path = "Patient"
query = { identifier = "{{ack_id}}", visits = "{{error_code}}" }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mllp_steps_record_aa_ae_and_timeout_from_a_real_engine() {
    if !have_hl7("MLLP steps") {
        return;
    }
    let engine = engine(None).await;
    let addr = format!("127.0.0.1:{}", engine.port);
    let closed = format!("127.0.0.1:{}", free_port());
    let (base, ehr) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let ae_expected = "extract = { ack_id = \"MSA-2\", error_code = \"ERR-3.1\" }\nexpect = { ack = [\"AE\", \"AR\"] }";
    let text = [
        source(&base),
        probe(
            "adt",
            &addr,
            "ADT^A08",
            "extract = { ack_id = \"MSA-2\", error_code = \"MSH-9.2\" }",
        ) + SHOW,
        probe("order_expected_ae", &addr, "ORM^O01", ae_expected) + SHOW,
        probe("order", &addr, "ORM^O01", ""),
        probe("silent", &addr, "ADT^A04", "timeout = \"300ms\""),
        probe("refused", &closed, "ADT^A08", ""),
        probe("capped", &addr, "ADT^A08", "")
            .replace("vars = {", "max_response_bytes = 20\nvars = {"),
    ]
    .concat();
    let config = load(dir.path(), &text);
    let run = |name: &'static str| {
        let check = build(&config, name);
        async move { check.run(Default::default()).await.result }
    };

    let r = run("adt").await;
    assert_eq!(r.outcome, Outcome::Pass, "{}", r.summary);
    // MSA-2 echoes the control id sent (HC + run 0); MSH-9.2 of the ACK is the trigger.
    let q = ehr.searches.lock().unwrap().last().cloned().unwrap();
    assert_eq!(q.get("identifier").map(String::as_str), Some("HC0"));
    assert_eq!(q.get("visits").map(String::as_str), Some("A08"));

    let r = run("order_expected_ae").await;
    assert_eq!(r.outcome, Outcome::Pass, "{}", r.summary);
    let q = ehr.searches.lock().unwrap().last().cloned().unwrap();
    assert_eq!(q.get("visits").map(String::as_str), Some("103"));

    let r = run("order").await;
    let w = workflow(&r.details);
    assert_eq!(r.outcome, Outcome::Fail, "{}", r.summary);
    assert_eq!(w.steps[0].outcome, StepOutcome::AckCode);
    assert_eq!(
        w.steps[0].error.as_deref(),
        Some("ACK AE, expected AA or CA")
    );

    let r = run("silent").await;
    let w = workflow(&r.details);
    assert_eq!(r.outcome, Outcome::Fail, "{}", r.summary);
    assert_eq!(w.steps[0].outcome, StepOutcome::Timeout);
    assert_eq!(w.steps[0].error.as_deref(), Some("timed out"));
    let took = w.steps[0].duration_ms.unwrap();
    assert!((300.0..400.0).contains(&took), "timed out after {took} ms");

    let r = run("refused").await;
    let w = workflow(&r.details);
    assert_eq!(r.outcome, Outcome::Error, "{}", r.summary);
    assert_eq!(w.steps[0].outcome, StepOutcome::Connect);

    // An ACK longer than the workflow's cap is not read to its end.
    let r = run("capped").await;
    let w = workflow(&r.details);
    assert_eq!(r.outcome, Outcome::Error, "{}", r.summary);
    assert_eq!(w.steps[0].error.as_deref(), Some("ACK over 20 bytes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mllp_ack_latency_matches_the_injected_delay() {
    if !have_hl7("MLLP latency") {
        return;
    }
    let engine = engine(None).await;
    let addr = format!("127.0.0.1:{}", engine.port);
    let (base, ehr) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let show = "[[workflows.steps]]\nname = \"show\"\npath = \"Patient\"\nquery = { identifier = \"{{waited}}\" }\n";
    let text = source(&base)
        + &probe(
            "query",
            &addr,
            "QRY^A19",
            "extract = { waited = \"MSA-3\" }",
        )
        + show;
    let check = build(&load(dir.path(), &text), "query");
    // The server sleeps 200 ms and writes in MSA-3 how long it really
    // waited between reading the message and writing the ACK (its wake-up
    // is late by a few ms on a loaded machine). The probe's figure must
    // cover that wait and add at most 5 ms to it: the median of 7 runs, up
    // to three rounds, as the machine may be shared.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let mut extra = Vec::new();
        for _ in 0..7 {
            let r = check.run(Default::default()).await.result;
            assert_eq!(r.outcome, Outcome::Pass, "{}", r.summary);
            let reported = workflow(&r.details).steps[0].duration_ms.unwrap();
            let q = ehr.searches.lock().unwrap().last().cloned().unwrap();
            let waited: f64 = q["identifier"].parse().unwrap();
            assert!(waited >= DELAY_MS, "the server waited {waited} ms");
            assert!(
                reported >= waited,
                "reported {reported} ms, the server waited {waited} ms"
            );
            extra.push(reported - waited);
        }
        extra.sort_by(f64::total_cmp);
        let median = extra[3];
        seen.push(median);
        if median <= 5.0 {
            eprintln!(
                "MLLP ACK latency over the server's wait: median {median:.3} ms of {extra:?}"
            );
            return;
        }
    }
    panic!("the probe added a median {seen:?} ms to the server's wait");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mllp_over_tls_trusts_the_ca_file_only() {
    if !have_hl7("MLLP over TLS") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A private CA and a certificate for 127.0.0.1 it signed.
    crate::alerts::mail_tls::certificates(dir.path());
    let (ca, cert, key) = (
        dir.path().join("ca.pem"),
        dir.path().join("relay.pem"),
        dir.path().join("relay.key"),
    );
    let engine = engine(Some((&cert, &key))).await;
    let addr = format!("127.0.0.1:{}", engine.port);
    let (base, _ehr) = serve().await;
    let trusted = format!("tls = true\nca_file = \"{}\"", ca.display());
    let text = [
        source(&base),
        probe("trusted", &addr, "ADT^A08", &trusted),
        probe("untrusted", &addr, "ADT^A08", "tls = true"),
    ]
    .concat();
    let config = load(dir.path(), &text);
    let r = build(&config, "trusted")
        .run(Default::default())
        .await
        .result;
    assert_eq!(r.outcome, Outcome::Pass, "{}", r.summary);
    let r = build(&config, "untrusted")
        .run(Default::default())
        .await
        .result;
    let w = workflow(&r.details);
    assert_eq!(r.outcome, Outcome::Error, "{}", r.summary);
    assert_eq!(w.steps[0].outcome, StepOutcome::Connect);
    assert_eq!(
        w.steps[0].error.as_deref(),
        Some("the TLS handshake failed")
    );
}
