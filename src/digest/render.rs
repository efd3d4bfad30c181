//! A digest in plain words: the plain-text part and the HTML part (tables
//! and inline styles only, no external resources; charts by `cid:`).

use maud::{DOCTYPE, Markup, html};

use super::content::{ClinicDigest, DigestData};
use crate::derive::percent as pct;
use crate::derive::scorecard::{Figures, State};

/// The `cid` of a clinic's chart.
pub fn chart_cid(clinic: &str) -> String {
    format!("chart-{clinic}@hypercare")
}

fn day_words(day: i64) -> String {
    match day {
        d if d < 0 => format!("goes live in {} day(s)", -d),
        0 => "go-live day".to_string(),
        d => format!("day {d} of hypercare"),
    }
}

fn mark(s: State) -> &'static str {
    match s {
        State::Met => "✓",
        State::NotMet => "✗",
        State::Unknown => "?",
    }
}

/// "12 … (3 fewer than in the previous digest)" style change for a count.
fn count_change(now: Option<u64>, before: Option<u64>, what: &str) -> String {
    match (now, before) {
        (Some(n), Some(b)) if n == b => format!("{n} {what} (unchanged since the previous digest)"),
        (Some(n), Some(b)) if n < b => {
            format!("{n} {what} ({} fewer than in the previous digest)", b - n)
        }
        (Some(n), Some(b)) => format!("{n} {what} ({} more than in the previous digest)", n - b),
        (Some(n), None) => format!("{n} {what}"),
        (None, _) => format!("no reconciliation data ({what})"),
    }
}

fn share_change(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(n), Some(b)) => format!("{} (was {})", pct(n), pct(b)),
        (Some(n), None) => pct(n),
        (None, _) => "no data".to_string(),
    }
}

/// One line per aspect: reconciliation, documents, workflows, and
/// handoffs where a handoff check watches the clinic.
pub fn status_lines(f: &Figures, before: Option<&Figures>) -> Vec<(String, String)> {
    let recon = format!(
        "{}; {} new today",
        count_change(
            f.discrepancies,
            before.and_then(|b| b.discrepancies),
            "records differ between legacy and target"
        ),
        f.new_today
            .map_or("no drift data".to_string(), |n| n.to_string())
    );
    let docs = if f.documents_checked == 0 {
        "no documents checked today".to_string()
    } else {
        format!(
            "{} accessible ({} of {} checked today failed)",
            share_change(
                f.documents_accessible,
                before.and_then(|b| b.documents_accessible)
            ),
            f.documents_failed,
            f.documents_checked
        )
    };
    let wf = if f.workflows.is_empty() {
        "no workflow probes".to_string()
    } else {
        f.workflows
            .iter()
            .map(|w| {
                let was = before
                    .and_then(|b| b.workflows.iter().find(|x| x.name == w.name))
                    .and_then(|x| x.p95_ms);
                let p = match (w.p95_ms, was) {
                    (Some(p), Some(b)) => format!("p95 {p:.0} ms (was {b:.0} ms)"),
                    (Some(p), None) => format!("p95 {p:.0} ms"),
                    (None, _) => "no passing run today".to_string(),
                };
                let r = w
                    .ratio
                    .map_or(String::new(), |r| format!(", {r:.2}× baseline"));
                format!("{} {p}{r}, {} of {} runs failed", w.name, w.failed, w.runs)
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut lines = vec![
        ("Reconciliation".into(), recon),
        ("Documents".into(), docs),
        ("Workflows".into(), wf),
    ];
    if !f.handoffs.is_empty() {
        let words: Vec<String> = f.handoffs.iter().map(|h| h.line()).collect();
        lines.push(("Handoffs".into(), words.join("; ")));
    }
    lines
}

fn readiness(c: &ClinicDigest) -> String {
    let n = c.card.criteria.len();
    format!(
        "Exit criteria: {} of {n} met. {}",
        c.card.met(),
        if c.card.exit_ready {
            "Ready to leave hypercare."
        } else {
            "Not ready to leave hypercare yet."
        }
    )
}

/// The plain-text part.
pub fn text(d: &DigestData) -> String {
    let mut s = format!("{} — {}\n", d.subject, d.period);
    for c in &d.clinics {
        clinic_text(&mut s, d, c);
    }
    super::all_clinics::text(&mut s, d);
    if let Some(u) = &d.public_url {
        s.push_str(&format!("\nStatus page: {u}\n"));
    }
    s.push_str("\nThis digest carries counts and names only, never patient identifiers.\n");
    s
}

/// One clinic's part of the plain text.
fn clinic_text(s: &mut String, d: &DigestData, c: &ClinicDigest) {
    let k = &c.card;
    s.push_str(&format!(
        "\n== {} — {} (wave {}, live since {}) ==\n{}\n",
        k.clinic_name,
        day_words(k.day),
        k.wave,
        k.go_live,
        readiness(c)
    ));
    for cr in &k.criteria {
        s.push_str(&format!(
            "  {} {}: {} — {}\n",
            mark(cr.state),
            cr.name,
            cr.state.words(),
            cr.detail
        ));
    }
    for (label, line) in status_lines(&k.figures, c.previous.as_ref()) {
        s.push_str(&format!("{label}: {line}.\n"));
    }
    if c.feedback.is_empty() {
        s.push_str(&format!("Feedback {}: none.\n", d.since_label));
    } else {
        let parts: Vec<String> = c.feedback.iter().map(|(l, n)| format!("{l} {n}")).collect();
        s.push_str(&format!(
            "Feedback {}: {}.\n",
            d.since_label,
            parts.join(", ")
        ));
    }
    blockers_and_alerts_text(s, c);
    super::known::text(s, &c.known);
    super::known::signals_text(s, &c.card, d.at_ms);
    rollback_text(s, d, c);
    let met: Vec<String> = c
        .trend
        .iter()
        .map(|(m, n)| {
            if *n == 0 {
                "-".into()
            } else {
                format!("{m}/{n}")
            }
        })
        .collect();
    s.push_str(&format!(
        "Criteria met per day, last 14 days: {}\n",
        met.join(" ")
    ));
}

fn blockers_and_alerts_text(s: &mut String, c: &ClinicDigest) {
    if c.open_blockers == 0 {
        s.push_str("Open blockers: none.\n");
    } else {
        s.push_str(&format!(
            "Open blockers: {} (oldest first):\n",
            c.open_blockers
        ));
        for b in &c.blockers {
            let quoted = b
                .text
                .as_ref()
                .map_or(String::new(), |t| format!(": \"{t}\""));
            s.push_str(&format!(
                "  - since {} ({} day(s)), {}{quoted}\n",
                b.opened, b.age_days, b.category
            ));
        }
    }
    if c.alerts.is_empty() {
        s.push_str("Active alerts: none.\n");
    } else {
        s.push_str("Active alerts:\n");
        for a in &c.alerts {
            s.push_str(&format!(
                "  - {} ({}): {}\n",
                a.alertname, a.severity, a.summary
            ));
        }
    }
}

fn rollback_text(s: &mut String, d: &DigestData, c: &ClinicDigest) {
    let breached: Vec<_> = c.card.triggers.iter().filter(|t| t.breached).collect();
    if breached.is_empty() {
        s.push_str("Rollback triggers: none breached.\n");
        return;
    }
    s.push_str("ROLLBACK DECISION NEEDED:\n");
    for t in breached {
        s.push_str(&format!("  - {}: {}\n", t.name, t.evidence));
    }
    s.push_str(&format!(
        "  Contingency owner: {}. Escalation: {}.\n",
        d.contingency_owner,
        d.escalation.join(" → ")
    ));
}

pub(super) const FONT: &str = "font-family:Arial,Helvetica,sans-serif;color:#1b1f24;";
pub(super) const TD: &str =
    "padding:4px 8px;border-bottom:1px solid #d0d7de;font-size:14px;vertical-align:top;";

fn state_style(s: State) -> &'static str {
    match s {
        State::Met => "color:#1a7f37;font-weight:bold;",
        State::NotMet => "color:#cf222e;font-weight:bold;",
        State::Unknown => "color:#6e7781;font-weight:bold;",
    }
}

fn clinic_html(d: &DigestData, c: &ClinicDigest) -> Markup {
    let k = &c.card;
    let breached: Vec<_> = k.triggers.iter().filter(|t| t.breached).collect();
    html! {
        table role="presentation" width="100%" cellpadding="0" cellspacing="0" style={"border:1px solid #d0d7de;margin:0 0 20px 0;" (FONT)} {
            tr { td style="padding:12px 16px;background:#f6f8fa;border-bottom:1px solid #d0d7de;" {
                div style="font-size:20px;font-weight:bold;" { (k.clinic_name) }
                div style="font-size:15px;" { (day_words(k.day)) " · wave " (k.wave) " · live since " (k.go_live.to_string()) }
                div style={"font-size:15px;margin-top:4px;" (if k.exit_ready { "color:#1a7f37;" } else { "color:#1b1f24;" })} { strong { (readiness(c)) } }
            } }
            @if !breached.is_empty() {
                tr { td style="padding:10px 16px;background:#ffebe9;border-bottom:1px solid #cf222e;font-size:14px;" {
                    div style="font-weight:bold;color:#cf222e;font-size:16px;" { "Rollback decision needed" }
                    @for t in &breached { div { strong { (t.name) } ": " (t.evidence) } }
                    div style="margin-top:4px;" { "Contingency owner: " strong { (d.contingency_owner) } ". Escalation: " (d.escalation.join(" → ")) "." }
                } }
            }
            tr { td style="padding:8px 16px;" {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" {
                    tr { th align="left" style={(TD) "font-size:13px;color:#57606a;"} { "Exit criterion" } th align="left" style={(TD) "font-size:13px;color:#57606a;"} { "State" } th align="left" style={(TD) "font-size:13px;color:#57606a;"} { "What we measured" } }
                    @for cr in &k.criteria {
                        tr { td style=(TD) { (cr.name) } td style={(TD) (state_style(cr.state))} { (mark(cr.state)) " " (cr.state.words()) } td style=(TD) { (cr.detail) } }
                    }
                }
            } }
            tr { td style="padding:8px 16px;" {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" {
                    @for (label, line) in status_lines(&k.figures, c.previous.as_ref()) {
                        tr { td width="140" style={(TD) "font-weight:bold;"} { (label) } td style=(TD) { (line) } }
                    }
                    tr { td style={(TD) "font-weight:bold;"} { "Feedback" } td style=(TD) {
                        (d.since_label) ": "
                        @if c.feedback.is_empty() { "none" } @else {
                            @for (i, (l, n)) in c.feedback.iter().enumerate() { @if i > 0 { ", " } (l) " " strong { (n) } }
                        }
                    } }
                    tr { td style={(TD) "font-weight:bold;"} { "Open blockers" } td style=(TD) {
                        @if c.open_blockers == 0 { "none" } @else {
                            (c.open_blockers) " open, oldest first:"
                            @for b in &c.blockers { div style="margin-top:4px;" { "since " (b.opened) " (" (b.age_days) " day(s)), " (b.category) @if let Some(t) = &b.text { ": “" (t) "”" } } }
                        }
                    } }
                    tr { td style={(TD) "font-weight:bold;"} { "Active alerts" } td style=(TD) {
                        @if c.alerts.is_empty() { "none" } @else {
                            @for a in &c.alerts { div { strong { (a.alertname) } " (" (a.severity) "): " (a.summary) } }
                        }
                    } }
                    (super::known::html(&c.known, TD))
                    (super::known::signals_html(&c.card, d.at_ms, TD))
                }
            } }
            tr { td style="padding:8px 16px 14px 16px;font-size:13px;color:#57606a;" {
                div { "Exit criteria met per day, last 14 days (" (c.trend_days.first().map_or("", String::as_str)) " to " (c.trend_days.last().map_or("", String::as_str)) "; green: all met, amber: some, grey: no data)" }
                img src={"cid:" (chart_cid(&k.clinic))} width="420" height="80" alt={"Exit criteria met per day for " (k.clinic_name) ", last 14 days"} style="display:block;border:0;margin-top:4px;";
            } }
        }
    }
}

/// The HTML part.
pub fn html(d: &DigestData) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width"; title { (d.subject) } }
            body style={"margin:0;padding:16px;background:#ffffff;" (FONT)} {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:720px;" {
                    tr { td {
                        h1 style="font-size:22px;margin:0 0 4px 0;" { (d.subject) }
                        p style="font-size:14px;color:#57606a;margin:0 0 16px 0;" { (d.period) " · " (d.clinics.len()) " clinic(s)" }
                        @for c in &d.clinics { (clinic_html(d, c)) }
                        (super::all_clinics::html(d, FONT, TD))
                        @if let Some(u) = &d.public_url { p style="font-size:14px;" { "Status page: " a href=(u) { (u) } } }
                        p style="font-size:12px;color:#6e7781;" { "This digest carries counts and names only, never patient identifiers." }
                    } }
                }
            }
        }
    }
    .into_string()
}

/// The HTML with charts as `data:` URIs, for a browser (preview).
pub fn html_with_data_uris(html: &str, charts: &[(String, Vec<u8>)]) -> String {
    use base64::Engine;
    let mut out = html.to_string();
    for (cid, png) in charts {
        let data = base64::engine::general_purpose::STANDARD.encode(png);
        out = out.replace(
            &format!("cid:{cid}"),
            &format!("data:image/png;base64,{data}"),
        );
    }
    out
}
