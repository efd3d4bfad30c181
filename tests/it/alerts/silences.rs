//! Silences through the API: a silenced alert fires quietly and shows,
//! marked; expiring the silence sends its firing notification.

use std::time::Duration;

use serde_json::{Value, json};

use super::{config, drifting_source, port, receiver};
use crate::helpers::{Daemon, sample, wait_for, write_config};

const TOKEN: &str = "a-long-admin-token-for-tests";

async fn get(client: &reqwest::Client, url: String) -> Value {
    client
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_silenced_alert_shows_marked_and_notifies_once_the_silence_is_expired() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), TOKEN).unwrap();
    let (hook_port, posts) = receiver().await;
    let source = drifting_source(dir.path()).await;
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let p = port();
    let extra = format!(
        "[notifiers.hook]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{hook_port}/hook\"\n\
         [[silences]]\nalertname = \"nightly_window\"\ncron = \"0 0 2 * * Sun\"\nduration = \"2h\"\n"
    );
    let mut text = config(p, &store, &source, "one", "\"hook\"", &extra);
    text = text.replacen(
        "[server]\n",
        &format!(
            "[server]\nadmin_token_file = \"{}/token\"\n",
            dir.path().display()
        ),
        1,
    );
    // Pending for a few seconds, so the silence is in place before the alert fires.
    text = text.replace(
        "severity = \"critical\"\n",
        "severity = \"critical\"\nfor = \"4s\"\n",
    );
    let d = Daemon::start(&write_config(dir.path(), &text), p).await;
    let client = reqwest::Client::new();

    let created = client
        .post(format!("{}/api/v1/silences", d.base))
        .bearer_auth(TOKEN)
        .json(&json!({ "alertname": "patients_drift", "labels": { "check": "patients" }, "duration_seconds": 3600, "comment": "planned re-import" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let silence: Value = created.json().await.unwrap();
    let id = silence["id"].as_str().unwrap().to_string();
    assert_eq!(silence["active"], true);
    assert_eq!(silence["source"], "api");

    let silenced = wait_for(Duration::from_secs(20), || async {
        let v = get(&client, format!("{}/api/v1/alerts?state=silenced", d.base)).await;
        v["alerts"].as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    assert!(
        silenced.is_ok(),
        "{}",
        get(&client, format!("{}/api/v1/alerts", d.base)).await
    );
    let alerts = get(&client, format!("{}/api/v1/alerts?state=silenced", d.base)).await;
    assert_eq!(alerts["alerts"][0]["state"], "firing");
    assert_eq!(alerts["alerts"][0]["silenced_by"], json!([id]));
    let status_page = reqwest::get(format!("{}/", d.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status_page.contains("firing (silenced)"), "{status_page}");
    let admin = client
        .get(format!("{}/admin/alerts", d.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    assert!(admin.text().await.unwrap().contains("planned re-import"));
    let m = d.metrics().await;
    assert_eq!(
        sample(
            &m,
            r#"hypercare_alerts{alertname="patients_drift",severity="critical",state="silenced"}"#
        ),
        Some(1.0)
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        posts.lock().unwrap().is_empty(),
        "a silenced alert sent a notification"
    );

    // The config's silence is listed, and cannot be expired through the API.
    let list = get(&client, format!("{}/api/v1/silences", d.base)).await;
    let sources: Vec<&str> = list["silences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, vec!["config", "api"]);
    let refused = client
        .delete(format!("{}/api/v1/silences/config-1", d.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);

    let expired = client
        .delete(format!("{}/api/v1/silences/{id}", d.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 204);
    let again = client
        .delete(format!("{}/api/v1/silences/{id}", d.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let notified = wait_for(Duration::from_secs(20), || async {
        !posts.lock().unwrap().is_empty()
    })
    .await;
    assert!(
        notified.is_ok(),
        "no firing notification after the silence ended"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].1["status"], "firing");
    assert_eq!(posts[0].1["alert"]["labels"]["alertname"], "patients_drift");
    let firing = get(&client, format!("{}/api/v1/alerts?state=firing", d.base)).await;
    assert_eq!(firing["alerts"][0]["silenced_by"], json!([]));
}
