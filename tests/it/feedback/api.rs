//! Triage through the JSON API: create (idempotent), moves with an audit
//! trail, filters, paging, the open gauge, replicas agreeing on it.

use reqwest::Method;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{Value, json};

use super::fixtures::{App, Setup, admin, open_form, valid_fields};
use crate::helpers::{fresh_postgres, sample};

async fn create(app: &App, body: Value) -> reqwest::Response {
    admin(Method::POST, app.url("/api/v1/feedback"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn report(clinic: &str, severity: &str, text: &str) -> Value {
    json!({ "clinic": clinic, "role": "front_desk", "category": "cannot_find_records", "severity": severity, "text": text })
}

async fn triage_scenario(app: &App) {
    // Create: 201 with Location; the same submission_id again is 200, same report.
    let mut body = report("east", "blocks_work", "search by MRN 9988776 finds nothing");
    body["submission_id"] = json!("kiosk-0001-abcd");
    let r = create(app, body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()[LOCATION].to_str().unwrap().to_string();
    let item: Value = r.json().await.unwrap();
    let id = item["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/feedback/{id}"));
    assert_eq!(
        item["text"], "search by [MRN removed] finds nothing",
        "the API redacts too"
    );
    assert_eq!(item["source"], "api");
    let again = create(app, body).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], id);
    let other: Value = create(app, report("north", "annoyance", "printer queue"))
        .await
        .json()
        .await
        .unwrap();

    // Invalid: each field named.
    let bad = create(
        app,
        json!({ "clinic": "mars", "role": "nurse", "category": "x", "severity": "meh" }),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad: Value = bad.json().await.unwrap();
    let fields: Vec<&str> = bad["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["clinic", "category", "severity"]);

    // Moves: acknowledged, resolve needs a note, resolved, no second resolve.
    let move_to = |to: &str, note: &str| {
        admin(
            Method::POST,
            app.url(&format!("/api/v1/feedback/{id}/transition")),
        )
        .json(&json!({ "to": to, "note": note }))
        .send()
    };
    assert_eq!(
        move_to("acknowledged", "").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        move_to("resolved", "  ").await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let done = move_to("resolved", "Rebuilt the MRN index").await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(done.json::<Value>().await.unwrap()["status"], "resolved");
    assert_eq!(
        move_to("resolved", "again").await.unwrap().status(),
        StatusCode::CONFLICT
    );
    let missing = admin(Method::POST, app.url("/api/v1/feedback/999999/transition"))
        .json(&json!({ "to": "acknowledged" }))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // The audit trail says who did what.
    let full: Value = admin(Method::GET, app.url(&format!("/api/v1/feedback/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let trail: Vec<(String, String, String)> = full["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["to"].as_str().unwrap().into(),
                e["note"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            ("api-token".into(), "new".into(), String::new()),
            ("api-token".into(), "acknowledged".into(), String::new()),
            (
                "api-token".into(),
                "resolved".into(),
                "Rebuilt the MRN index".into()
            ),
        ]
    );

    // Filters.
    let list = |q: &str| admin(Method::GET, app.url(&format!("/api/v1/feedback{q}"))).send();
    let resolved: Value = list("?status=resolved")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resolved["items"].as_array().unwrap().len(), 1);
    let north: Value = list("?clinic=north&severity=annoyance")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(north["items"][0]["id"], other["id"]);
    let page: Value = list("?limit=1").await.unwrap().json().await.unwrap();
    assert_eq!(page["next_before"], page["items"][0]["id"]);
    let bad = list("?category=teleportation").await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("unknown category")
    );

    // The open gauge follows the store.
    let m = app.metrics().await;
    assert_eq!(
        sample(&m, r#"hypercare_feedback_open{severity="blocks_work"}"#),
        Some(0.0),
        "{m}"
    );
    assert_eq!(
        sample(&m, r#"hypercare_feedback_open{severity="annoyance"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &m,
            r#"hypercare_feedback_transitions_total{status="resolved"}"#
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn triage_through_the_api_moves_reports_and_records_who_on_sqlite() {
    let app = App::start(Setup::default()).await;
    triage_scenario(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn triage_through_the_api_moves_reports_and_records_who_on_postgres() {
    let Some(url) = fresh_postgres("feedback_triage").await else {
        return;
    };
    let app = App::start(Setup {
        store_url: Some(url),
        ..Setup::default()
    })
    .await;
    triage_scenario(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn replicas_sharing_a_postgres_store_show_the_same_open_count() {
    let Some(url) = fresh_postgres("feedback_replicas").await else {
        return;
    };
    let a = App::start(Setup {
        store_url: Some(url.clone()),
        ..Setup::default()
    })
    .await;
    let b = App::start(Setup {
        store_url: Some(url),
        ..Setup::default()
    })
    .await;
    let browser = open_form(&b, "").await;
    let posted = reqwest::Client::new()
        .post(a.url("/feedback"))
        .header(COOKIE, &browser.cookie)
        .form(
            &[
                ("csrf", browser.csrf.clone()),
                ("submission_id", browser.submission_id.clone()),
            ]
            .into_iter()
            .chain(valid_fields("form from replica b, posted to replica a"))
            .collect::<Vec<_>>(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        posted.status(),
        StatusCode::OK,
        "the CSRF key is shared through the store"
    );
    b.state.feedback.refresh_open().await;
    let m = b.metrics().await;
    assert_eq!(
        sample(&m, r#"hypercare_feedback_open{severity="blocks_work"}"#),
        Some(1.0),
        "{m}"
    );
    a.stop().await;
    b.stop().await;
}

async fn retention_keeps_open_reports(app: &App) {
    use hypercare::store::StatusChange;
    let mut ids = Vec::new();
    for text in ["old and resolved", "old but open", "recently resolved"] {
        let r: Value = create(app, report("north", "annoyance", text))
            .await
            .json()
            .await
            .unwrap();
        ids.push(r["id"].as_i64().unwrap());
    }
    let store = &app.state.store;
    let day = 86_400_000;
    let now = chrono::Utc::now().timestamp_millis();
    for (id, at) in [(ids[0], now - 400 * day), (ids[2], now - day)] {
        let change = StatusChange {
            id,
            from: "new",
            to: "resolved",
            at_ms: at,
            actor: "test",
            note: "done",
        };
        assert!(store.change_feedback_status(&change).await.unwrap());
    }
    // The running app purges on its own schedule too and may get there
    // first: what must hold is the end state, checked below.
    let purged = store
        .purge_resolved_feedback(now - 365 * day)
        .await
        .unwrap();
    assert!(
        purged <= 1,
        "only the report resolved 400 days ago may go, purged {purged}"
    );
    assert!(store.get_feedback(ids[0]).await.unwrap().is_none());
    assert!(
        store.feedback_events(ids[0]).await.unwrap().is_empty(),
        "its audit trail goes with it"
    );
    assert!(
        store.get_feedback(ids[1]).await.unwrap().is_some(),
        "open reports are kept however old"
    );
    assert!(store.get_feedback(ids[2]).await.unwrap().is_some());
}

#[tokio::test]
async fn retention_deletes_only_reports_resolved_long_ago_on_sqlite() {
    let app = App::start(Setup::default()).await;
    retention_keeps_open_reports(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn retention_deletes_only_reports_resolved_long_ago_on_postgres() {
    let Some(url) = fresh_postgres("feedback_retention").await else {
        return;
    };
    let app = App::start(Setup {
        store_url: Some(url),
        ..Setup::default()
    })
    .await;
    retention_keeps_open_reports(&app).await;
    app.stop().await;
}
