//! Known issues end to end in real headless Chromium on a phone: a nurse
//! opens east's form, sees east's known issue and its workaround, taps
//! "this affects me too"; the command center marks it fixed on its admin
//! page; the reporter who left an address gets exactly one mail at a real
//! SMTP server. Screenshots of the form and of `/known` land in `target/e2e/`.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::json;

use super::fixtures::{App, PASSWORD, Setup, USER};
use super::known::{api, relay, report};
use super::webdriver::{Driver, available};
use crate::alerts::{Smtp, have_aiosmtpd, messages, port};
use crate::helpers::wait_for;

fn shot(name: &str, png: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e");
    std::fs::create_dir_all(&dir).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    std::fs::write(dir.join(name), png).unwrap();
}

#[tokio::test]
async fn a_nurse_on_a_phone_sees_the_workaround_taps_and_the_reporter_is_mailed_once_when_fixed() {
    if !available("known issues in the browser") || !have_aiosmtpd("known issues in the browser") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port(), &dir.path().join("maildir")).await;
    let app = App::start(Setup {
        extra: relay(smtp.port),
        ..Setup::default()
    })
    .await;
    let reporter = report(&app, "east", "sam.rn@east.example.org").await;
    let new = json!({"title": "Chart search takes about a minute",
        "workaround": "Search by visit date in the schedule, then open the chart from there.",
        "clinics": ["east"], "roles": ["nurse", "physician"], "reports": [reporter]});
    let (_, issue) = api(&app, Method::POST, "/api/v1/known-issues", new).await;
    let id = issue["id"].as_i64().unwrap();
    let browser = Driver::start().await;

    browser.viewport(390, 844, 2.0, true).await;
    browser
        .goto(&app.url("/feedback?clinic=east&role=nurse"))
        .await;
    let card = format!("#known-{id}");
    assert_eq!(
        browser.text(&format!("{card} h3")).await,
        "Chart search takes about a minute"
    );
    assert!(
        browser
            .text(&format!("{card} .workaround"))
            .await
            .starts_with("Search by visit date")
    );
    shot("known-form-phone.png", &browser.full_page_png().await);
    browser.click(&format!("{card} button")).await;
    browser.wait_for(&format!("{card} .notice")).await;
    assert!(
        browser
            .text(&format!("{card} .notice"))
            .await
            .starts_with("Counted")
    );
    let d = app.state.feedback.known().get(id).await.unwrap().unwrap();
    assert_eq!(d.issue.taps, 1, "stored before the page said so");

    browser.goto(&app.url("/known?clinic=east")).await;
    assert_eq!(
        browser.text("h1").await,
        "Known problems at East Family Practice"
    );
    assert_eq!(
        browser.text(".known h3").await,
        "Chart search takes about a minute"
    );
    shot("known-wall-phone.png", &browser.full_page_png().await);

    // The command center marks it fixed on the admin page.
    browser.cdp("Network.enable", json!({})).await;
    let auth = format!("Basic {}", STANDARD.encode(format!("{USER}:{PASSWORD}")));
    browser
        .cdp(
            "Network.setExtraHTTPHeaders",
            json!({ "headers": { "Authorization": auth } }),
        )
        .await;
    browser.goto(&app.url(&format!("/admin/known/{id}"))).await;
    browser.wait_for("#note").await;
    browser.type_into("#note", "Search index rebuilt.").await;
    browser.click("button[value=fixed]").await;
    browser.wait_for(".notice").await;
    assert_eq!(browser.text(".notice").await, "Saved.");

    let _ = wait_for(Duration::from_secs(20), || async {
        !smtp.subjects().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = messages(&smtp.maildir);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("To: sam.rn@east.example.org"));
    assert!(mails[0].contains("Subject: Fixed: Chart search takes about a minute"));
    drop(browser);
    app.stop().await;
}
