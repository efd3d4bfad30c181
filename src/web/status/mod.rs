//! `/`: the latest result of every check, readable at a glance. No PHI:
//! names, outcomes, counts and summaries only. The clinic scorecard (see `scorecard.rs`)
//! sits on top when `[stabilization]` has waves.

mod scorecard;
mod signals;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

use crate::alerts::AlertView;
use crate::config::checks::CheckMeta;
use crate::store::{AlertState, StoredRun};
use crate::web::state::AppState;

pub async fn page(State(state): State<Arc<AppState>>) -> Result<Markup, (StatusCode, String)> {
    let runs = state.store.latest_results().await.map_err(|e| {
        // Internals go to the log, not to the wall screen.
        tracing::warn!(error = %e, "status page: store unavailable");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "The status is unavailable: hypercare cannot read its store right now. \
             The page retries on its next refresh."
                .to_string(),
        )
    })?;
    let configured = state.checks.borrow().clone();
    // Alerts are shown when the store answers; the checks table does not depend on them.
    let alerts: Vec<_> = state
        .alerts
        .list(chrono::Utc::now())
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|a| matches!(a.state, AlertState::Firing | AlertState::Pending))
        .collect();
    let scorecard = scorecard::section(&state, chrono::Utc::now().timestamp_millis()).await;
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="refresh" content="30";
                title { "hypercare status" }
                style { (CSS) }
            }
            body {
                h1 { "hypercare" }
                p { (configured.len()) " checks configured · refreshes every 30 s · " a href="/metrics" { "metrics" } }
                (scorecard)
                (alerts_table(&alerts))
                (checks_table(&configured, &runs))
            }
        }
    })
}

/// Firing and pending alerts, above the checks; nothing when there are none.
fn alerts_table(alerts: &[AlertView]) -> Markup {
    html! {
        @if !alerts.is_empty() {
            h2 { "Alerts" }
            table {
                thead { tr { th { "alert" } th { "severity" } th { "check" } th { "state" } th { "summary" } } }
                tbody {
                    @for a in alerts {
                        tr {
                            td { (a.alertname) }
                            td { (a.severity) }
                            td { (a.labels.get("check").map_or("", String::as_str)) }
                            @if a.silenced_by.is_empty() {
                                td class=(if a.state == AlertState::Firing { "fail" } else { "pending" }) { (a.state.as_str()) }
                            } @else {
                                td class="pending" { (a.state.as_str()) " (silenced)" }
                            }
                            td { (a.annotations.get("summary").map_or("", String::as_str)) }
                        }
                    }
                }
            }
            h2 { "Checks" }
        }
    }
}

/// Every configured check and its latest stored result.
fn checks_table(configured: &[CheckMeta], runs: &[StoredRun]) -> Markup {
    html! {
        table {
            thead { tr { th { "check" } th { "kind" } th { "status" } th { "finished (UTC)" } th { "summary" } } }
            tbody {
                @for check in configured {
                    @let name = check.name.as_str();
                    @let run = runs.iter().find(|r| r.check_name == name);
                    tr {
                        td { (name) }
                        td { (check.kind.as_str()) }
                        @match run {
                            Some(r) => {
                                td class=(r.status.as_str()) { (r.status.as_str()) }
                                td { (r.finished_ms.and_then(chrono::DateTime::from_timestamp_millis)
                                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()) }
                                td { (r.summary) }
                            }
                            None => { td class="pending" { "not run yet" } td {} td {} }
                        }
                    }
                }
            }
        }
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd}\
.pass{color:#116329;font-weight:600}.fail{color:#a40e26;font-weight:600}.error{color:#9a6700;font-weight:600}\
.pending{color:#57606a}\
.scorecard .big{font-size:1.6rem}.scorecard table.cards td,.scorecard table.cards th{font-size:1rem;padding:.4rem .3rem}\
.scorecard .fit{overflow-x:auto}.scorecard table.cards th{overflow-wrap:normal;word-break:normal}.scorecard table.cards td{white-space:nowrap}\
.scorecard table.cards td.name{font-weight:700;white-space:normal;min-width:6rem}.scorecard tr.overall td{border-top:2px solid #1b1f24}\
.rollback{border:3px solid #a40e26;background:#ffebe9;padding:.6rem 1rem;margin:1rem 0;font-size:1.25rem}\
.rollback h3{color:#a40e26;margin:.2rem 0}.legend{color:#57606a}.unowned{font-size:1.1rem;border-left:4px solid #9a6700;padding:.2rem .8rem}@media (max-width:48rem){body{margin:1rem}table:not(.cards){display:block;overflow-x:auto}td{overflow-wrap:break-word}table:not(.cards) td:last-child{min-width:14rem}}";
