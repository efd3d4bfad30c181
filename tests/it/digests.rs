//! Digests end to end: a real SMTP server (aiosmtpd) receives the digest,
//! Python's `email` package parses it as MIME; a restart inside the send
//! window sends nothing twice; the demo-style mail folder gets `.eml` files.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::alerts::{Smtp, have_aiosmtpd, messages, port, python};
use crate::helpers::{BIN, Daemon, exec, sample, wait_for, write_config};

/// Prints one JSON object about an e-mail file: its MIME tree, the text and
/// HTML parts, and each inline image (content id, type, bytes as base64).
const PARSE: &str = r#"
import base64, email, json, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
tree, text, html, images = [], None, None, []
for part in msg.walk():
    tree.append(part.get_content_type())
    ct = part.get_content_type()
    if ct == 'text/plain' and text is None:
        text = part.get_content()
    elif ct == 'text/html' and html is None:
        html = part.get_content()
    elif ct.startswith('image/'):
        images.append({'cid': part.get('Content-ID', ''), 'type': ct,
                       'disposition': part.get_content_disposition(),
                       'data': base64.b64encode(part.get_payload(decode=True)).decode()})
print(json.dumps({'to': msg['To'], 'subject': msg['Subject'], 'tree': tree,
                  'text': text, 'html': html, 'images': images}))
"#;

pub(crate) fn parse(file: &Path) -> serde_json::Value {
    let out = Command::new(python())
        .args(["-c", PARSE])
        .arg(file)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A source whose patients table has 100 rows and the target's 97.
async fn source(dir: &Path) -> String {
    let url = format!("sqlite://{}/src.db", dir.display());
    let mut sql = String::from("CREATE TABLE a (x INT); CREATE TABLE b (x INT);");
    for i in 0..100 {
        sql.push_str(&format!("INSERT INTO a VALUES ({i});"));
        if i < 97 {
            sql.push_str(&format!("INSERT INTO b VALUES ({i});"));
        }
    }
    exec(&url, &sql).await;
    url
}

fn config(listen: u16, store: &str, source: &str, schedule: &str, mail: &str) -> String {
    let go_live = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    format!(
        r#"[server]
listen = "127.0.0.1:{listen}"
[store]
url = "{store}"
[sources.s]
url = "{source}"
[[reconcile]]
name = "patients"
schedule = "* * * * * *"
source = {{ from = "s", sql = "SELECT COUNT(*) FROM a" }}
target = {{ from = "s", sql = "SELECT COUNT(*) FROM b" }}
[[clinics]]
id = "north"
name = "North Clinic"
[alerting]
evaluation_interval = "1s"
default_rules = false
[stabilization]
contingency_owner = "Dana Reyes"
escalation = ["on-call lead", "CMIO"]
evaluation_interval = "1s"
[[stabilization.waves]]
name = "wave1"
go_live = "{go_live}"
clinics = ["north"]
checks = ["patients"]
[[stabilization.criteria]]
name = "documents_ok"
kind = "document_accessibility"
[[stabilization.criteria]]
name = "no_blockers"
kind = "no_open_blockers"
[[stabilization.rollback]]
name = "patients_missing"
kind = "missing_records"
above = 0.01
[[digests]]
name = "morning"
schedule = "{schedule}"
recipients = ["lead@example.org", "cmio@example.org"]
send_window = "25h"
[outbox]
poll_interval = "200ms"
{mail}
"#
    )
}

fn smtp_section(port: u16) -> String {
    format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"hypercare <hypercare@example.org>\"\ntimeout = \"3s\"\n"
    )
}

fn maildir_files(maildir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = ["new", "cur"]
        .iter()
        .flat_map(|d| std::fs::read_dir(maildir.join(d)).into_iter().flatten())
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn a_digest_reaches_a_real_smtp_server_as_text_and_html_with_an_inline_png() {
    if !have_aiosmtpd("digest over SMTP") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port(), &dir.path().join("maildir")).await;
    let src = source(dir.path()).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let p = port();
    // A schedule that is not due (1 January): only `digest send` sends.
    let path = write_config(
        dir.path(),
        &config(p, &store, &src, "0 0 0 1 1 *", &smtp_section(smtp.port)),
    );
    let d = Daemon::start(&path, p).await;
    wait_for(Duration::from_secs(20), || async {
        sample(
            &d.metrics().await,
            r#"hypercare_rollback_trigger{clinic="north",trigger="patients_missing"}"#,
        ) == Some(1.0)
    })
    .await
    .expect("the rollback trigger is breached");
    let m = d.metrics().await;
    assert_eq!(
        sample(&m, r#"hypercare_stabilization_day{clinic="north"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &m,
            r#"hypercare_stabilization_criterion{clinic="north",criterion="documents_ok",state="unknown"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&m, r#"hypercare_stabilization_exit_ready{clinic="_all"}"#),
        Some(0.0)
    );
    let out = Command::new(BIN)
        .args(["digest", "send", "morning", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 message(s) queued, 2 delivered"));
    let files = maildir_files(&smtp.maildir);
    assert_eq!(files.len(), 2, "one message per recipient");

    // The figures the store holds for the check.
    let pool = sqlx::SqlitePool::connect(&store).await.unwrap();
    let details: String = sqlx::query_scalar(
        "SELECT details FROM runs WHERE check_name = 'patients' AND status = 'fail' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let details: serde_json::Value = serde_json::from_str(&details).unwrap();
    let (s, t) = (
        details["source_count"].as_i64().unwrap(),
        details["target_count"].as_i64().unwrap(),
    );
    assert_eq!((s, t), (100, 97));

    let mut to = Vec::new();
    for f in &files {
        let mail = parse(f);
        to.push(mail["to"].as_str().unwrap().to_string());
        let tree: Vec<&str> = mail["tree"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            tree,
            [
                "multipart/alternative",
                "text/plain",
                "multipart/related",
                "text/html",
                "image/png"
            ]
        );
        let text = mail["text"].as_str().unwrap();
        let html = mail["html"].as_str().unwrap();
        for body in [text, html] {
            assert!(body.contains("North Clinic"), "{body}");
            assert!(body.contains("day 1 of hypercare"), "{body}");
            assert!(
                body.contains(&format!("{} records differ", s - t)),
                "{body}"
            );
            assert!(
                body.contains(&format!(
                    "{} of {s} source records missing in the target (3.0 %)",
                    s - t
                )),
                "{body}"
            );
            assert!(body.contains("Contingency owner"), "{body}");
            assert!(body.contains("Dana Reyes"), "{body}");
        }
        assert!(text.contains("? documents_ok: unknown"), "{text}");
        assert!(text.contains("ROLLBACK DECISION NEEDED"), "{text}");
        // No external resources: the only image is the inline one.
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{html}"
        );
        let images = mail["images"].as_array().unwrap();
        assert_eq!(images.len(), 1);
        let cid = images[0]["cid"].as_str().unwrap();
        assert_eq!(cid, "<chart-north@hypercare>");
        assert!(html.contains("src=\"cid:chart-north@hypercare\""), "{html}");
        assert_eq!(images[0]["disposition"], "inline");
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(images[0]["data"].as_str().unwrap())
            .unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        assert_eq!((reader.info().width, reader.info().height), (420, 80));
    }
    to.sort();
    assert_eq!(to, ["cmio@example.org", "lead@example.org"]);
    drop(d);
}

#[tokio::test]
async fn a_restart_inside_the_send_window_does_not_send_the_digest_twice() {
    if !have_aiosmtpd("digest across a restart") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port(), &dir.path().join("maildir")).await;
    let src = source(dir.path()).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let p = port();
    // Daily at midnight with a 25 h window: always due, one period a day.
    let path = write_config(
        dir.path(),
        &config(p, &store, &src, "0 0 0 * * *", &smtp_section(smtp.port)),
    );
    let mut d = Daemon::start(&path, p).await;
    wait_for(Duration::from_secs(20), || async {
        messages(&smtp.maildir).len() >= 2
    })
    .await
    .expect("the digest goes out at start");
    let m = d.metrics().await;
    assert_eq!(
        sample(&m, r#"hypercare_digests_sent_total{digest="morning"}"#),
        Some(2.0)
    );
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).0, Some(0));
    let d2 = Daemon::start(&path, p).await;
    // The restarted daemon looks at once, then every 15 s: wait past a look.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        messages(&smtp.maildir).len(),
        2,
        "no second copy after the restart"
    );
    let m = d2.metrics().await;
    assert_eq!(
        sample(&m, r#"hypercare_digests_sent_total{digest="morning"}"#),
        Some(0.0)
    );
    let pool = sqlx::SqlitePool::connect(&store).await.unwrap();
    let sends: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM digest_sends")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sends, 2);
}

#[tokio::test]
async fn without_a_relay_each_digest_message_is_an_eml_file_in_the_mail_folder() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path()).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let mail = dir.path().join("mail");
    let p = port();
    let path = write_config(
        dir.path(),
        &config(
            p,
            &store,
            &src,
            "0 0 0 * * *",
            &format!("mail_dir = \"{}\"", mail.display()),
        ),
    );
    let _d = Daemon::start(&path, p).await;
    let count = || {
        std::fs::read_dir(&mail)
            .map(|r| {
                r.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    };
    wait_for(Duration::from_secs(20), || async { count() >= 2 })
        .await
        .expect("two .eml files");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count(), 2);
    let file = std::fs::read_dir(&mail)
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .unwrap();
    let text = std::fs::read_to_string(file.path()).unwrap();
    assert!(
        text.contains("Content-Type: multipart/alternative"),
        "{text}"
    );
    assert!(text.contains("Content-Type: image/png"), "{text}");
}

#[tokio::test]
async fn digest_preview_writes_html_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path()).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let path = write_config(
        dir.path(),
        &config(port(), &store, &src, "0 0 0 1 1 *", "mail_dir = \"mail\""),
    );
    let out = Command::new(BIN)
        .args(["digest", "preview", "morning", "--out"])
        .arg(dir.path().join("preview"))
        .arg("-c")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.path().join("preview/morning.html")).unwrap();
    assert!(html.contains("data:image/png;base64,"));
    let text = std::fs::read_to_string(dir.path().join("preview/morning.txt")).unwrap();
    assert!(text.contains("North Clinic — day 1 of hypercare"), "{text}");
    let bad = Command::new(BIN)
        .args(["digest", "preview", "nope", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no digest named `nope`"));
}

#[tokio::test]
async fn two_replicas_queuing_the_same_period_on_postgresql_queue_it_once() {
    let Some(url) = crate::helpers::fresh_postgres("digest replicas").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path()).await;
    let text = config(port(), &url, &src, "0 0 0 * * *", "mail_dir = \"mail\"");
    let cfg = hypercare::config::parse(&text, &dir.path().join("h.toml"), &|_| None).unwrap();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = hypercare::store::Store::open(&cfg.store).await.unwrap();
        let cards = std::sync::Arc::new(hypercare::derive::scorecard::Scorecards::new(store, &cfg));
        replicas.push(hypercare::digest::Digests::new(
            cards,
            &cfg,
            &prometheus::Registry::new(),
        ));
    }
    let now = chrono::Utc::now().timestamp_millis();
    // Each replica queues the same period four times, all at once.
    let attempts = replicas
        .iter()
        .flat_map(|r| (0..4).map(move |_| r.queue("morning", "2026-11-26T00:00:00Z", now)));
    let queued: Vec<usize> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(queued.iter().sum::<usize>(), 2, "{queued:?}");
    let store = hypercare::store::Store::open(&cfg.store).await.unwrap();
    assert_eq!(store.outbox_rows("smtp").await.unwrap().len(), 2);
    assert_eq!(store.digest_send_count("morning").await.unwrap(), 2);
}
