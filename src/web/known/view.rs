//! Known issues as staff read them: the block above the form (with the
//! "this affects me too" tap) and the `/known` wall page. Large type, no
//! script; titles and workarounds are stored redacted and escaped by maud.

use maud::{Markup, PreEscaped, html};

use crate::config::Clinic;
use crate::feedback::known::KnownIssue;
use crate::web::csrf;
use crate::web::page::{frame, frame_refreshing};

/// How often `/known` reloads itself, in seconds.
pub const REFRESH_SECS: u32 = 60;

const CSS: &str = r#"
.known{border:2px solid #8c959f;border-radius:.55rem;padding:.8rem 1rem;margin:0 0 1rem;background:#f6f8fa}
.known h3{margin:0 0 .35rem;font-size:1.15rem}
.known .state{display:inline-block;font-weight:700;font-size:.9rem;padding:.1rem .5rem;border-radius:1rem;background:#fff;border:1px solid #8c959f;margin:0 0 .4rem}
.known.investigating .state{color:#9a6700;border-color:#9a6700}
.known.workaround_available .state{color:#0b5cad;border-color:#0b5cad}
.known.fixed .state,.known.monitoring .state{color:#116329;border-color:#116329}
.known .workaround{white-space:pre-wrap;background:#fff;border-left:5px solid #0b5cad;padding:.5rem .75rem;margin:.4rem 0}
.known .late{color:#a40e26;font-weight:650}
.known form{margin:.5rem 0 0}
.wall{font-size:1.45rem}
.wall h1{font-size:2.1rem}.wall h3{font-size:1.6rem}
.wall .known{padding:1.1rem 1.3rem}
"#;

fn state_line(i: &KnownIssue) -> Markup {
    let label: &str = i.status().map_or(i.status.as_str(), |s| s.label());
    html! {
        span.state { (label) }
        @if i.still_worked_around {
            " " span.late { "Fixed, but staff still work around it: please use the normal way again." }
        }
    }
}

fn body(i: &KnownIssue) -> Markup {
    html! {
        h3 { (i.title) }
        (state_line(i))
        @if !i.workaround.is_empty() && i.status().is_some_and(|s| s.is_open()) {
            p { strong { "What to do meanwhile:" } }
            div.workaround { (i.workaround) }
        }
    }
}

/// What the form's block needs to let staff tap.
pub struct TapContext<'a> {
    pub csrf: &'a str,
    pub clinic: Option<&'a str>,
    pub role: Option<&'a str>,
    /// The issue just tapped, to say it was counted.
    pub tapped: Option<i64>,
}

/// The issues above the form, each with its tap.
pub fn form_block(issues: &[KnownIssue], t: &TapContext<'_>) -> Markup {
    html! {
        @if !issues.is_empty() {
            style { (PreEscaped(CSS)) }
            section aria-labelledby="known-title" {
                h2 id="known-title" { "Known problems at your clinic" }
                p.hint { "If yours is listed, tap \u{201c}This affects me too\u{201d}: no need to write it again." }
                @for i in issues {
                    div id={ "known-" (i.id) } class={ "known " (i.status) } {
                        (body(i))
                        @if t.tapped == Some(i.id) {
                            p.notice role="status" { "Counted: thank you. You do not need to report it again." }
                        } @else {
                            form method="post" action={ "/known/" (i.id) "/tap" } {
                                input type="hidden" name=(csrf::FIELD) value=(t.csrf);
                                input type="hidden" name="tap_id" value=(csrf::random_id());
                                @if let Some(c) = t.clinic { input type="hidden" name="clinic" value=(c); }
                                @if let Some(r) = t.role { input type="hidden" name="role" value=(r); }
                                button.secondary type="submit" { "This affects me too" }
                            }
                        }
                    }
                }
                h2 { "Something else?" }
            }
        }
    }
}

/// `/known?clinic=ID`: a clinic's known issues, for a bookmark or a wall.
pub fn wall(clinic: Option<&Clinic>, issues: &[KnownIssue], updated: &str) -> Markup {
    let name = clinic.map_or("your site", |c| c.name.as_str());
    let report = clinic.map_or("/feedback".to_string(), |c| {
        format!("/feedback?clinic={}", c.id)
    });
    frame_refreshing(
        &format!("Known problems · {name}"),
        REFRESH_SECS,
        html! {
            style { (PreEscaped(CSS)) }
            div.wall {
                h1 { "Known problems at " (name) }
                p.lead { "What the go-live command center knows, and what to do meanwhile. Updated " (updated) " UTC." }
                @if issues.is_empty() {
                    p { "No known problems right now. Something wrong? Report it on the feedback form." }
                }
                @for i in issues {
                    div class={ "known " (i.status) } { (body(i)) }
                }
                p { a href=(report) { "Report a problem" } }
            }
        },
    )
}

/// `/known` without a (known) clinic: which one?
pub fn chooser(clinics: &[Clinic]) -> Markup {
    frame(
        "Known problems",
        false,
        html! {
            h1 { "Known problems" }
            p { "Choose your clinic:" }
            ul { @for c in clinics { li { a href={ "/known?clinic=" (c.id) } { (c.name) } } } }
        },
    )
}
