//! The staff form over real loopback HTTP: stored redacted, PHI warning,
//! CSRF, rate limit, body limit, validation, store failure.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, ORIGIN, RETRY_AFTER};

use super::fixtures::{App, Setup, open_form, post, valid_fields};
use crate::helpers::{exec, fresh_postgres, sample};

const RAW: &str = "Could not find MRN 4455667 (also E123456), SSN 123-45-6789, DOB 04/05/1961, call 555-201-3344 or pat@mail.example.org";

/// Every file of a SQLite store, as bytes, to search for text that must not be there.
fn sqlite_bytes(app: &App) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(app.dir.path().join(format!("store.db{suffix}"))) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn report_is_stored_redacted(app: &App) {
    let b = open_form(app, "?clinic=east&role=nurse").await;
    assert!(
        b.html.contains(r#"<option value="east" selected>"#),
        "clinic preset by link"
    );
    assert!(
        b.html.contains(r#"<option value="nurse" selected>"#),
        "role preset by link"
    );
    assert!(
        b.html.contains("we cannot catch names"),
        "the form says names are not caught"
    );

    // First the guard warns and shows the text back, storing nothing.
    let (status, page) = post(app, &b, &valid_fields(RAW)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Please take out patient details"), "{page}");
    assert!(page.contains("Names are not caught automatically"));
    assert!(
        page.contains("4455667"),
        "the reporter's own text comes back in the response"
    );
    assert_eq!(app.stored().await, 0);

    // Sent anyway: stored with every identifier removed.
    let mut fields = valid_fields(RAW);
    fields.push(("phi_ack", "yes".into()));
    let (status, page) = post(app, &b, &fields).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Thank you: report #"), "{page}");
    assert!(
        page.contains("/feedback?clinic=east&amp;role=nurse"),
        "another report keeps the presets"
    );
    let items = app.state.feedback.list(&Default::default()).await.unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(
        item.text,
        "Could not find [MRN removed] (also [MRN removed]), SSN [SSN removed], [date of birth removed], call [phone number removed] or [e-mail removed]"
    );
    assert_eq!(
        item.redacted,
        ["site_mrn", "mrn", "ssn", "date_of_birth", "email", "phone"]
    );
    assert_eq!(
        (item.clinic.as_deref(), item.role.as_str(), item.workaround),
        (Some("east"), "nurse", true)
    );
    assert_eq!(item.status, "new");
    assert_eq!(item.contact.as_deref(), Some("ext 4411"));

    // A second POST of the same form (refresh, double click) stores nothing new.
    let (status, again) = post(app, &b, &fields).await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.contains(&format!("report #{} is in", item.id)));
    assert_eq!(app.stored().await, 1);

    let m = app.metrics().await;
    let labels = r#"{category="notes_slow",clinic="east",severity="blocks_work"}"#;
    assert_eq!(
        sample(&m, &format!("hypercare_feedback_submissions_total{labels}")),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            r#"hypercare_feedback_workarounds_total{category="notes_slow",clinic="east"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&m, r#"hypercare_feedback_open{severity="blocks_work"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(&m, "hypercare_feedback_phi_warnings_total"),
        Some(1.0)
    );
    assert_eq!(
        sample(&m, r#"hypercare_feedback_redactions_total{kind="ssn"}"#),
        Some(1.0)
    );
}

#[tokio::test]
async fn a_report_is_stored_redacted_once_and_counted_and_raw_text_never_reaches_disk_on_sqlite() {
    let app = App::start(Setup::default()).await;
    report_is_stored_redacted(&app).await;
    let on_disk = sqlite_bytes(&app);
    assert!(
        contains(&on_disk, "[SSN removed]"),
        "the redacted text is in the store"
    );
    for raw in [
        "4455667",
        "E123456",
        "123-45-6789",
        "04/05/1961",
        "555-201-3344",
        "pat@mail.example.org",
    ] {
        assert!(!contains(&on_disk, raw), "`{raw}` reached the SQLite files");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_report_is_stored_redacted_once_and_counted_on_postgres() {
    let Some(url) = fresh_postgres("feedback_form_postgres").await else {
        return;
    };
    let app = App::start(Setup {
        store_url: Some(url),
        ..Setup::default()
    })
    .await;
    report_is_stored_redacted(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn missing_and_unknown_fields_are_named_next_to_the_field() {
    let app = App::start(Setup::default()).await;
    let b = open_form(&app, "").await;
    let fields = vec![
        ("clinic", "atlantis".to_string()),
        ("role", "nurse".into()),
        ("text", "slow".into()),
    ];
    let (status, page) = post(&app, &b, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Please fix 3 things"), "{page}");
    for (id, message) in [
        ("clinic-error", "Choose a clinic from the list."),
        ("category-error", "Choose what the problem is about."),
        ("severity-error", "Choose how much it affects your work."),
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "no {id}");
        assert!(page.contains(message), "{message}");
    }
    assert!(page.contains(r#"aria-invalid="true""#));
    assert!(page.contains(">slow</textarea>"), "the text is kept");
    assert_eq!(app.stored().await, 0);
    app.stop().await;
}

/// The contact line holds contact details only: patient data there sends
/// the form back with the field marked, and nothing is stored.
#[tokio::test]
async fn patient_data_in_the_contact_line_is_refused_not_stored() {
    let app = App::start(Setup::default()).await;
    let b = open_form(&app, "").await;
    let mut fields = valid_fields("Notes screen freezes");
    fields.retain(|(k, _)| *k != "contact");
    fields.push(("contact", "about MRN 8812345, DOB 3/3/1950".into()));
    let (status, page) = post(&app, &b, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"contact-error\""), "{page}");
    assert!(
        page.contains("this looks like patient information"),
        "{page}"
    );
    assert!(
        page.contains(">Notes screen freezes</textarea>"),
        "the text is kept"
    );
    assert_eq!(app.stored().await, 0);
    fields.retain(|(k, _)| *k != "contact");
    fields.push(("contact", "Ana Cruz, ana.cruz@clinic.example.org".into()));
    assert_eq!(post(&app, &b, &fields).await.0, StatusCode::OK);
    let items = app.state.feedback.list(&Default::default()).await.unwrap();
    assert_eq!(
        items[0].contact.as_deref(),
        Some("Ana Cruz, ana.cruz@clinic.example.org")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_post_without_a_matching_csrf_pair_is_refused_and_keeps_the_text() {
    let app = App::start(Setup::default()).await;
    let b = open_form(&app, "").await;
    let fields = valid_fields("typed before the token went missing");
    let client = reqwest::Client::new();
    let mut form: Vec<(&str, String)> = vec![("csrf", b.csrf.clone())];
    form.extend(fields.iter().cloned());

    // No cookie (another site cannot send ours), a forged token, another origin.
    let no_cookie = client
        .post(app.url("/feedback"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let mut forged = form.clone();
    forged[0].1 = "AAAA".repeat(19);
    let forged = client
        .post(app.url("/feedback"))
        .header(COOKIE, format!("hc_csrf={}", forged[0].1))
        .form(&forged)
        .send()
        .await
        .unwrap();
    let cross = client
        .post(app.url("/feedback"))
        .header(COOKIE, &b.cookie)
        .header(ORIGIN, "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    for r in [no_cookie, forged, cross] {
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("typed before the token went missing"),
            "{page}"
        );
        assert!(page.contains("Your report was not sent yet"));
    }
    assert_eq!(app.stored().await, 0);
    let m = app.metrics().await;
    assert_eq!(
        sample(&m, r#"hypercare_feedback_rejected_total{reason="csrf"}"#),
        Some(3.0)
    );
    // The same browser with its pair passes.
    assert_eq!(post(&app, &b, &fields).await.0, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_client_over_the_rate_limit_gets_429_with_its_text_kept() {
    let app = App::start(Setup {
        rate_limit: 3,
        ..Setup::default()
    })
    .await;
    let b = open_form(&app, "").await;
    for n in 0..3 {
        let mut fields = valid_fields(&format!("report {n}"));
        fields.push(("submission_id", format!("rate-limit-test-{n}")));
        assert_eq!(post(&app, &b, &fields).await.0, StatusCode::OK);
    }
    let mut fields = valid_fields("the fourth one");
    fields.push(("submission_id", "rate-limit-test-4".into()));
    let all: Vec<(&str, String)> = [("csrf", b.csrf.clone())]
        .into_iter()
        .chain(fields)
        .collect();
    let r = reqwest::Client::new()
        .post(app.url("/feedback"))
        .header(COOKIE, &b.cookie)
        .form(&all)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    assert!(r.text().await.unwrap().contains("the fourth one"));
    assert_eq!(app.stored().await, 3);
    app.stop().await;
}

#[tokio::test]
async fn an_oversized_body_gets_413_before_it_is_read() {
    let app = App::start(Setup {
        max_body_bytes: 4096,
        ..Setup::default()
    })
    .await;
    let b = open_form(&app, "").await;
    let (status, page) = post(&app, &b, &valid_fields(&"x".repeat(5000))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{page}");
    let api = super::fixtures::admin(reqwest::Method::POST, app.url("/api/v1/feedback"))
        .header("content-type", "application/json")
        .body(format!("{{\"text\":\"{}\"}}", "y".repeat(5000)))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.stored().await, 0);
    app.stop().await;
}

async fn store_failure_keeps_the_text(app: &App) {
    let b = open_form(app, "").await;
    let fields = valid_fields("the lab interface dropped three orders this morning");
    exec(
        &app.store_url,
        "ALTER TABLE feedback RENAME TO feedback_away",
    )
    .await;
    let (status, page) = post(app, &b, &fields).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        page.contains("We could not save your report just now"),
        "{page}"
    );
    assert!(page.contains(">the lab interface dropped three orders this morning</textarea>"));
    assert!(
        page.contains(r#"<option value="east" selected>"#),
        "choices are kept too"
    );
    assert!(
        page.contains(&b.submission_id),
        "the retry is the same submission"
    );
    exec(
        &app.store_url,
        "ALTER TABLE feedback_away RENAME TO feedback",
    )
    .await;
    let (status, page) = post(app, &b, &fields).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(app.stored().await, 1);
    let m = app.metrics().await;
    assert_eq!(
        sample(
            &m,
            r#"hypercare_feedback_rejected_total{reason="store_error"}"#
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn a_store_failure_shows_a_clear_error_and_the_form_keeps_the_text_on_sqlite() {
    let app = App::start(Setup::default()).await;
    store_failure_keeps_the_text(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_store_failure_shows_a_clear_error_and_the_form_keeps_the_text_on_postgres() {
    let Some(url) = fresh_postgres("feedback_store_failure").await else {
        return;
    };
    let app = App::start(Setup {
        store_url: Some(url),
        ..Setup::default()
    })
    .await;
    store_failure_keeps_the_text(&app).await;
    app.stop().await;
}
