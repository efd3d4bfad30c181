//! The admin pages and the API's doors: credentials, a trusted proxy,
//! hostile text shown as text (HTML, JSON, CSV), resolving from the page.

use reqwest::Method;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE, LOCATION, WWW_AUTHENTICATE};
use serde_json::Value;

use super::fixtures::{
    App, PASSWORD, Setup, TOKEN, USER, admin, hidden, open_form, post, valid_fields,
};

const HOSTILE: &str =
    r#"<script>alert("x")</script><img src=x onerror=alert(1)> =HYPERLINK("http://evil")"#;

#[tokio::test]
async fn admin_pages_and_the_api_need_credentials() {
    let app = App::start(Setup::default()).await;
    let client = reqwest::Client::new();
    for path in [
        "/admin/feedback",
        "/admin/feedback/1",
        "/admin/feedback.csv",
        "/api/v1/feedback",
        "/api/v1/feedback/1",
    ] {
        let none = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(none.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            none.headers()[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
        let wrong = client
            .get(app.url(path))
            .bearer_auth("not-the-token-at-all")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let api = client
        .get(app.url("/api/v1/feedback"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.headers()["content-type"],
        "application/json",
        "API refusals are JSON"
    );
    let basic = client
        .get(app.url("/admin/feedback"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);
    let bearer = client
        .get(app.url("/api/v1/feedback"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    // The OpenAPI document is public: it holds no data.
    assert_eq!(
        client
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // A client guessing passwords is turned away, even with the right one after.
    for _ in 0..32 {
        client
            .get(app.url("/admin/feedback"))
            .basic_auth(USER, Some("guess"))
            .send()
            .await
            .unwrap();
    }
    let locked = client
        .get(app.url("/admin/feedback"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

#[tokio::test]
async fn without_configured_credentials_admin_and_api_refuse_everyone() {
    let app = App::start(Setup {
        no_admin: true,
        ..Setup::default()
    })
    .await;
    let r = reqwest::Client::new()
        .get(app.url("/admin/feedback"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Admin access is not configured")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_trusted_proxy_can_name_the_user() {
    let setup = Setup {
        server_extra:
            "trusted_user_header = \"X-Forwarded-User\"\ntrusted_proxies = [\"127.0.0.1\"]\n".into(),
        ..Setup::default()
    };
    let app = App::start(setup).await;
    let r = reqwest::Client::new()
        .get(app.url("/admin/feedback"))
        .header("x-forwarded-user", "dr.okafor")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn hostile_text_is_shown_as_text_in_admin_pages_api_and_csv() {
    let app = App::start(Setup::default()).await;
    let b = open_form(&app, "").await;
    assert_eq!(
        post(&app, &b, &valid_fields(HOSTILE)).await.0,
        StatusCode::OK
    );
    let id = app.state.feedback.list(&Default::default()).await.unwrap()[0].id;
    let get = |path: String| {
        reqwest::Client::new()
            .get(app.url(&path))
            .basic_auth(USER, Some(PASSWORD))
            .send()
    };
    for path in [
        "/admin/feedback".to_string(),
        format!("/admin/feedback/{id}"),
    ] {
        let r = get(path.clone()).await.unwrap();
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.starts_with("default-src 'none'"),
            "no script may run: {csp}"
        );
        let page = r.text().await.unwrap();
        assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"), "{path}: {page}");
        assert!(
            !page.contains("<script>") && !page.contains("<img src=x"),
            "{path}"
        );
    }
    let api = admin(Method::GET, app.url(&format!("/api/v1/feedback/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert_eq!(api.headers()["content-type"], "application/json");
    assert_eq!(
        api.json::<Value>().await.unwrap()["text"],
        HOSTILE,
        "JSON carries the text as data"
    );
    let csv = get("/admin/feedback.csv".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(r#""'<script>"#) || csv.contains(r#""<script>"#),
        "{csv}"
    );
    let formula = open_form(&app, "").await;
    let mut fields = valid_fields("=HYPERLINK(\"http://evil\",\"click\")");
    fields.push(("submission_id", "csv-formula-0001".into()));
    assert_eq!(post(&app, &formula, &fields).await.0, StatusCode::OK);
    let csv = get("/admin/feedback.csv".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(r#""'=HYPERLINK(""http://evil"",""click"")""#),
        "{csv}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_admin_page_resolves_a_report_with_a_note_and_csrf() {
    let app = App::start(Setup::default()).await;
    let b = open_form(&app, "").await;
    assert_eq!(
        post(&app, &b, &valid_fields("queue is slow")).await.0,
        StatusCode::OK
    );
    let id = app.state.feedback.list(&Default::default()).await.unwrap()[0].id;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let auth = format!("Bearer {TOKEN}");
    let page = client
        .get(app.url(&format!("/admin/feedback/{id}")))
        .header(AUTHORIZATION, &auth)
        .send()
        .await
        .unwrap();
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains(">Acknowledge</button>") && html.contains(">Resolve</button>"));
    let token = hidden(&html, "csrf");
    let send = |form: Vec<(&'static str, String)>, cookie: Option<String>| {
        let mut r = client
            .post(app.url(&format!("/admin/feedback/{id}/status")))
            .header(AUTHORIZATION, &auth)
            .form(&form);
        if let Some(c) = cookie {
            r = r.header(COOKIE, c);
        }
        r.send()
    };
    let no_csrf = send(vec![("to", "resolved".into()), ("note", "x".into())], None)
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let no_note = send(
        vec![("csrf", token.clone()), ("to", "resolved".into())],
        Some(cookie.clone()),
    )
    .await
    .unwrap();
    assert_eq!(no_note.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_note.text().await.unwrap().contains("needs a note"));
    let ok = send(
        vec![
            ("csrf", token),
            ("to", "resolved".into()),
            ("note", "Added an index".into()),
        ],
        Some(cookie),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        ok.headers()[LOCATION],
        format!("/admin/feedback/{id}?changed=1")
    );
    let (item, events) = app.state.feedback.get(id).await.unwrap().unwrap();
    assert_eq!(item.status, "resolved");
    assert_eq!(events.last().unwrap().actor, "api-token");
    app.stop().await;
}

/// More reports than one page: the export streams page after page (no
/// length known up front) and holds every report once, newest first.
#[tokio::test]
async fn the_csv_export_streams_every_page() {
    use hypercare::feedback::{Draft, Source};
    let app = App::start(Setup::default()).await;
    let fb = &app.state.feedback;
    let total = 1_201;
    for n in 0..total {
        let draft = Draft {
            clinic: Some("east".into()),
            role: Some("nurse".into()),
            category: Some("notes_slow".into()),
            severity: Some("slows_work".into()),
            text: format!("report number {n}"),
            ..Draft::default()
        };
        let report = fb.validate(&draft).unwrap();
        fb.store(&report, &format!("csv-page-{n:05}"), Source::Api, "test")
            .await
            .unwrap();
    }
    let response = admin(Method::GET, app.url("/admin/feedback.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.content_length().is_none(),
        "streamed, not buffered"
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), total + 1, "header and every report once");
    assert!(lines[1].contains("report number 1200"), "{}", lines[1]);
    assert!(
        lines[total].contains("\"report number 0\""),
        "{}",
        lines[total]
    );
    app.stop().await;
}
