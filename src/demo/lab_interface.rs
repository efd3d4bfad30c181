//! The demo lab system's HL7 v2 interface: an MLLP listener on a loopback
//! port that accepts every message (AA) except queries, which it does not
//! support and rejects with AE. The `lab_interface` workflow probes it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::config::workflows::hl7::{Hl7Field, escape};

/// A message larger than this closes the connection.
const MAX_MESSAGE: usize = 1024 * 1024;
/// A connection idle this long is closed.
const IDLE: Duration = Duration::from_secs(60);

pub async fn start() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((conn, _)) => {
                    tokio::spawn(serve(conn));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the demo lab interface stopped accepting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    Ok(addr)
}

/// Answers each framed message on one connection until it closes.
async fn serve(mut conn: TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(end) = buf.windows(2).position(|w| w == [0x1c, 0x0d]) {
            let message: Vec<u8> = buf.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&message[..end]);
            let ack = ack(text.trim_start_matches('\x0b'));
            if conn.write_all(&ack).await.is_err() {
                return;
            }
        }
        let read = tokio::time::timeout(IDLE, conn.read(&mut chunk)).await;
        match read {
            Ok(Ok(n)) if n > 0 && buf.len() + n <= MAX_MESSAGE => {
                buf.extend_from_slice(&chunk[..n]);
            }
            _ => return,
        }
    }
}

/// The framed ACK of one message: AE for a query (QRY, QBP), AA otherwise.
fn ack(message: &str) -> Vec<u8> {
    let field = |f: &str| {
        Hl7Field::parse(f)
            .ok()
            .and_then(|f| f.find(message))
            .map(|v| escape(&v))
            .unwrap_or_default()
    };
    let kind = field("MSH-9.1");
    let code = if matches!(kind.as_str(), "QRY" | "QBP") {
        "AE"
    } else {
        "AA"
    };
    let control = field("MSH-10");
    let now = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let mut text = format!(
        "MSH|^~\\&|LAB|DEMO|{}|{}|{now}||ACK^{}^ACK|LAB{control}|P|{}\rMSA|{code}|{control}",
        field("MSH-3"),
        field("MSH-4"),
        field("MSH-9.2"),
        field("MSH-12"),
    );
    if code == "AE" {
        text.push_str("\rERR||QRD^1|200^Unsupported message type^HL70357|E");
    }
    let mut out = Vec::with_capacity(text.len() + 3);
    out.push(0x0b);
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&[0x1c, 0x0d]);
    out
}

/// The `lab_interface` workflow against the listener at `addr`.
pub fn config_text(addr: SocketAddr) -> String {
    super::template::fill(
        include_str!("templates/lab_interface.toml"),
        &[("addr", addr.to_string())],
    )
}
