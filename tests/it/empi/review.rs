//! The review list at `/admin/duplicates`, black-box over HTTP: the daemon
//! runs the registration desk's `probable_duplicates` rule on its schedule,
//! the list shows the pairs with each field's weight behind credentials,
//! and a pair marked "not a duplicate" (the page's CSRF form) is gone from
//! the list at once and from the next run's findings.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use super::fixture;
use crate::feedback::fixtures::{App, PASSWORD, Setup, USER, hidden};
use crate::helpers::{exec, wait_for};
use hypercare::results::Details;

/// The check's clusters in its newest stored run after `after_ms`, if any.
async fn clusters_after(app: &App, after_ms: i64) -> Option<Vec<Vec<String>>> {
    let runs = app.state.store.latest_results().await.ok()?;
    let run = runs
        .into_iter()
        .find(|r| r.check_name == "registration_desk")?;
    if run.started_ms <= after_ms {
        return None;
    }
    let Details::Integrity(d) = run.details else {
        return None;
    };
    let rule = d.rules.first()?;
    Some(
        rule.sample_clusters
            .iter()
            .map(|c| c.keys.clone())
            .collect(),
    )
}

async fn page(app: &App, cookie: Option<&str>) -> (StatusCode, String, Option<String>) {
    let mut r = reqwest::Client::new()
        .get(app.url("/admin/duplicates"))
        .basic_auth(USER, Some(PASSWORD));
    if let Some(c) = cookie {
        r = r.header(COOKIE, c);
    }
    let r = r.send().await.unwrap();
    let set = r
        .headers()
        .get(SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    (r.status(), r.text().await.unwrap(), set)
}

#[tokio::test]
async fn a_pair_marked_not_a_duplicate_is_not_reported_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("desk.db").display());
    exec(&url, fixture::SCHEMA).await;
    exec(&url, &fixture::rows()).await;
    let extra = format!(
        "\n[sources.ehr]\nurl = \"{url}\"\n\n[[integrity]]\nname = \"registration_desk\"\n\
         schedule = \"*/2 * * * * *\"\nfrom = \"ehr\"\nsample_keys = 100\n\n[[integrity.rules]]\n\
         name = \"probable_duplicate_patients\"\nkind = \"probable_duplicates\"\n\
         table = \"reg_desk_patient_data\"\nkey = \"pid\"\n\
         person = {{ given = \"fname\", family = \"lname\", birth_date = \"DOB\", sex = \"sex\", \
         phone = \"phone_home\", postal_code = \"postal_code\", address = \"street\" }}\n"
    );
    let app = App::start(Setup {
        extra,
        ..Setup::default()
    })
    .await;
    let nickname = vec!["1005".to_string(), "1006".to_string()];
    let first = wait_for(Duration::from_secs(60), || async {
        clusters_after(&app, 0).await.is_some()
    })
    .await;
    assert!(first.is_ok(), "no run of the check within 60 s");
    assert!(clusters_after(&app, 0).await.unwrap().contains(&nickname));

    // Credentials first: the keys are record keys.
    let anonymous = reqwest::get(app.url("/admin/duplicates")).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, html, cookie) = page(&app, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1005 · 1006"), "{html}");
    assert!(
        html.contains("given: nickname"),
        "per-field evidence: {html}"
    );
    assert!(html.contains("1001 · 1002"), "{html}");
    let cookie = cookie.expect("a CSRF cookie");

    // Without the page's token the mark is refused; with it, it is stored.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = |csrf: String| {
        vec![
            ("csrf", csrf),
            ("check", "registration_desk".to_string()),
            ("rule", "probable_duplicate_patients".to_string()),
            ("a", "1006".to_string()),
            ("b", "1005".to_string()),
        ]
    };
    let post = |csrf: String| {
        client
            .post(app.url("/admin/duplicates/not"))
            .basic_auth(USER, Some(PASSWORD))
            .header(COOKIE, &cookie)
            .form(&form(csrf))
            .send()
    };
    assert_eq!(
        post("forged".into()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let marked_at = chrono::Utc::now().timestamp_millis();
    let r = post(hidden(&html, "csrf")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/admin/duplicates?marked=1");
    // A pair that is not listed cannot be marked.
    let (_, html, _) = page(&app, Some(&cookie)).await;
    assert!(!html.contains("1005 · 1006"), "{html}");
    assert!(html.contains("1001 · 1002"), "{html}");
    let again = post(hidden(&html, "csrf")).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    // The next run leaves the marked pair out, and only it.
    let next = wait_for(Duration::from_secs(60), || async {
        clusters_after(&app, marked_at).await.is_some()
    })
    .await;
    assert!(next.is_ok(), "no run after the mark within 60 s");
    let clusters = clusters_after(&app, marked_at).await.unwrap();
    assert!(!clusters.contains(&nickname), "{clusters:?}");
    assert_eq!(
        clusters.len(),
        fixture::DUPLICATES.len() - 1,
        "{clusters:?}"
    );
    app.stop().await;
}
