//! MLLP steps: an HL7 v2 message framed `\x0b … \x1c\x0d` to an interface
//! engine (optionally over TLS), timed from connect to the last byte of its
//! acknowledgement; the ACK code (MSA-1) is judged and fields extracted.
//!
//! The step timeout bounds connect, send and read together; the ACK is
//! capped at `max_response_bytes`. Errors name the failure class and the
//! ACK code, never a field of the message (it may carry patient data).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use super::judge::{duration_problem, fail, failed};
use crate::config::workflows::hl7::{DEFAULT_ACKS, Hl7Field, MllpRequest, MllpTls, escape};
use crate::config::workflows::{Extract, Step};
use crate::results::{StepOutcome, StepResult, millis};

const START: u8 = 0x0b;
const END: [u8; 2] = [0x1c, 0x0d];

/// Why an exchange ended without an ACK.
struct Failure(StepOutcome, String);

pub(super) async fn run(
    step: &Step,
    req: &MllpRequest,
    vars: &mut BTreeMap<String, String>,
    cap: u64,
) -> StepResult {
    let message = req.message.render(vars, escape);
    let tls = match req.tls.as_ref().map(connector).transpose() {
        Ok(t) => t,
        Err(why) => return failed(step, StepOutcome::Connect, None, why),
    };
    let clock = Instant::now();
    let deadline = tokio::time::Instant::from_std(clock + step.timeout);
    let res = exchange(req, tls, message.as_bytes(), cap, deadline).await;
    let took = clock.elapsed();
    match res {
        Err(Failure(outcome, why)) => failed(step, outcome, Some(took), &why),
        Ok(ack) => judge(step, &String::from_utf8_lossy(&ack), took, vars),
    }
}

/// Connects (bounded by the deadline), then sends and reads the ACK.
async fn exchange(
    req: &MllpRequest,
    tls: Option<TlsConnector>,
    message: &[u8],
    cap: u64,
    deadline: tokio::time::Instant,
) -> Result<Vec<u8>, Failure> {
    let connect = TcpStream::connect((req.host.as_str(), req.port));
    let tcp = match tokio::time::timeout_at(deadline, connect).await {
        Err(_) => return Err(Failure(StepOutcome::Timeout, "connect timed out".into())),
        Ok(Err(_)) => return Err(connect_failure("cannot connect to the interface engine")),
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);
    let timed = async {
        match tls {
            None => send_and_read(tcp, message, cap).await,
            Some(c) => {
                let name = ServerName::try_from(req.host.clone())
                    .map_err(|_| connect_failure("the host is not a TLS server name"))?;
                let stream = c
                    .connect(name, tcp)
                    .await
                    .map_err(|_| connect_failure("the TLS handshake failed"))?;
                send_and_read(stream, message, cap).await
            }
        }
    };
    match tokio::time::timeout_at(deadline, timed).await {
        Err(_) => Err(Failure(StepOutcome::Timeout, "timed out".into())),
        Ok(r) => r,
    }
}

fn connect_failure(why: &str) -> Failure {
    Failure(StepOutcome::Connect, why.into())
}

/// Writes the framed message and reads one framed answer, at most `cap` bytes.
async fn send_and_read<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    message: &[u8],
    cap: u64,
) -> Result<Vec<u8>, Failure> {
    let framed = [&[START][..], message, &END].concat();
    let broken = |_| Failure(StepOutcome::Error, "the connection broke".into());
    s.write_all(&framed).await.map_err(broken)?;
    s.flush().await.map_err(broken)?;
    let limit = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        // Only the new bytes (and the one before them) can complete the end mark.
        let from = buf.len().saturating_sub(1);
        let n = s.read(&mut chunk).await.map_err(broken)?;
        if n == 0 {
            let why = "the engine closed the connection before its ACK";
            return Err(Failure(StepOutcome::Error, why.into()));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.first() != Some(&START) {
            return Err(Failure(
                StepOutcome::Error,
                "the answer is not MLLP-framed".into(),
            ));
        }
        // The ACK is what lies between the start byte and the end mark.
        let end = buf[from..]
            .windows(2)
            .position(|w| w == END)
            .map(|e| from + e);
        if end.unwrap_or(buf.len()).saturating_sub(1) > limit {
            return Err(Failure(StepOutcome::Error, format!("ACK over {cap} bytes")));
        }
        if let Some(end) = end {
            buf.truncate(end);
            buf.remove(0);
            return Ok(buf);
        }
    }
}

/// A TLS client trusting the Mozilla roots and the step's CA file.
fn connector(t: &MllpTls) -> Result<TlsConnector, &'static str> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in CertificateDer::pem_slice_iter(t.ca_pem.as_deref().unwrap_or_default()) {
        let cert = cert.map_err(|_| "the CA file is not PEM")?;
        roots
            .add(cert)
            .map_err(|_| "the CA file's certificate is unusable")?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| "no TLS version available")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Judges the ACK code, the expected text and the duration, then extracts.
fn judge(
    step: &Step,
    ack: &str,
    took: Duration,
    vars: &mut BTreeMap<String, String>,
) -> StepResult {
    let out = StepResult {
        name: step.name.to_string(),
        outcome: StepOutcome::Ok,
        duration_ms: Some(millis(took)),
        status: None,
        count: None,
        error: None,
    };
    let msa1 = Hl7Field::parse("MSA-1").ok().and_then(|f| f.find(ack));
    let Some(code) = msa1 else {
        let why = "the answer has no acknowledgement code (MSA-1)".to_string();
        return fail(out, StepOutcome::Error, why);
    };
    let accepted: Vec<&str> = match &step.expect.ack {
        Some(list) => list.iter().map(String::as_str).collect(),
        None => DEFAULT_ACKS.to_vec(),
    };
    if !accepted.contains(&code.as_str()) {
        // A code outside the six is not echoed: it is the engine's free text.
        let shown = if code.len() == 2 {
            code.as_str()
        } else {
            "not a code"
        };
        let why = format!("ACK {shown}, expected {}", accepted.join(" or "));
        return fail(out, StepOutcome::AckCode, why);
    }
    if let Some(text) = &step.expect.body_contains
        && !ack.contains(text.as_str())
    {
        let why = "the ACK does not contain the expected text".to_string();
        return fail(out, StepOutcome::Assertion, why);
    }
    if let Some(why) = duration_problem(&step.expect, took) {
        return fail(out, StepOutcome::Assertion, why);
    }
    match extract(step, ack, vars) {
        Some(why) => fail(out, StepOutcome::Extract, why),
        None => out,
    }
}

/// Takes the step's variables from the ACK, in order; what stopped it, if
/// a field is missing.
fn extract(step: &Step, ack: &str, vars: &mut BTreeMap<String, String>) -> Option<String> {
    for (var, from) in &step.extract {
        let Extract::Hl7(field) = from else { continue };
        match field.find(ack) {
            Some(v) => {
                vars.insert(var.clone(), v);
            }
            None => return Some(format!("`{var}` not found at {field}")),
        }
    }
    None
}
