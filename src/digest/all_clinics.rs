//! A digest's "all clinics" part: what belongs to no one clinic (findings
//! no clinic owns, alerts about shared checks), shown once after the
//! clinics instead of in each clinic's part.

use maud::{Markup, html};

use super::content::DigestData;

/// What belongs to no one clinic, once: findings no clinic owns and
/// alerts about shared checks.
pub(super) fn text(s: &mut String, d: &DigestData) {
    if d.unowned.is_none() && d.shared_alerts.is_empty() {
        return;
    }
    s.push_str("\n== All clinics ==\n");
    if let Some(u) = &d.unowned {
        s.push_str(&format!("Findings no clinic owns: {}.\n", u.words()));
    }
    if !d.shared_alerts.is_empty() {
        s.push_str("Active alerts about no one clinic:\n");
        for a in &d.shared_alerts {
            s.push_str(&format!(
                "  - {} ({}): {}\n",
                a.alertname, a.severity, a.summary
            ));
        }
    }
}

/// The "all clinics" box: findings no clinic owns and shared alerts, once.
pub(super) fn html(d: &DigestData, font: &str, td: &str) -> Markup {
    html! {
        @if d.unowned.is_some() || !d.shared_alerts.is_empty() {
            table role="presentation" width="100%" cellpadding="0" cellspacing="0" style={"border:1px solid #d0d7de;margin:0 0 20px 0;" (font)} {
                tr { td style="padding:12px 16px;background:#f6f8fa;border-bottom:1px solid #d0d7de;" {
                    div style="font-size:20px;font-weight:bold;" { "All clinics" }
                } }
                tr { td style="padding:8px 16px;" {
                    table role="presentation" width="100%" cellpadding="0" cellspacing="0" {
                        @if let Some(u) = &d.unowned {
                            tr { td width="140" style={(td) "font-weight:bold;"} { "No clinic owns" } td style=(td) { (u.words()) } }
                        }
                        @if !d.shared_alerts.is_empty() {
                            tr { td width="140" style={(td) "font-weight:bold;"} { "Active alerts" } td style=(td) {
                                @for a in &d.shared_alerts { div { strong { (a.alertname) } " (" (a.severity) "): " (a.summary) } }
                            } }
                        }
                    }
                } }
            }
        }
    }
}
