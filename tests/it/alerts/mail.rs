//! E-mail through a real SMTP server: once per transition, across a
//! restart, and after the relay comes back.

use std::time::Duration;

use super::{Smtp, config, drifting_source, fix, have_aiosmtpd, port, smtp_section};
use crate::helpers::{Daemon, sample, wait_for, write_config};

async fn wait_mails(smtp: &Smtp, n: usize, within: Duration) -> Vec<String> {
    let _ = wait_for(within, || async { smtp.subjects().len() >= n }).await;
    smtp.subjects()
}

#[tokio::test]
async fn an_alert_mails_once_when_it_fires_and_once_when_it_resolves_across_a_restart() {
    if !have_aiosmtpd("alert mail across a restart") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port(), &dir.path().join("maildir")).await;
    let source = drifting_source(dir.path()).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let p = port();
    let text = config(
        p,
        &store,
        &source,
        "one",
        "\"mail\"",
        &smtp_section(smtp.port),
    );
    let path = write_config(dir.path(), &text);

    let mut d = Daemon::start(&path, p).await;
    let got = wait_mails(&smtp, 1, Duration::from_secs(20)).await;
    assert_eq!(
        got,
        vec!["[FIRING] patients_drift patients (critical)".to_string()]
    );
    let body = &super::messages(&smtp.maildir)[0];
    assert!(body.contains("Check patients found drift"), "{body}");
    assert!(
        body.contains("https://wiki.example.org/runbooks/drift"),
        "{body}"
    );
    // Still firing for a while: nothing more (the repeat interval is 4h).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.subjects().len(), 1);

    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).0, Some(0));
    fix(&source).await;
    let d2 = Daemon::start(&path, p).await;
    let got = wait_mails(&smtp, 2, Duration::from_secs(20)).await;
    // Quiet a little longer: a duplicate would show up now.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let got_after = smtp.subjects();
    assert_eq!(got, got_after);
    assert_eq!(
        got_after,
        vec![
            "[FIRING] patients_drift patients (critical)".to_string(),
            "[RESOLVED] patients_drift patients (critical)".to_string(),
        ]
    );
    let m = d2.metrics().await;
    assert_eq!(
        sample(&m, r#"hypercare_outbox_pending{channel="smtp"}"#),
        Some(0.0)
    );
}

#[tokio::test]
async fn mail_waits_in_the_outbox_while_the_relay_is_down_and_goes_once_when_it_is_back() {
    if !have_aiosmtpd("outbox recovery") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let smtp_port = port();
    let source = drifting_source(dir.path()).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let p = port();
    let text = config(
        p,
        &store,
        &source,
        "one",
        "\"mail\"",
        &smtp_section(smtp_port),
    );
    let d = Daemon::start(&write_config(dir.path(), &text), p).await;
    let watch = crate::faults::HealthzWatch::start(d.base.clone());

    // The relay is down: the firing mail waits, retried, and checks keep running.
    let retried = wait_for(Duration::from_secs(20), || async {
        let m = d.metrics().await;
        sample(
            &m,
            r#"hypercare_notifications_total{channel="smtp",result="retry"}"#,
        )
        .unwrap_or(0.0)
            >= 2.0
            && sample(&m, r#"hypercare_outbox_pending{channel="smtp"}"#) == Some(1.0)
    })
    .await;
    assert!(retried.is_ok(), "no retries seen:\n{}", d.metrics().await);
    let runs_before = sample(
        &d.metrics().await,
        r#"hypercare_check_runs_total{check="patients",kind="reconcile",outcome="fail"}"#,
    );
    fix(&source).await;
    // It resolves while the relay is still down: the resolved mail queues behind.
    let queued = wait_for(Duration::from_secs(20), || async {
        sample(
            &d.metrics().await,
            r#"hypercare_outbox_pending{channel="smtp"}"#,
        ) == Some(2.0)
    })
    .await;
    assert!(queued.is_ok(), "{}", d.metrics().await);
    assert!(runs_before.is_some_and(|n| n >= 1.0));
    let ready = reqwest::get(format!("{}/readyz", d.base)).await.unwrap();
    assert!(
        ready.status().is_success(),
        "a down relay must not make hypercare unready"
    );

    let up = std::time::Instant::now();
    let smtp = Smtp::start(smtp_port, &dir.path().join("maildir")).await;
    let got = wait_mails(&smtp, 2, Duration::from_secs(30)).await;
    let recovery = up.elapsed();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(smtp.subjects(), got, "no duplicate after recovery");
    let worst = watch.worst().await;
    eprintln!(
        "fault SMTP down then up: /healthz worst {worst:?}; both queued mails delivered \
         {recovery:?} after the relay started; {} mails for 2 accepted",
        smtp.subjects().len()
    );
    assert!(worst < Duration::from_secs(1), "/healthz took {worst:?}");
    assert_eq!(
        got,
        vec![
            "[FIRING] patients_drift patients (critical)".to_string(),
            "[RESOLVED] patients_drift patients (critical)".to_string(),
        ]
    );
    let m = d.metrics().await;
    let pending_zero = wait_for(Duration::from_secs(10), || async {
        sample(
            &d.metrics().await,
            r#"hypercare_outbox_pending{channel="smtp"}"#,
        ) == Some(0.0)
    })
    .await;
    assert!(pending_zero.is_ok(), "{m}");
    assert_eq!(
        sample(
            &m,
            r#"hypercare_notifications_total{channel="smtp",result="sent"}"#
        ),
        Some(2.0)
    );
}
