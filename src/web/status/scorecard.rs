//! The clinic scorecard on the status page: per clinic, the day since
//! go-live, each exit criterion, breached rollback triggers with the
//! contingency owner and escalation path, and a 14-day trend as inline SVG.
//! Large type for a wall screen; counts and config names only.

use maud::{Markup, PreEscaped, html};

use crate::config::stabilization::StabilizationConfig;
use crate::derive::scorecard::{ALL, ClinicCard, Scorecard, State, TriggerState, today};
use crate::digest::chart;
use crate::web::state::AppState;

fn state_class(s: State) -> &'static str {
    match s {
        State::Met => "pass",
        State::NotMet => "fail",
        State::Unknown => "pending",
    }
}

fn mark(s: State) -> &'static str {
    match s {
        State::Met => "✓",
        State::NotMet => "✗",
        State::Unknown => "?",
    }
}

/// A cell's word: the legend and the hover say the rest.
fn short(s: State) -> &'static str {
    match s {
        State::Met => "met",
        State::NotMet => "not met",
        State::Unknown => "no data",
    }
}

fn day_words(day: i64) -> String {
    match day {
        d if d < 0 => format!("live in {} d", -d),
        0 => "go-live day".into(),
        d => format!("day {d}"),
    }
}

/// The scorecard section, or nothing when no wave is configured.
pub async fn section(state: &AppState, now_ms: i64) -> Markup {
    let setup = state.scorecards.setup();
    if setup.cfg.is_empty() {
        return html! {};
    }
    let card: std::sync::Arc<Scorecard> = match state.scorecards.current(now_ms).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "status page: scorecard unavailable");
            return html! { p class="pending" { "The clinic scorecard is unavailable right now." } };
        }
    };
    let trend = state
        .scorecards
        .trend(now_ms, crate::digest::content::TREND_DAYS)
        .await
        .unwrap_or_default();
    let today = today(now_ms);
    let days: Vec<String> = (0..crate::digest::content::TREND_DAYS)
        .rev()
        .map(|b| (today - chrono::Duration::days(b)).to_string())
        .collect();
    let bars = |clinic: &str| -> Vec<chart::Bar> {
        let per: std::collections::BTreeMap<&str, (u32, u32)> = trend
            .get(clinic)
            .map(|v| v.iter().map(|(d, m, n)| (d.as_str(), (*m, *n))).collect())
            .unwrap_or_default();
        days.iter()
            .map(|d| per.get(d.as_str()).copied().unwrap_or((0, 0)))
            .collect()
    };
    let breached: Vec<_> = card.breached().collect();
    html! {
        section class="scorecard" {
            h2 { "Stabilization" }
            p class="big" {
                "Day " (card.day) " since the first go-live · "
                @if card.exit_ready { span class="pass" { "all clinics ready to leave hypercare" } }
                @else { span { (card.clinics.iter().filter(|c| c.exit_ready).count()) " of " (card.clinics.len()) " clinics ready to leave hypercare" } }
            }
            (rollback_box(&breached, &setup.cfg))
            div class="fit" { table class="cards" {
                thead { tr {
                    th { "clinic" } th { "wave" } th { "day" }
                    // Names break at underscores so long ones do not widen the table.
                    @for c in &setup.cfg.criteria { th { (c.name.as_str().replace('_', "_\u{200b}")) } }
                    th { "exit" } th { "14 days" }
                } }
                tbody {
                    @for c in &card.clinics {
                        tr {
                            td class="name" { (c.clinic_name) }
                            td { (c.wave) }
                            td { (day_words(c.day)) }
                            @for cr in &c.criteria {
                                td class=(state_class(cr.state)) title=(cr.detail) { (mark(cr.state)) " " (short(cr.state)) }
                            }
                            td class=(if c.exit_ready { "pass" } else { "pending" }) { (if c.exit_ready { "ready" } else { "not yet" }) }
                            td { (PreEscaped(chart::svg(&bars(&c.clinic), 140, 36))) }
                        }
                    }
                    tr class="overall" {
                        td class="name" { "All clinics" } td {} td { (day_words(card.day)) }
                        @for cr in &card.overall { td class=(state_class(cr.state)) title=(cr.detail) { (mark(cr.state)) " " (short(cr.state)) } }
                        td class=(if card.exit_ready { "pass" } else { "pending" }) { (if card.exit_ready { "ready" } else { "not yet" }) }
                        td { (PreEscaped(chart::svg(&bars(ALL), 140, 36))) }
                    }
                }
            }
            }
            @if let Some(u) = &card.unowned {
                p class="unowned" { strong { "All clinics" } ", findings no clinic owns: " (u.words()) }
            }
            p class="legend" { "Bars: exit criteria met per day, oldest left (green all met, amber some, grey no data). Hover a cell for what was measured." }
            (super::signals::section(&card))
            (handoff_lines(&card.clinics))
        }
    }
}

/// Per clinic, each watched handoff's latest run in plain words (counts only).
fn handoff_lines(clinics: &[ClinicCard]) -> Markup {
    let any = clinics.iter().any(|c| !c.figures.handoffs.is_empty());
    html! {
        @if any {
            h3 { "Handoffs to connected systems" }
            ul class="handoffs" {
                @for c in clinics { @for h in &c.figures.handoffs {
                    li {
                        @if h.stuck > 0 { span class="fail" { "✗ " } } @else { span class="pass" { "✓ " } }
                        strong { (c.clinic_name) } ": " (h.line())
                    }
                } }
            }
        }
    }
}

/// Each breached trigger once: the clinics it applies to, and the
/// evidence (once when it is the same for all, as for a shared check).
fn grouped<'a>(
    breached: &[(&'a ClinicCard, &'a TriggerState)],
) -> Vec<(&'a str, Vec<(&'a str, &'a str)>)> {
    let mut out: Vec<(&str, Vec<(&str, &str)>)> = Vec::new();
    for (c, t) in breached {
        let entry = (c.clinic_name.as_str(), t.evidence.as_str());
        match out.iter_mut().find(|(n, _)| *n == t.name) {
            Some((_, v)) => v.push(entry),
            None => out.push((t.name.as_str(), vec![entry])),
        }
    }
    out
}

/// The breached rollback triggers with who decides and whom to call.
fn rollback_box(breached: &[(&ClinicCard, &TriggerState)], cfg: &StabilizationConfig) -> Markup {
    html! {
    @if !breached.is_empty() {
            div class="rollback" {
                h3 { "Rollback decision needed" }
                ul {
                    @for (name, per) in grouped(breached) {
                        @let clinics: Vec<&str> = per.iter().map(|(c, _)| *c).collect();
                        li {
                            strong { (name) } " — " (clinics.join(", ")) ": "
                            @if per.iter().all(|(_, e)| *e == per[0].1) { (per[0].1) }
                            @else { @for (c, e) in &per { br; (c) ": " (e) } }
                        }
                    }
                }
                p { "Contingency owner: " strong { (cfg.contingency_owner) } }
                @if !cfg.escalation.is_empty() {
                    p { "Escalation: " (cfg.escalation.join(" → ")) }
                }
            }
        }
    }
}
