//! The web's guards, each as an attacker would meet it: security headers on
//! the status page, cross-site posts, the public form's CSRF pair offered to
//! an admin form, a trusted proxy's user header given twice, and `/readyz`
//! keeping the store's error text to the log.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE};

use super::fixtures::{App, Setup, TOKEN, hidden, open_form, post, valid_fields};

#[tokio::test]
async fn the_status_page_carries_the_security_headers() {
    let app = App::start(Setup::default()).await;
    let r = reqwest::get(app.url("/")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .expect("a CSP on /")
        .to_str()
        .unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    app.stop().await;
}

#[tokio::test]
async fn a_post_from_a_sibling_site_or_a_foreign_origin_is_refused_and_nothing_stored() {
    let app = App::start(Setup::default()).await;
    let b = open_form(&app, "").await;
    let mut fields: Vec<(&str, String)> = vec![
        ("csrf", b.csrf.clone()),
        ("submission_id", b.submission_id.clone()),
    ];
    fields.extend(valid_fields("the label printer is offline"));
    let host = app.base.trim_start_matches("http://").to_string();
    let attempts = [
        ("same-site", format!("http://{host}")),
        ("cross-site", format!("http://{host}")),
        // A browser that says same-origin but whose Origin is elsewhere.
        ("same-origin", "http://intranet.example".to_string()),
    ];
    for (site, origin) in attempts {
        let r = reqwest::Client::new()
            .post(app.url("/feedback"))
            .header(COOKIE, &b.cookie)
            .header("sec-fetch-site", site)
            .header("origin", &origin)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{site} from {origin}");
        let page = r.text().await.unwrap();
        assert!(page.contains("came from another site"), "{page}");
        assert!(
            page.contains("the label printer is offline"),
            "the text is kept"
        );
    }
    assert_eq!(app.stored().await, 0);
    // The same post from this origin goes through.
    let r = reqwest::Client::new()
        .post(app.url("/feedback"))
        .header(COOKIE, &b.cookie)
        .header("sec-fetch-site", "same-origin")
        .header("origin", app.base.as_str())
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.stored().await, 1);
    app.stop().await;
}

#[tokio::test]
async fn the_public_forms_csrf_pair_does_not_pass_an_admin_form() {
    let app = App::start(Setup::default()).await;
    let b = open_form(&app, "").await;
    assert_eq!(
        post(&app, &b, &valid_fields("scanner drops pages")).await.0,
        StatusCode::OK
    );
    let id = app.state.feedback.list(&Default::default()).await.unwrap()[0].id;
    let move_with = |cookie: String, token: String| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(app.url(&format!("/admin/feedback/{id}/status")))
            .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(COOKIE, cookie)
            .form(&[("csrf", token), ("to", "acknowledged".to_string())])
            .send()
    };
    // Anyone can open the public form and hold its cookie and token.
    let r = move_with(b.cookie.clone(), b.csrf.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.state.feedback.get(id).await.unwrap().unwrap().0.status,
        "new"
    );
    // The admin page, opened with the same browser cookie, gives a token
    // bound to the signed-in actor, which passes.
    let page = reqwest::Client::new()
        .get(app.url(&format!("/admin/feedback/{id}")))
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(COOKIE, &b.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let bound = hidden(&page, "csrf");
    assert_ne!(bound, b.csrf);
    let r = move_with(b.cookie.clone(), bound).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.state.feedback.get(id).await.unwrap().unwrap().0.status,
        "acknowledged"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_trusted_user_header_given_twice_is_refused() {
    let app =
        App::start(Setup {
            server_extra:
                "trusted_user_header = \"X-Forwarded-User\"\ntrusted_proxies = [\"127.0.0.1\"]\n"
                    .into(),
            ..Setup::default()
        })
        .await;
    // A proxy that appends: the client's own header first, the proxy's after.
    let r = reqwest::Client::new()
        .get(app.url("/admin/feedback"))
        .header("x-forwarded-user", "admin")
        .header("x-forwarded-user", "dr.okafor")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("more than once"));
    let once = reqwest::Client::new()
        .get(app.url("/admin/feedback"))
        .header("x-forwarded-user", "dr.okafor")
        .send()
        .await
        .unwrap();
    assert_eq!(once.status(), StatusCode::OK);
    app.stop().await;
}
