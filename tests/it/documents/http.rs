//! Documents over HTTP on loopback: every reason the HTTP path can give,
//! planted once, by HEAD (reachability) and by GET (content).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hypercare::results::{Ledger, Outcome, Reason};

/// Locations name the loopback server itself (no base): its host is allowed.
const LOOPBACK: &str = "storage = { allowed_hosts = [\"127.0.0.1\"] }";

use super::fixtures::{
    JPEG, PNG, Row, config, details, expect, failures, inventory_db, pdf, run, sha1_hex,
};

#[derive(Default)]
struct Hits {
    heads: AtomicUsize,
    gets: AtomicUsize,
}

/// The planted documents: name → (status, content type, body, declared length).
async fn doc(State(hits): State<Arc<Hits>>, method: Method, Path(name): Path<String>) -> Response {
    if method == Method::HEAD {
        hits.heads.fetch_add(1, Ordering::SeqCst);
    } else {
        hits.gets.fetch_add(1, Ordering::SeqCst);
    }
    let ok = |ct: &'static str, body: Vec<u8>| ([(header::CONTENT_TYPE, ct)], body).into_response();
    match name.as_str() {
        "ok.pdf" => ok("application/pdf", pdf("ok")),
        "scan.jpg" => ok("image/jpeg", JPEG.to_vec()),
        "note.txt" => ok(
            "text/plain; charset=utf-8",
            b"Discharge note, nothing unusual.\n".to_vec(),
        ),
        "secret.pdf" => StatusCode::FORBIDDEN.into_response(),
        // A redirect to a host the check may not reach: not followed.
        "moved.pdf" => (
            StatusCode::FOUND,
            [(header::LOCATION, "http://169.254.169.254/latest/meta-data/")],
        )
            .into_response(),
        "broken.pdf" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        "slow.pdf" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            ok("application/pdf", pdf("slow"))
        }
        // Served with a type the metadata does not claim.
        "typed-png.pdf" => ok("image/png", PNG.to_vec()),
        // Shorter than the metadata says (a truncated copy).
        "short.pdf" => ok("application/pdf", pdf("short")[..20].to_vec()),
        // Content: PNG bytes labelled PDF everywhere.
        "png-inside.pdf" => ok("application/pdf", PNG.to_vec()),
        // Content: a PDF with one byte changed after its hash was taken.
        "altered.pdf" => {
            let mut b = pdf("altered");
            b[12] ^= 1;
            ok("application/pdf", b)
        }
        // Content: an HTML error page served as the PDF.
        "error-page.pdf" => ok(
            "application/pdf",
            b"<html><body>Session expired</body></html>".to_vec(),
        ),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A server that refuses HEAD (405) and answers a one-byte range instead.
async fn ranged(State(hits): State<Arc<Hits>>, headers: axum::http::HeaderMap) -> Response {
    hits.gets.fetch_add(1, Ordering::SeqCst);
    let body = pdf("ok");
    if headers.get(header::RANGE).and_then(|v| v.to_str().ok()) == Some("bytes=0-0") {
        let range = format!("bytes 0-0/{}", body.len());
        return (
            StatusCode::PARTIAL_CONTENT,
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_RANGE, range),
            ],
            body[..1].to_vec(),
        )
            .into_response();
    }
    ([(header::CONTENT_TYPE, "application/pdf")], body).into_response()
}

async fn serve() -> (String, Arc<Hits>) {
    let hits = Arc::new(Hits::default());
    let app = Router::new()
        .route(
            "/nohead/ok.pdf",
            get(ranged).head(|| async { StatusCode::METHOD_NOT_ALLOWED }),
        )
        .route("/store/{name}", get(doc))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/store/"), hits)
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test]
async fn reachability_by_head_finds_every_planted_failure_once_with_its_reason() {
    let (base, hits) = serve().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| format!("{base}{name}");
    let ok = pdf("ok");
    let rows = vec![
        Row::good("ok", at("ok.pdf"), "application/pdf", &ok),
        // Relative to the configured base.
        Row::good("relative", "ok.pdf".into(), "application/pdf", &ok),
        Row::good("jpeg", at("scan.jpg"), "image/jpeg", JPEG),
        // HEAD refused: a one-byte ranged GET tells the size instead.
        Row::good(
            "no-head",
            base.replace("/store/", "/nohead/ok.pdf"),
            "application/pdf",
            &ok,
        ),
        Row::good("missing", at("missing.pdf"), "application/pdf", &ok),
        Row::good("secret", at("secret.pdf"), "application/pdf", &ok),
        Row::good("broken", at("broken.pdf"), "application/pdf", &ok),
        Row::good("slow", at("slow.pdf"), "application/pdf", &ok),
        Row::good("typed", at("typed-png.pdf"), "application/pdf", PNG),
        Row::good("short", at("short.pdf"), "application/pdf", &pdf("short")),
        Row::good(
            "unreachable",
            format!("http://127.0.0.1:{}/x.pdf", closed_port()),
            "application/pdf",
            &ok,
        ),
        // Hosts neither the base's nor listed: refused before any request.
        Row::good(
            "elsewhere",
            format!("http://localhost:{}/x.pdf", closed_port()),
            "application/pdf",
            &ok,
        ),
        Row::good("moved", at("moved.pdf"), "application/pdf", &ok),
        Row::good(
            "cloud-metadata",
            "http://169.254.169.254/latest/meta-data/".into(),
            "application/pdf",
            &ok,
        ),
        Row::good(
            "ftp",
            "ftp://files.example/x.pdf".into(),
            "application/pdf",
            &ok,
        ),
        Row {
            patient: None,
            ..Row::good("no-patient", at("ok.pdf"), "application/pdf", &ok)
        },
        Row {
            patient: Some("999"),
            ..Row::good("lost-patient", at("ok.pdf"), "application/pdf", &ok)
        },
        Row {
            status: "superseded",
            ..Row::good("old-version", at("missing.pdf"), "application/pdf", &ok)
        },
        Row {
            status: "entered-in-error",
            ..Row::good("mistake", at("missing.pdf"), "application/pdf", &ok)
        },
    ];
    let db = inventory_db(dir.path(), &rows).await;
    let text = config(
        &db,
        &format!(
            "content_share = 0\nstorage = {{ base = \"{base}\", allowed_hosts = [\"127.0.0.1\"] }}"
        ),
    );
    let result = run(&text, Ledger::default()).await;
    let d = details(&result);
    assert_eq!(result.outcome, Outcome::Fail, "{}", result.summary);
    assert_eq!(
        failures(d),
        expect(&[
            ("missing", Reason::NotFound),
            ("secret", Reason::Forbidden),
            ("broken", Reason::ServerError),
            ("slow", Reason::Timeout),
            ("typed", Reason::TypeMismatch),
            ("short", Reason::SizeMismatch),
            ("unreachable", Reason::Unreachable),
            ("elsewhere", Reason::LocationNotAllowed),
            ("cloud-metadata", Reason::LocationNotAllowed),
            ("moved", Reason::LocationNotAllowed),
            ("ftp", Reason::InvalidLocation),
            ("no-patient", Reason::MetadataMissing),
            ("lost-patient", Reason::BrokenLink),
        ])
    );
    assert_eq!(d.inventory, 17);
    assert_eq!(d.checked, 17);
    assert_eq!(d.content_checked, 0);
    assert_eq!(d.skipped.get("superseded"), Some(&1));
    assert_eq!(d.skipped.get("entered-in-error"), Some(&1));
    assert_eq!(d.coverage, 1.0);
    assert_eq!(
        hits.gets.load(Ordering::SeqCst),
        1,
        "reachability asks HEAD only, but for the one ranged GET where HEAD is refused"
    );
    // Ids stay in the details: the summary has counts and reasons only.
    assert!(
        !result.summary.contains("missing,") && !result.summary.contains("127.0.0.1"),
        "{}",
        result.summary
    );
    assert!(result.summary.contains("13 failed"), "{}", result.summary);
}

#[tokio::test]
async fn content_verification_finds_wrong_bytes_by_size_magic_and_hash() {
    let (base, hits) = serve().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| format!("{base}{name}");
    let note = b"Discharge note, nothing unusual.\n";
    let rows = vec![
        Row::good("ok", at("ok.pdf"), "application/pdf", &pdf("ok")),
        // A legacy row: hex SHA-1.
        Row {
            hash: Some(sha1_hex(note)),
            hash_algorithm: Some("sha1"),
            ..Row::good("note", at("note.txt"), "text/plain", note)
        },
        Row::good("short", at("short.pdf"), "application/pdf", &pdf("short")),
        Row::good("png-inside", at("png-inside.pdf"), "application/pdf", PNG),
        Row::good(
            "altered",
            at("altered.pdf"),
            "application/pdf",
            &pdf("altered"),
        ),
        Row {
            hash: None,
            size: None,
            ..Row::good("error-page", at("error-page.pdf"), "application/pdf", b"")
        },
    ];
    let db = inventory_db(dir.path(), &rows).await;
    let result = run(
        &config(&db, &format!("content_share = 1.0\n{LOOPBACK}")),
        Ledger::default(),
    )
    .await;
    let d = details(&result);
    assert_eq!(
        failures(d),
        expect(&[
            ("short", Reason::SizeMismatch),
            ("png-inside", Reason::TypeMismatch),
            ("altered", Reason::HashMismatch),
            ("error-page", Reason::Unreadable),
        ])
    );
    assert_eq!(d.content_checked, 6);
    assert_eq!(d.content_coverage, 1.0);
    assert_eq!(
        hits.heads.load(Ordering::SeqCst),
        0,
        "content is fetched by GET alone"
    );
    assert_eq!(hits.gets.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn the_request_rate_per_host_is_capped() {
    let (base, hits) = serve().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = pdf("ok");
    let rows: Vec<Row> = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]
        .iter()
        .map(|id| Row::good(id, format!("{base}ok.pdf"), "application/pdf", &ok))
        .collect();
    let db = inventory_db(dir.path(), &rows).await;
    let text = config(&db, &format!("content_share = 0\n{LOOPBACK}"))
        .replace("rate_per_host = 200", "rate_per_host = 4");
    let clock = std::time::Instant::now();
    let result = run(&text, Ledger::default()).await;
    let took = clock.elapsed();
    assert_eq!(details(&result).failed, 0, "{}", result.summary);
    assert_eq!(hits.heads.load(Ordering::SeqCst), 12);
    // A burst of 4, then 4 per second: 12 requests need at least 2 s.
    assert!(took >= Duration::from_millis(1900), "took {took:?}");
}
