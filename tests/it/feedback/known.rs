//! Known issues, black-box: triage makes one from reports through the API
//! (PHI in title and workaround redacted), the form shows it to east's
//! nurses with a tap that is counted once, `/known` shows it without script,
//! and a reporter with an e-mail address gets exactly one mail per notice
//! through a real SMTP server (aiosmtpd); two replicas on PostgreSQL, one
//! restarted, queue each notice once.

use std::time::Duration;

use reqwest::header::{COOKIE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::fixtures::{App, Setup, admin, hidden, open_form};
use crate::alerts::{Smtp, have_aiosmtpd, messages, port};
use crate::helpers::{fresh_postgres, sample, wait_for};

pub fn relay(smtp_port: u16) -> String {
    format!(
        "\n[outbox]\npoll_interval = \"200ms\"\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\n\
         from = \"hypercare <hypercare@example.org>\"\ntimeout = \"3s\"\n"
    )
}

pub async fn report(app: &App, clinic: &str, contact: &str) -> i64 {
    let body = json!({"clinic": clinic, "role": "nurse", "category": "cannot_find_records",
        "severity": "slows_work", "workaround": true, "text": "search is slow", "contact": contact});
    let r = admin(Method::POST, app.url("/api/v1/feedback"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

pub async fn api(app: &App, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let r = admin(method, app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn move_to(app: &App, id: i64, to: &str) -> StatusCode {
    let path = format!("/api/v1/known-issues/{id}/status");
    api(
        app,
        Method::POST,
        &path,
        json!({"to": to, "note": "checked"}),
    )
    .await
    .0
}

async fn smtp_rows(app: &App) -> usize {
    let rows = app.state.store.outbox_rows("smtp").await.unwrap();
    rows.iter()
        .filter(|r| r.idempotency_key.starts_with("known:"))
        .count()
}

/// Taps as the browser would: the form's cookie, CSRF token and tap id.
async fn tap(app: &App, query: &str, id: i64, reuse: Option<&str>) -> (StatusCode, String, String) {
    let b = open_form(app, query).await;
    let tap_id = reuse.map_or_else(|| hidden(&b.html, "tap_id"), str::to_string);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(app.url(&format!("/known/{id}/tap")))
        .header(COOKIE, &b.cookie)
        .form(&[
            ("csrf", b.csrf.as_str()),
            ("tap_id", &tap_id),
            ("clinic", "east"),
            ("role", "nurse"),
        ])
        .send()
        .await
        .unwrap();
    let to = r
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status(), to, tap_id)
}

#[tokio::test]
async fn a_known_issue_is_shown_tapped_once_and_its_reporter_mailed_once_per_notice() {
    if !have_aiosmtpd("known-issue notices") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port(), &dir.path().join("maildir")).await;
    let app = App::start(Setup {
        extra: relay(smtp.port),
        ..Setup::default()
    })
    .await;
    let mailed = report(&app, "east", "dana.nurse@east.example.org").await;
    let no_address = report(&app, "east", "ext 4411").await;

    // PHI in the title and the workaround is caught as in reports.
    let new = json!({"title": "Chart search for MRN 4455667 takes a minute",
        "workaround": "Search by visit date, or call 555-201-3344 for help.",
        "clinics": ["east"], "roles": ["nurse"], "reports": [mailed, no_address]});
    let (status, issue) = api(&app, Method::POST, "/api/v1/known-issues", new).await;
    assert_eq!(status, StatusCode::CREATED, "{issue}");
    let id = issue["id"].as_i64().unwrap();
    assert_eq!(
        issue["title"],
        json!("Chart search for [MRN removed] takes a minute")
    );
    assert!(
        !issue["workaround"].as_str().unwrap().contains("3344"),
        "{issue}"
    );
    assert_eq!(issue["redacted"], json!(["mrn", "phone"]));
    assert_eq!(issue["reporters"], json!(2));
    // The original report stays, its trail says where it went; a second merge is refused.
    let (_, r) = api(
        &app,
        Method::GET,
        &format!("/api/v1/feedback/{mailed}"),
        Value::Null,
    )
    .await;
    assert_eq!(
        r["events"].as_array().unwrap().last().unwrap()["note"],
        json!(format!("merged into known issue #{id}"))
    );
    let (status, _) = api(
        &app,
        Method::POST,
        "/api/v1/known-issues",
        json!({"title": "again", "reports": [mailed]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // East's nurses see it; billing and north do not.
    assert!(
        open_form(&app, "?clinic=east&role=nurse")
            .await
            .html
            .contains("Chart search for [MRN removed]")
    );
    assert!(
        !open_form(&app, "?clinic=east&role=billing")
            .await
            .html
            .contains("Chart search")
    );
    assert!(
        !open_form(&app, "?clinic=north&role=nurse")
            .await
            .html
            .contains("Chart search")
    );

    // A tap is committed before the 303; the same tap again counts once.
    let (status, to, tap_id) = tap(&app, "?clinic=east&role=nurse", id, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        to,
        format!("/feedback?clinic=east&role=nurse&tapped={id}#known-{id}")
    );
    assert_eq!(
        tap(&app, "?clinic=east&role=nurse", id, Some(&tap_id))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let (_, shown) = api(
        &app,
        Method::GET,
        &format!("/api/v1/known-issues/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(shown["taps"], json!(1));
    // The admin page counts taps and workaround reports per clinic.
    let page = admin(Method::GET, app.url(&format!("/admin/known/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("east: 1 taps, 2 workaround reports"),
        "{page}"
    );
    // A tap from another site (no cookie pair) is refused.
    let forged = reqwest::Client::new()
        .post(app.url(&format!("/known/{id}/tap")))
        .form(&[
            ("csrf", "x"),
            ("tap_id", "forged-tap-1"),
            ("clinic", "east"),
            ("role", "nurse"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let back = open_form(&app, &format!("?clinic=east&role=nurse&tapped={id}"))
        .await
        .html;
    assert!(back.contains("Counted: thank you"));

    // Workaround, then fixed: one mail each, to the address only.
    assert_eq!(
        move_to(&app, id, "workaround_available").await,
        StatusCode::OK
    );
    assert_eq!(move_to(&app, id, "fixed").await, StatusCode::OK);
    // Back and forth: the fixed notice is not sent again.
    assert_eq!(move_to(&app, id, "monitoring").await, StatusCode::OK);
    assert_eq!(move_to(&app, id, "fixed").await, StatusCode::OK);
    assert_eq!(move_to(&app, id, "fixed").await, StatusCode::CONFLICT);
    let _ = wait_for(Duration::from_secs(20), || async {
        smtp.subjects().len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut subjects = smtp.subjects();
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            "Fixed: Chart search for [MRN removed] takes a minute".to_string(),
            "What to do meanwhile: Chart search for [MRN removed] takes a minute".to_string(),
        ]
    );
    // Quoted-printable bodies: soft breaks and `=` undone.
    let all = messages(&smtp.maildir)
        .join("\n")
        .replace("=\n", "")
        .replace("=3D", "=");
    assert!(all.contains("dana.nurse@east.example.org"));
    assert!(all.contains("/known?clinic=east"), "{all}");
    assert_eq!(smtp_rows(&app).await, 2);

    // The wall page: large type, refreshed, no script, no identifiers.
    let page = reqwest::get(app.url("/known?clinic=east"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Known problems at East Family Practice"));
    assert!(
        page.contains("Chart search for [MRN removed] takes a minute"),
        "{page}"
    );
    assert!(
        page.contains(">Fixed<"),
        "a fix is shown to staff still working around it"
    );
    assert!(page.contains(r#"http-equiv="refresh""#));
    assert!(!page.contains("<script") && !page.contains("4455667"));

    let m = app.metrics().await;
    assert_eq!(
        sample(
            &m,
            r#"hypercare_known_issues{clinic="east",status="fixed"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &m,
            r#"hypercare_known_issues{clinic="north",status="fixed"}"#
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &m,
            r#"hypercare_known_issue_taps_total{clinic="east",role="nurse",status="investigating"}"#
        ),
        Some(1.0)
    );
    app.stop().await;
}

#[tokio::test]
async fn two_replicas_on_postgres_one_restarted_queue_each_notice_once() {
    let Some(url) = fresh_postgres("known-issue notices across replicas").await else {
        return;
    };
    if !have_aiosmtpd("known-issue notices across replicas") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port(), &dir.path().join("maildir")).await;
    let setup = || Setup {
        store_url: Some(url.clone()),
        extra: relay(smtp.port),
        ..Setup::default()
    };
    let a = App::start(setup()).await;
    let b = App::start(setup()).await;
    let mut reports = Vec::new();
    for i in 0..6 {
        reports.push(report(&a, "east", &format!("nurse{i}@east.example.org")).await);
    }
    let new = json!({"title": "Lab results arrive late", "workaround": "Phone the lab.",
        "clinics": ["east"], "reports": reports[..3]});
    let (_, issue) = api(&a, Method::POST, "/api/v1/known-issues", new).await;
    let id = issue["id"].as_i64().unwrap();
    // Both replicas are asked to post the workaround at once: one moves it.
    let (x, y) = tokio::join!(
        move_to(&a, id, "workaround_available"),
        move_to(&b, id, "workaround_available")
    );
    let mut got = [x, y];
    got.sort();
    assert_eq!(got, [StatusCode::OK, StatusCode::CONFLICT]);
    // Replica b restarts; on its return it merges more reports and marks it fixed.
    b.stop().await;
    let b = App::start(setup()).await;
    let path = format!("/api/v1/known-issues/{id}/reports");
    let (status, _) = api(&b, Method::POST, &path, json!({"reports": reports[3..]})).await;
    assert_eq!(status, StatusCode::OK);
    let (x, y) = tokio::join!(move_to(&a, id, "fixed"), move_to(&b, id, "fixed"));
    assert!(x == StatusCode::OK || y == StatusCode::OK);
    let rows = a.state.store.outbox_rows("smtp").await.unwrap();
    let mut keys: Vec<&str> = rows.iter().map(|r| r.idempotency_key.as_str()).collect();
    keys.sort();
    let before = keys.len();
    keys.dedup();
    assert_eq!(before, keys.len());
    // 6 reporters told of the fix; the workaround to the first 3 at the move
    // and to the 3 merged later at their merge.
    assert_eq!(keys.iter().filter(|k| k.contains(":fixed:")).count(), 6);
    assert_eq!(
        keys.iter().filter(|k| k.contains(":workaround:")).count(),
        6
    );
    // Both replicas deliver from the one outbox: each mail reaches the relay once.
    let _ = wait_for(Duration::from_secs(30), || async {
        smtp.subjects().len() >= 12
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = messages(&smtp.maildir);
    assert_eq!(all.len(), 12);
    for i in 0..6 {
        let to = format!("To: nurse{i}@east.example.org");
        assert_eq!(all.iter().filter(|m| m.contains(&to)).count(), 2, "{to}");
    }
    a.stop().await;
    b.stop().await;
}
