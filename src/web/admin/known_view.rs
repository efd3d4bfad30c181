//! The known-issue triage pages as HTML (maud escapes every value; the
//! page runs no script).

use maud::{Markup, html};

use crate::feedback::known::model::{MAX_TITLE_CHARS, MAX_WORKAROUND_CHARS};
use crate::feedback::known::{KnownDetail, KnownIssue, KnownIssues, KnownStatus};
use crate::web::csrf;
use crate::web::page::frame;

/// What was typed into the create form, shown again when it is refused.
#[derive(Debug, Default)]
pub struct Typed {
    pub title: String,
    pub workaround: String,
    pub reports: String,
    pub error: Option<String>,
}

fn status_label(s: &str) -> &str {
    KnownStatus::parse(s).map_or(s, |s| s.label())
}

fn row(i: &KnownIssue) -> Markup {
    html! {
        tr {
            td { a href={ "/admin/known/" (i.id) } { "#" (i.id) } }
            td { (i.title) }
            td { (status_label(&i.status)) @if i.still_worked_around { br; strong { "fixed, but staff still work around it" } } }
            td { (i.clinics.join(", ")) }
            td { @if i.roles.is_empty() { "all" } @else { (i.roles.join(", ")) } }
            td { (i.reporters) }
            td { (i.taps) }
        }
    }
}

pub fn list(known: &KnownIssues, issues: &[KnownIssue], csrf_token: &str, t: &Typed) -> Markup {
    frame(
        "Known issues",
        true,
        html! {
            p { a href="/admin/feedback" { "← Reports" } }
            h1 { "Known issues" }
            @if let Some(e) = &t.error { div.summary role="alert" { p { (e) } } }
            @if issues.is_empty() { p { "No known issues yet." } } @else {
                table {
                    thead { tr { th { "#" } th { "title" } th { "status" } th { "clinics" } th { "roles" } th { "reporters" } th { "taps" } } }
                    tbody { @for i in issues { (row(i)) } }
                }
            }
            h2 { "New known issue" }
            form method="post" action="/admin/known" {
                input type="hidden" name=(csrf::FIELD) value=(csrf_token);
                div.field { label.label for="title" { "Title (plain words staff recognise)" }
                    input type="text" id="title" name="title" required maxlength=(MAX_TITLE_CHARS) value=(t.title); }
                div.field { label.label for="workaround" { "What to do meanwhile" }
                    p.hint { "No patient details: identifiers are removed before it is stored." }
                    textarea id="workaround" name="workaround" rows="3" maxlength=(MAX_WORKAROUND_CHARS) { (t.workaround) } }
                @if !known.clinics().is_empty() {
                    fieldset { legend { "Clinics (none ticked: all)" }
                        @for c in known.clinics() { label.check { input type="checkbox" name="clinics" value=(c.id); span { (c.name) } } } }
                }
                fieldset { legend { "Roles (none ticked: all)" }
                    @for r in &known.config().roles { label.check { input type="checkbox" name="roles" value=(r.id); span { (r.label) } } } }
                div.field { label.label for="status" { "Status" }
                    select id="status" name="status" { @for s in KnownStatus::ALL { option value=(s.as_str()) { (s.label()) } } } }
                div.field { label.check { input type="checkbox" name="training" value="yes"; span { "The cause is a training gap" } } }
                div.field { label.label for="reports" { "Reports to merge (numbers)" }
                    input type="text" id="reports" name="reports" value=(t.reports) placeholder="12, 15"; }
                button type="submit" { "Create known issue" }
            }
        },
    )
}

pub fn detail(
    known: &KnownIssues,
    d: &KnownDetail,
    csrf_token: &str,
    message: Option<&str>,
) -> Markup {
    let i = &d.issue;
    let _ = known;
    frame(
        &format!("Known issue #{}", i.id),
        true,
        html! {
            p { a href="/admin/known" { "← All known issues" } }
            h1 { "Known issue #" (i.id) ": " (i.title) }
            @if let Some(m) = message { p.notice role="status" { (m) } }
            dl.facts {
                dt { "Status" } dd { (status_label(&i.status)) @if i.still_worked_around { " — fixed, but staff still work around it" } }
                dt { "Clinics" } dd { (i.clinics.join(", ")) }
                dt { "Roles" } dd { @if i.roles.is_empty() { "all" } @else { (i.roles.join(", ")) } }
                dt { "Training gap" } dd { @if i.training { "yes" } @else { "no" } }
                dt { "Reporters" } dd { (i.reporters) }
                dt { "\u{201c}Affects me too\u{201d} taps" } dd { (i.taps) }
                dt { "Per clinic" } dd {
                    @if d.by_clinic.is_empty() { "no taps or workaround reports yet" }
                    @for (clinic, taps, workarounds) in &d.by_clinic {
                        (clinic) ": " (taps) " taps, " (workarounds) " workaround reports" br;
                    }
                }
                dt { "Identifiers removed" } dd { @if i.redacted.is_empty() { "none" } @else { (i.redacted.join(", ")) } }
                dt { "Reports" } dd { @for r in &d.reports { a href={ "/admin/feedback/" (r) } { "#" (r) } " " } }
            }
            h2 { "What to do meanwhile" }
            div.text-block { @if i.workaround.is_empty() { em { "(none yet)" } } @else { (i.workaround) } }
            h2 { "Status" }
            form method="post" action={ "/admin/known/" (i.id) "/status" } {
                input type="hidden" name=(csrf::FIELD) value=(csrf_token);
                div.field { label.label for="note" { "Note (for the history; no patient details)" }
                    textarea id="note" name="note" rows="2" {} }
                @for s in KnownStatus::ALL {
                    @if s.as_str() != i.status {
                        button.secondary type="submit" name="to" value=(s.as_str()) { "Mark " (s.label().to_lowercase()) } " "
                    }
                }
                p.hint { "Workaround available and fixed e-mail each reporter who left an address, once." }
            }
            h2 { "Merge reports" }
            form method="post" action={ "/admin/known/" (i.id) "/reports" } {
                input type="hidden" name=(csrf::FIELD) value=(csrf_token);
                div.field { label.label for="reports" { "Report numbers" } input type="text" id="reports" name="reports" placeholder="12, 15"; }
                button.secondary type="submit" { "Merge" }
            }
            h2 { "History" }
            table {
                thead { tr { th { "when (UTC)" } th { "who" } th { "change" } th { "note" } } }
                tbody { @for e in &d.events { tr {
                    td { (e.at.replace('T', " ").trim_end_matches('Z')) } td { (e.actor) }
                    td { @if let Some(f) = &e.from { (f) " → " } (e.to) } td.text { (e.note) }
                } } }
            }
        },
    )
}
