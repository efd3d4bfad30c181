//! The triage pages as HTML. Report text and notes are shown as text
//! (maud escapes them; the page allows no script either).

use maud::{Markup, html};

use crate::feedback::{Event, Feedback, Item, Severity, Status};
use crate::store::FeedbackFilter;
use crate::web::csrf;
use crate::web::filters::to_query;
use crate::web::page::frame;

/// What the detail page shows besides the report.
#[derive(Debug, Default)]
pub struct DetailView {
    pub csrf: String,
    /// Why the last change was refused.
    pub error: Option<String>,
    /// The note typed with a refused change, shown again.
    pub note: String,
    /// The report was just moved.
    pub changed: bool,
}

fn clinic_name(fb: &Feedback, id: Option<&str>) -> String {
    match id {
        None => "—".into(),
        Some(id) => fb
            .clinics()
            .iter()
            .find(|c| c.id.as_str() == id)
            .map_or(id.to_string(), |c| c.name.clone()),
    }
}

fn category_label(fb: &Feedback, id: &str) -> String {
    fb.config()
        .category(id)
        .map_or(id.to_string(), |c| c.label.clone())
}

fn role_label(fb: &Feedback, id: &str) -> String {
    fb.config()
        .role(id)
        .map_or(id.to_string(), |c| c.label.clone())
}

fn severity_label(id: &str) -> &str {
    Severity::parse(id).map_or(id, |s| s.label())
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(160).collect();
    if text.chars().count() > 160 {
        s.push('…');
    }
    s
}

pub fn list_page(
    fb: &Feedback,
    f: &FeedbackFilter,
    items: &[Item],
    open: &[(String, i64)],
) -> Markup {
    let open_of = |s: Severity| {
        open.iter()
            .find(|(k, _)| k == s.as_str())
            .map_or(0, |(_, n)| *n)
    };
    let query = to_query(f);
    frame(
        "Staff feedback",
        true,
        html! {
            h1 { "Staff feedback" }
            p.lead {
                "Open: " strong { (open_of(Severity::BlocksWork)) } " blocking work, "
                strong { (open_of(Severity::SlowsWork)) } " slowing work, "
                strong { (open_of(Severity::Annoyance)) } " annoyances. "
                a href={ "/admin/feedback.csv?" (query) } { "Export these as CSV" }
            }
            (filter_form(fb, f))
            @if items.is_empty() {
                p { "No reports match." }
            } @else {
                table {
                    thead { tr { th { "#" } th { "received (UTC)" } th { "clinic" } th { "role" } th { "category" }
                        th { "severity" } th { "workaround" } th { "status" } th { "what they wrote" } } }
                    tbody {
                        @for i in items {
                            tr {
                                td { a href={ "/admin/feedback/" (i.id) } { "#" (i.id) } }
                                td { (i.created_at.replace('T', " ").trim_end_matches('Z')) }
                                td { (clinic_name(fb, i.clinic.as_deref())) }
                                td { (role_label(fb, &i.role)) }
                                td { (category_label(fb, &i.category)) }
                                td class={ "sev-" (i.severity) } { (severity_label(&i.severity)) }
                                td { @if i.workaround { "yes" } }
                                td class={ "status-" (i.status) } { (i.status) }
                                td.text { (short(&i.text)) }
                            }
                        }
                    }
                }
                @if items.len() as i64 == f.limit {
                    @if let Some(last) = items.last() {
                        p { a href={ "/admin/feedback?" (query) "&before=" (last.id) } { "Older reports →" } }
                    }
                }
            }
        },
    )
}

fn filter_form(fb: &Feedback, f: &FeedbackFilter) -> Markup {
    let sel = |current: &Option<String>, v: &str| current.as_deref() == Some(v);
    html! {
        form.filters method="get" action="/admin/feedback" {
            @if !fb.clinics().is_empty() {
                div { label for="f-clinic" { "Clinic" } br;
                    select id="f-clinic" name="clinic" { option value="" { "any" }
                        @for c in fb.clinics() { option value=(c.id) selected[sel(&f.clinic, c.id.as_str())] { (c.name) } } } }
            }
            div { label for="f-category" { "Category" } br;
                select id="f-category" name="category" { option value="" { "any" }
                    @for c in &fb.config().categories { option value=(c.id) selected[sel(&f.category, c.id.as_str())] { (c.label) } } } }
            div { label for="f-severity" { "Severity" } br;
                select id="f-severity" name="severity" { option value="" { "any" }
                    @for s in Severity::ALL { option value=(s.as_str()) selected[sel(&f.severity, s.as_str())] { (s.label()) } } } }
            div { label for="f-status" { "Status" } br;
                select id="f-status" name="status" { option value="" { "any" }
                    @for s in Status::ALL { option value=(s.as_str()) selected[sel(&f.status, s.as_str())] { (s.as_str()) } } } }
            div { button type="submit" { "Filter" } }
        }
    }
}

fn button_label(to: Status, from: &str) -> &'static str {
    match (to, from) {
        (Status::Acknowledged, "resolved") => "Reopen",
        (Status::Acknowledged, _) => "Acknowledge",
        (Status::Resolved, _) => "Resolve",
        (Status::New, _) => "Mark new",
    }
}

pub fn detail_page(fb: &Feedback, i: &Item, events: &[Event], v: &DetailView) -> Markup {
    let status = Status::parse(&i.status);
    frame(
        &format!("Report #{}", i.id),
        true,
        html! {
            p { a href="/admin/feedback" { "← All reports" } }
            h1 { "Report #" (i.id) " " span class={ "status-" (i.status) } { "(" (i.status) ")" } }
            @if v.changed { p.notice role="status" { "Saved: the report is now " (i.status) "." } }
            @if let Some(e) = &v.error { div.summary role="alert" { p { (e) } } }
            dl.facts {
                dt { "Received" } dd { (i.created_at) }
                dt { "Clinic" } dd { (clinic_name(fb, i.clinic.as_deref())) }
                dt { "Role" } dd { (role_label(fb, &i.role)) }
                dt { "Category" } dd { (category_label(fb, &i.category)) }
                dt { "Severity" } dd { (severity_label(&i.severity)) }
                dt { "Manual workaround" } dd { @if i.workaround { "yes" } @else { "no" } }
                dt { "Contact" } dd { (i.contact.as_deref().unwrap_or("—")) }
                dt { "Sent through" } dd { (i.source) }
                dt { "Identifiers removed" } dd { @if i.redacted.is_empty() { "none" } @else { (i.redacted.join(", ")) } }
            }
            p { a href={ "/admin/known?reports=" (i.id) } { "Make a known issue of it" } " · " a href="/admin/known" { "Known issues" } }
            h2 { "What they wrote" }
            div.text-block { @if i.text.is_empty() { em { "(no text)" } } @else { (i.text) } }
            @if let Some(status) = status {
                h2 { "Triage" }
                form method="post" action={ "/admin/feedback/" (i.id) "/status" } {
                    input type="hidden" name=(csrf::FIELD) value=(v.csrf);
                    div.field {
                        label.label for="note" { "Note" }
                        p.hint id="note-hint" { "Required to resolve: what was done, or why. No patient details." }
                        textarea id="note" name="note" rows="3" aria-describedby="note-hint" { (v.note) }
                    }
                    @for to in status.next() {
                        button type="submit" name="to" value=(to.as_str()) class=[(*to != Status::Resolved).then_some("secondary")] {
                            (button_label(*to, &i.status))
                        } " "
                    }
                }
            }
            h2 { "History" }
            table {
                thead { tr { th { "when (UTC)" } th { "who" } th { "change" } th { "note" } } }
                tbody {
                    @for e in events {
                        tr {
                            td { (e.at.replace('T', " ").trim_end_matches('Z')) }
                            td { (e.actor) }
                            td { @if let Some(f) = &e.from { (f) " → " } (e.to) }
                            td.text { (e.note) }
                        }
                    }
                }
            }
        },
    )
}
