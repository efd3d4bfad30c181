//! A document host that declares (or sends) far more than a document can
//! be: 4 GB in its Content-Length, or an endless chunked body. The check
//! refuses the declared size up front (`too_large`, naming the size) and
//! cuts an undeclared one at `max_content_mb`, long before its
//! `request_timeout`; a declared size other than the inventory's is
//! `size_mismatch` without reading.

use std::time::{Duration, Instant};

use hypercare::results::{Ledger, Reason};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::fixtures::{Row, config, details, expect, failures, inventory_db, pdf, run};

const FOUR_GB: u64 = 4 << 30;

/// Reads the request head; returns its path.
async fn path_of(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    line.split(' ').nth(1).unwrap_or("/").to_string()
}

/// `/declared-N`: Content-Length N, a PDF start, then nothing for 30 s.
/// `/endless`: a chunked body of 64 KiB chunks until the client leaves.
async fn answer(mut s: TcpStream) {
    let path = path_of(&mut s).await;
    if let Some(n) = path.strip_prefix("/declared-") {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: {n}\r\n\r\n%PDF-1.4\n"
        );
        let _ = s.write_all(head.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        return;
    }
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nTransfer-Encoding: chunked\r\n\r\n";
    if s.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = [b'%'; 64 << 10];
    loop {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if s.write_all(&framed).await.is_err() {
            return;
        }
    }
}

async fn host() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(answer(s));
        }
    });
    format!("http://{addr}")
}

fn row(id: &'static str, location: String, sized: bool) -> Row {
    let mut r = Row::good(id, location, "application/pdf", &pdf(id));
    if !sized {
        r.size = None;
        r.hash = None;
        r.hash_algorithm = None;
    }
    r
}

#[tokio::test]
async fn a_host_declaring_4_gb_is_refused_up_front_and_an_endless_body_is_cut_at_the_cap() {
    let base = host().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = vec![
        row("huge", format!("{base}/declared-{FOUR_GB}"), false),
        row("huge-sized", format!("{base}/declared-{FOUR_GB}"), true),
        row("other-size", format!("{base}/declared-5000"), true),
        row("endless-sized", format!("{base}/endless"), true),
    ];
    let db = inventory_db(dir.path(), &rows).await;
    // The default cap (1024 MiB); a 10 s request bound the host would hold.
    let storage = "storage = { allowed_hosts = [\"127.0.0.1\"] }";
    let text = config(&db, &format!("content_share = 1.0\n{storage}"))
        .replace("request_timeout = \"1s\"", "request_timeout = \"10s\"");
    let started = Instant::now();
    let result = run(&text, Ledger::default()).await;
    let took = started.elapsed();
    let d = details(&result);
    assert_eq!(
        failures(d),
        expect(&[
            ("huge", Reason::TooLarge),
            ("huge-sized", Reason::TooLarge),
            ("other-size", Reason::SizeMismatch),
            ("endless-sized", Reason::SizeMismatch),
        ]),
        "{:?}",
        d.failures
    );
    let detail = |id: &str| {
        let f = d.failures.iter().find(|f| f.id == id).expect(id);
        f.detail.clone()
    };
    assert!(detail("huge").contains("declared 4294967296 bytes, over max_content_mb (1024 MiB)"));
    assert!(
        detail("other-size").contains("declared 5000: not read"),
        "{}",
        detail("other-size")
    );
    assert!(detail("endless-sized").contains("more were sent"));
    eprintln!("declared 4 GB and endless bodies: refused in {took:?} (request_timeout 10 s)");
    assert!(
        took < Duration::from_secs(5),
        "refused up front, not read: {took:?}"
    );

    // Without a size in the inventory, an endless body is cut at the cap.
    let rows = vec![row("endless", format!("{base}/endless"), false)];
    let dir = tempfile::tempdir().expect("tempdir");
    let db = inventory_db(dir.path(), &rows).await;
    let text = config(
        &db,
        &format!("content_share = 1.0\nmax_content_mb = 1\n{storage}"),
    )
    .replace("request_timeout = \"1s\"", "request_timeout = \"10s\"");
    let started = Instant::now();
    let result = run(&text, Ledger::default()).await;
    let took = started.elapsed();
    let d = details(&result);
    assert_eq!(failures(d), expect(&[("endless", Reason::TooLarge)]));
    assert!(
        d.failures[0]
            .detail
            .contains("more than max_content_mb (1 MiB)")
    );
    eprintln!("endless chunked body, no size: cut at 1 MiB in {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}
