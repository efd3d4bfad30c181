//! End to end in real headless Chromium: a nurse fills the form on a phone,
//! is asked to take out an MRN, sends it, sees the thank-you page; the
//! command center finds the report in admin and resolves it. Screenshots of
//! the form (phone and desktop) land in `target/e2e/`.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::fixtures::{App, PASSWORD, Setup, USER};
use super::webdriver::{Driver, available};

fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000
}

#[tokio::test]
async fn a_nurse_reports_on_a_phone_and_the_command_center_resolves_it_in_chromium() {
    if !available("browser end to end") {
        return;
    }
    let app = App::start(Setup::default()).await;
    let browser = Driver::start().await;

    // Phone: the form preset for the clinic and role by its link.
    browser.viewport(390, 844, 2.0, true).await;
    browser
        .goto(&app.url("/feedback?clinic=east&role=nurse"))
        .await;
    let phone = browser.full_page_png().await;
    assert!(is_png(&phone));
    std::fs::write(shots_dir().join("feedback-form-phone.png"), &phone).unwrap();
    assert_eq!(browser.property("#clinic", "value").await, json!("east"));
    browser
        .click("input[name=category][value=cannot_find_records]")
        .await;
    browser.click("#severity-blocks_work").await;
    browser.click("#workaround").await;
    browser
        .type_into(
            "#text",
            "Patient MRN 4455667 does not come up by name search",
        )
        .await;
    browser.click("button[type=submit]").await;

    // The guard asks to take the MRN out; the text is still in the box.
    browser.wait_for(".warning h2").await;
    let warning = browser.text(".warning h2").await;
    assert_eq!(warning, "Please take out patient details");
    assert!(
        browser
            .text(".warning")
            .await
            .contains("Names are not caught automatically")
    );
    assert_eq!(
        browser.property("#text", "value").await,
        json!("Patient MRN 4455667 does not come up by name search")
    );
    assert_eq!(
        browser.property("#severity-blocks_work", "checked").await,
        json!(true),
        "choices survive"
    );
    browser
        .type_into(
            "#text",
            "Patients do not come up by name search since go-live",
        )
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for("a.button").await;

    let heading = browser.text("h1").await;
    assert!(heading.starts_with("Thank you: report #"), "{heading}");
    let id: i64 = heading
        .trim_start_matches("Thank you: report #")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (item, _) = app
        .state
        .feedback
        .get(id)
        .await
        .unwrap()
        .expect("stored before the thank-you page");
    assert_eq!(
        item.text,
        "Patients do not come up by name search since go-live"
    );

    // Desktop screenshot of a fresh form.
    browser.viewport(1280, 900, 1.0, false).await;
    browser.goto(&app.url("/feedback?clinic=east")).await;
    let desktop = browser.full_page_png().await;
    assert!(is_png(&desktop));
    std::fs::write(shots_dir().join("feedback-form-desktop.png"), &desktop).unwrap();

    // The command center signs in (basic auth, sent as a header), finds it, resolves it.
    browser.cdp("Network.enable", json!({})).await;
    let auth = format!("Basic {}", STANDARD.encode(format!("{USER}:{PASSWORD}")));
    browser
        .cdp(
            "Network.setExtraHTTPHeaders",
            json!({ "headers": { "Authorization": auth } }),
        )
        .await;
    browser.goto(&app.url("/admin/feedback?status=new")).await;
    browser.wait_for("table").await;
    browser
        .click(&format!("a[href='/admin/feedback/{id}']"))
        .await;
    browser.wait_for("#note").await;
    assert!(
        browser
            .text(".text-block")
            .await
            .contains("Patients do not come up by name search")
    );
    browser
        .type_into("#note", "Re-indexed patient names; search works again.")
        .await;
    browser.click("button[value=resolved]").await;
    browser.wait_for(".notice").await;
    let saved = browser.text(".notice").await;
    assert_eq!(saved, "Saved: the report is now resolved.");
    assert!(
        browser
            .source()
            .await
            .contains("Re-indexed patient names; search works again.")
    );
    let (item, events) = app.state.feedback.get(id).await.unwrap().unwrap();
    assert_eq!(item.status, "resolved");
    let last = events.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.note.as_str()),
        (USER, "Re-indexed patient names; search works again.")
    );

    drop(browser);
    app.stop().await;
}
