//! What an alert notice says, per notifier: an e-mail, a webhook body
//! (hypercare JSON or Slack text) or an Alertmanager alert. Built from
//! labels, annotations and figures only: config names and counts, no PHI.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::state::Notice;
use crate::config::alerts::{NotifierConfig, NotifierKind, WebhookFormat};
use crate::store::{AlertmanagerPayload, EmailPayload};

/// An alert as notifiers see it.
#[derive(Debug, Clone)]
pub struct AlertMessage<'a> {
    pub fingerprint: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: &'a BTreeMap<String, String>,
    pub value: f64,
    pub fired_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    /// Links to `/admin/alerts` when `[server] public_url` is set.
    pub public_url: Option<&'a str>,
}

fn time(ms: Option<i64>) -> Option<String> {
    ms.and_then(DateTime::<Utc>::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

impl AlertMessage<'_> {
    fn name(&self) -> &str {
        self.labels.get("alertname").map_or("alert", String::as_str)
    }

    fn headline(&self, notice: Notice) -> String {
        let what = match notice {
            Notice::Resolved => "RESOLVED",
            Notice::Repeat(_) => "STILL FIRING",
            _ => "FIRING",
        };
        let check = self
            .labels
            .get("check")
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        let severity = self.labels.get("severity").map_or("", String::as_str);
        format!("[{what}] {}{check} ({severity})", self.name())
    }

    fn text(&self, notice: Notice) -> String {
        let mut out = format!("{}\n\n", self.headline(notice));
        if let Some(s) = self.annotations.get("summary") {
            out.push_str(&format!("{s}\n\n"));
        }
        if let Some(d) = self.annotations.get("description") {
            out.push_str(&format!("{d}\n\n"));
        }
        out.push_str(&format!("Value: {}\n", self.value));
        if let Some(t) = time(self.fired_ms) {
            out.push_str(&format!("Firing since: {t}\n"));
        }
        if let (Notice::Resolved, Some(t)) = (notice, time(self.resolved_ms)) {
            out.push_str(&format!("Resolved at: {t}\n"));
        }
        out.push_str("\nLabels:\n");
        for (k, v) in self.labels {
            out.push_str(&format!("  {k} = {v}\n"));
        }
        for key in ["runbook_url", "dashboard_url"] {
            if let Some(u) = self.annotations.get(key) {
                out.push_str(&format!("{key}: {u}\n"));
            }
        }
        if let Some(base) = self.public_url {
            out.push_str(&format!(
                "\nAlerts: {}/admin/alerts\n",
                base.trim_end_matches('/')
            ));
        }
        out
    }

    fn json(&self, notice: Notice) -> Value {
        json!({
            "version": "1",
            "status": notice.status(),
            "notice": notice.key(),
            "alert": {
                "fingerprint": self.fingerprint,
                "labels": self.labels,
                "annotations": self.annotations,
                "value": self.value,
                "startsAt": time(self.fired_ms),
                "endsAt": if notice == Notice::Resolved { time(self.resolved_ms) } else { None },
            }
        })
    }

    fn alertmanager(&self, notice: Notice, ends_in_ms: i64) -> AlertmanagerPayload {
        let mut alert = json!({
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": time(self.fired_ms),
        });
        if let Some(base) = self.public_url {
            alert["generatorURL"] = json!(format!("{}/admin/alerts", base.trim_end_matches('/')));
        }
        let resolved = notice == Notice::Resolved;
        if resolved {
            alert["endsAt"] = json!(time(self.resolved_ms));
        }
        AlertmanagerPayload {
            alerts: vec![alert],
            ends_in_ms: (!resolved).then_some(ends_in_ms),
        }
    }

    /// The outbox payload of this notice for a notifier; `None` when the
    /// notifier does not take it (Alertmanager re-posts go to Alertmanager
    /// only, reminders to the others, resolved ones unless switched off).
    pub fn payload(&self, notice: Notice, n: &NotifierConfig, ends_in_ms: i64) -> Option<String> {
        let am = matches!(n.kind, NotifierKind::Alertmanager { .. });
        match notice {
            Notice::Refresh(_) if !am => return None,
            Notice::Repeat(_) if am => return None,
            Notice::Resolved if !n.send_resolved => return None,
            _ => {}
        }
        let body = match &n.kind {
            NotifierKind::Email { to } => serde_json::to_string(&EmailPayload {
                to: to.clone(),
                subject: self.headline(notice),
                text: self.text(notice),
                html: None,
                inline: Vec::new(),
            }),
            NotifierKind::Webhook {
                format: WebhookFormat::Json,
                ..
            } => serde_json::to_string(&self.json(notice)),
            NotifierKind::Webhook {
                format: WebhookFormat::Slack,
                ..
            } => {
                let summary = self
                    .annotations
                    .get("summary")
                    .map(|s| format!("\n{s}"))
                    .unwrap_or_default();
                serde_json::to_string(
                    &json!({ "text": format!("{}{summary}", self.headline(notice)) }),
                )
            }
            NotifierKind::Alertmanager { .. } => {
                serde_json::to_string(&self.alertmanager(notice, ends_in_ms))
            }
        };
        body.ok()
    }
}

/// Fills `{check}`, `{kind}`, `{value}`, `{threshold}` and `{window}` in an annotation.
pub fn fill(
    template: &str,
    labels: &BTreeMap<String, String>,
    value: f64,
    threshold: &str,
    window: &str,
) -> String {
    let value = if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.3}")
    };
    template
        .replace("{check}", labels.get("check").map_or("", String::as_str))
        .replace("{kind}", labels.get("kind").map_or("", String::as_str))
        .replace("{value}", &value)
        .replace("{threshold}", threshold)
        .replace("{window}", window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Name;
    use crate::config::alerts::NotifierConfig;
    use std::time::Duration;

    fn notifier(kind: NotifierKind) -> NotifierConfig {
        NotifierConfig {
            name: Name::parse("n").unwrap(),
            kind,
            timeout: Duration::from_secs(1),
            send_resolved: true,
        }
    }

    #[test]
    fn each_notifier_gets_its_shape_and_only_its_notices() {
        let labels: BTreeMap<String, String> = [
            ("alertname", "check_failing"),
            ("check", "patients"),
            ("severity", "critical"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let annotations: BTreeMap<String, String> =
            [("summary".to_string(), "Check patients failed".to_string())].into();
        let m = AlertMessage {
            fingerprint: "f",
            labels: &labels,
            annotations: &annotations,
            value: 1.0,
            fired_ms: Some(0),
            resolved_ms: Some(60_000),
            public_url: Some("https://hc.example.org/"),
        };
        let url = crate::config::Secret::new("http://x");
        let slack = notifier(NotifierKind::Webhook {
            url: url.clone(),
            format: WebhookFormat::Slack,
        });
        let body: Value =
            serde_json::from_str(&m.payload(Notice::Firing, &slack, 0).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({ "text": "[FIRING] check_failing patients (critical)\nCheck patients failed" })
        );

        let hook = notifier(NotifierKind::Webhook {
            url,
            format: WebhookFormat::Json,
        });
        let body: Value =
            serde_json::from_str(&m.payload(Notice::Resolved, &hook, 0).unwrap()).unwrap();
        assert_eq!(body["status"], "resolved");
        assert_eq!(body["alert"]["endsAt"], "1970-01-01T00:01:00.000Z");
        assert!(m.payload(Notice::Refresh(1), &hook, 0).is_none());

        let am = notifier(NotifierKind::Alertmanager {
            url: url::Url::parse("http://am:9093").unwrap(),
        });
        let p: AlertmanagerPayload =
            serde_json::from_str(&m.payload(Notice::Refresh(2), &am, 240_000).unwrap()).unwrap();
        assert_eq!(p.ends_in_ms, Some(240_000));
        assert_eq!(
            p.alerts[0]["generatorURL"],
            "https://hc.example.org/admin/alerts"
        );
        assert!(m.payload(Notice::Repeat(1), &am, 0).is_none());

        let mail = notifier(NotifierKind::Email {
            to: vec!["ops@example.org".into()],
        });
        let e: EmailPayload =
            serde_json::from_str(&m.payload(Notice::Repeat(1), &mail, 0).unwrap()).unwrap();
        assert_eq!(
            e.subject,
            "[STILL FIRING] check_failing patients (critical)"
        );
        assert!(
            e.text
                .contains("Alerts: https://hc.example.org/admin/alerts")
        );
    }
}
