//! The store failing under the feedback form: refused (server down) and
//! hung (server stopped, path frozen). The form answers within 10 s with the
//! text kept [response time]; `/healthz` answers within 1 s throughout;
//! `/readyz` says the store is unavailable without its error text; once the
//! store is back the same report goes in once [acknowledged = stored].

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::healthz_latency;
use super::proxy::{Faulty, Mode};
use crate::feedback::fixtures::{App, Setup, open_form, post, valid_fields};
use crate::helpers::{fresh_postgres, host_port, via_port};

const TEXT: &str = "Discharge summary button greys out on ward 4B after save";

async fn app_behind(test: &str) -> Option<(App, Faulty)> {
    let pg = fresh_postgres(test).await?;
    let proxy = Faulty::start(host_port(&pg)).await;
    let app = App::start(Setup {
        store_url: Some(via_port(&pg, proxy.port)),
        ..Setup::default()
    })
    .await;
    Some((app, proxy))
}

/// Posts the report with the store in `mode`; the form must come back with
/// the text and the store message within 10 s; then the store comes back
/// and the same browser's resend is stored exactly once.
async fn feedback_through(mode: Mode, test: &str) {
    let Some((app, proxy)) = app_behind(test).await else {
        return;
    };
    let b = open_form(&app, "?clinic=east").await;
    proxy.set(mode);
    let probe = tokio::spawn(healthz_latency(app.base.clone(), Duration::from_secs(7)));
    let started = Instant::now();
    let (status, page) = post(&app, &b, &valid_fields(TEXT)).await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{page}");
    assert!(page.contains(TEXT), "the text comes back in the form");
    assert!(page.contains("could not save your report"), "{page}");
    assert!(took < Duration::from_secs(10), "answered in {took:?}");
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let why = ready.text().await.unwrap();
    assert!(
        why == "not ready: store unavailable\n"
            || why == "not ready: store did not answer within 2s\n",
        "no store error text on /readyz: {why:?}"
    );
    let worst = probe.await.unwrap();
    assert!(worst < Duration::from_secs(1), "healthz took {worst:?}");

    proxy.set(Mode::Pass);
    let back = Instant::now();
    let recovered = loop {
        let (status, _) = post(&app, &b, &valid_fields(TEXT)).await;
        if status == StatusCode::OK {
            break back.elapsed();
        }
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "store never came back: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The resend carries the same submission id: one report, never two.
    let (status, _) = post(&app, &b, &valid_fields(TEXT)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.stored().await,
        1,
        "acknowledged reports = stored reports"
    );
    eprintln!(
        "fault store-{mode:?} during feedback: form answered in {took:?} (503, text kept), \
         healthz worst {worst:?}, recovered {recovered:?} after the store came back"
    );
    app.stop().await;
}

#[tokio::test]
async fn store_down_during_feedback_keeps_the_text_and_stores_the_resend_once() {
    feedback_through(Mode::Refuse, "store_down_during_feedback").await;
}

#[tokio::test]
async fn store_hung_during_feedback_answers_within_10s_and_stores_the_resend_once() {
    feedback_through(Mode::Freeze, "store_hung_during_feedback").await;
}
