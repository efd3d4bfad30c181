//! The parts of `/admin/alerts`: tables of alerts and silences and the
//! form for a new silence. Every value is escaped by maud.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use crate::alerts::{AlertView, SilenceView};
use crate::store::AlertState;

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .filter(|(k, _)| !["alertname", "severity"].contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn alert_table(title: &str, alerts: &[&AlertView]) -> Markup {
    html! {
        h2 { (title) " (" (alerts.len()) ")" }
        @if alerts.is_empty() {
            p.small { "None." }
        } @else {
            table {
                thead { tr { th { "alert" } th { "severity" } th { "labels" } th { "summary" } th { "value" } th { "since (UTC)" } th { "silenced by" } } }
                tbody {
                    @for a in alerts {
                        tr {
                            td { strong { (a.alertname) } }
                            td { (a.severity) }
                            td { (labels_text(&a.labels)) }
                            td { (a.annotations.get("summary").map_or("", String::as_str)) }
                            td { (a.value) }
                            td { (when(if a.state == AlertState::Resolved { a.resolved_at } else { a.fired_at.or(a.active_since) })) }
                            td { (a.silenced_by.join(", ")) }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn silence_table(silences: &[SilenceView], csrf: &str) -> Markup {
    html! {
        h2 { "Silences (" (silences.len()) ")" }
        @if silences.is_empty() {
            p.small { "None." }
        } @else {
            table {
                thead { tr { th { "id" } th { "alertname" } th { "labels" } th { "when (UTC)" } th { "active now" } th { "comment" } th { "by" } th {} } }
                tbody {
                    @for s in silences {
                        tr {
                            td { code { (s.id) } }
                            td { (s.alertname.as_deref().unwrap_or("any")) }
                            td { (labels_text(&s.labels)) }
                            td {
                                @if let Some(c) = &s.cron {
                                    "every " code { (c) } " for " (s.duration_seconds.unwrap_or(0) / 60) " min"
                                } @else {
                                    (when(s.starts_at)) " – " (when(s.ends_at))
                                }
                            }
                            td { @if s.active { strong { "yes" } } @else { "no" } }
                            td { (s.comment) }
                            td { (s.created_by) }
                            td {
                                @if s.source == "api" {
                                    form method="post" action={ "/admin/alerts/silences/" (s.id) "/expire" } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button.secondary type="submit" { "Expire" }
                                    }
                                } @else { span.small { "from the config file" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn new_silence_form(csrf: &str, error: Option<&str>) -> Markup {
    html! {
        h2 { "New silence" }
        @if let Some(e) = error { p.error-message { (e) } }
        form method="post" action="/admin/alerts/silences" {
            input type="hidden" name="csrf" value=(csrf);
            div.filters {
                label { "Alert name" input type="text" name="alertname" placeholder="check_failing"; }
                label { "Labels" input type="text" name="labels" placeholder="check=patients, kind=reconcile"; }
                label { "Duration" input type="text" name="duration" value="2h"; }
                label { "Starts (UTC, optional)" input type="text" name="starts_at" placeholder="2026-12-01T22:00:00Z"; }
                label { "Repeat (cron, optional)" input type="text" name="cron" placeholder="0 0 2 * * Sun"; }
                label { "Comment" input type="text" name="comment"; }
                button type="submit" { "Silence" }
            }
        }
    }
}
