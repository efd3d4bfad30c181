//! The staff form as HTML: labelled fields, radio groups in fieldsets,
//! messages next to the field they concern and in a summary at the top,
//! large touch targets, no JavaScript. maud escapes every value.

use maud::{Markup, html};

use crate::feedback::model::{MAX_CONTACT_CHARS, MAX_TEXT_CHARS};
use crate::feedback::{
    Draft, Feedback, Field, FieldError, Finding, Redacted, Severity, describe_all,
};
use crate::web::csrf;
use crate::web::page::frame;

/// Everything the form shows: what was typed, what is wrong, what to fix.
pub struct FormView<'a> {
    pub feedback: &'a Feedback,
    pub draft: Draft,
    pub errors: Vec<FieldError>,
    /// Likely identifiers found in the (cleaned) text, to show what would go.
    pub warning: Option<(String, Vec<Finding>)>,
    /// A problem that is not about one field (store down, expired form).
    pub notice: Option<String>,
    pub csrf: String,
    pub submission_id: String,
    /// The known issues of the clinic and role, above the form (empty on a re-shown post).
    pub known: Markup,
}

impl FormView<'_> {
    fn error(&self, field: Field) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `aria-describedby` for a field: its hint and its error, if any.
    fn described_by(&self, field: Field, hint: bool) -> Option<String> {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{}-hint", field.as_str()));
        }
        if self.error(field).is_some() {
            ids.push(format!("{}-error", field.as_str()));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

pub fn render(v: &FormView<'_>) -> Markup {
    let title = if v.errors.is_empty() && v.warning.is_none() && v.notice.is_none() {
        "Report a problem"
    } else {
        "Report a problem (please check)"
    };
    frame(
        title,
        false,
        html! {
            h1 { "Report a problem with the new system" }
            p.lead { "About 30 seconds. The go-live command center reads every report." }
            (v.known)
            @if let Some(n) = &v.notice {
                div.summary role="alert" { h2 { "Your report was not sent yet" } p { (n) } }
            }
            @if !v.errors.is_empty() { (summary(&v.errors)) }
            @if let Some((text, found)) = &v.warning { (warning(text, found)) }
            form method="post" action="/feedback" accept-charset="utf-8" {
                input type="hidden" name=(csrf::FIELD) value=(v.csrf);
                input type="hidden" name="submission_id" value=(v.submission_id);
                @if !v.feedback.clinics().is_empty() { (clinic(v)) }
                (role(v))
                (category(v))
                (severity(v))
                div.field {
                    label.check for="workaround" {
                        input type="checkbox" id="workaround" name="workaround" value="yes" checked[v.draft.workaround];
                        span { "I had to use a manual workaround" }
                    }
                }
                (text(v))
                (contact(v))
                @if v.warning.is_some() {
                    div.field {
                        label.check for="phi_ack" {
                            input type="checkbox" id="phi_ack" name="phi_ack" value="yes";
                            span { "Send it with the marked parts removed" }
                        }
                    }
                }
                button type="submit" { "Send report" }
            }
        },
    )
}

fn summary(errors: &[FieldError]) -> Markup {
    html! {
        div.summary role="alert" aria-labelledby="summary-title" tabindex="-1" {
            h2 id="summary-title" { "Please fix " (errors.len()) @if errors.len() == 1 { " thing" } @else { " things" } }
            ul { @for e in errors { li { a href={ "#" (e.field.as_str()) } { (e.message) } } } }
        }
    }
}

fn warning(text: &str, found: &[Finding]) -> Markup {
    let kinds = describe_all(found.iter().map(|f| &f.kind));
    html! {
        div.warning role="alert" {
            h2 { "Please take out patient details" }
            p { "Your text looks like it includes " (kinds) ". Edit the text below to remove it, or tick "
                strong { "Send it with the marked parts removed" } ". This is what would be stored:" }
            div.preview {
                @for (plain, removed) in segments(text, found) {
                    (plain)
                    @if let Some(r) = removed { mark { (r) } }
                }
            }
            p { strong { "Names are not caught automatically" } ": please check your text for patient names yourself." }
        }
    }
}

/// The text cut at each finding: each plain part, then what replaces the finding.
fn segments<'a>(text: &'a str, found: &[Finding]) -> Vec<(&'a str, Option<&'static str>)> {
    let mut out = Vec::new();
    let mut at = 0;
    for f in found {
        out.push((
            text.get(at..f.range.start).unwrap_or(""),
            Some(f.kind.placeholder()),
        ));
        at = f.range.end;
    }
    out.push((text.get(at..).unwrap_or(""), None));
    out
}

fn error_line(v: &FormView<'_>, field: Field) -> Markup {
    html! {
        @if let Some(e) = v.error(field) {
            p.error-message id={ (field.as_str()) "-error" } { span.small { "Error: " } (e) }
        }
    }
}

fn clinic(v: &FormView<'_>) -> Markup {
    let f = Field::Clinic;
    let chosen = v.draft.clinic.as_deref().unwrap_or("");
    html! {
        div.field.invalid[v.error(f).is_some()] {
            label.label for="clinic" { "Clinic" }
            (error_line(v, f))
            select id="clinic" name="clinic" required aria-invalid=[v.error(f).map(|_| "true")]
                aria-describedby=[v.described_by(f, false)] {
                option value="" { "Choose your clinic" }
                @for c in v.feedback.clinics() {
                    option value=(c.id) selected[c.id.as_str() == chosen] { (c.name) }
                }
            }
        }
    }
}

fn role(v: &FormView<'_>) -> Markup {
    let f = Field::Role;
    let chosen = v.draft.role.as_deref().unwrap_or("");
    html! {
        div.field.invalid[v.error(f).is_some()] {
            label.label for="role" { "Your role" }
            (error_line(v, f))
            select id="role" name="role" required aria-invalid=[v.error(f).map(|_| "true")]
                aria-describedby=[v.described_by(f, false)] {
                option value="" { "Choose your role" }
                @for r in &v.feedback.config().roles {
                    option value=(r.id) selected[r.id.as_str() == chosen] { (r.label) }
                }
            }
        }
    }
}

fn category(v: &FormView<'_>) -> Markup {
    let f = Field::Category;
    let chosen = v.draft.category.as_deref().unwrap_or("");
    html! {
        fieldset id="category" .invalid[v.error(f).is_some()] aria-describedby=[v.described_by(f, false)] {
            legend { "What is it about?" }
            (error_line(v, f))
            div.choices.two {
                @for (i, c) in v.feedback.config().categories.iter().enumerate() {
                    label.choice for={ "category-" (i) } {
                        input type="radio" id={ "category-" (i) } name="category" value=(c.id)
                            required checked[c.id.as_str() == chosen];
                        span { (c.label) }
                    }
                }
            }
        }
    }
}

fn severity(v: &FormView<'_>) -> Markup {
    let f = Field::Severity;
    let chosen = v.draft.severity.as_deref().unwrap_or("");
    html! {
        fieldset id="severity" .invalid[v.error(f).is_some()] aria-describedby=[v.described_by(f, false)] {
            legend { "How much does it affect your work?" }
            (error_line(v, f))
            div.choices {
                @for s in Severity::ALL {
                    label.choice for={ "severity-" (s.as_str()) } {
                        input type="radio" id={ "severity-" (s.as_str()) } name="severity" value=(s.as_str())
                            required checked[s.as_str() == chosen];
                        span { (s.label()) }
                    }
                }
            }
        }
    }
}

fn text(v: &FormView<'_>) -> Markup {
    let f = Field::Text;
    html! {
        div.field.invalid[v.error(f).is_some()] {
            label.label for="text" { "What happened? (optional)" }
            p.hint id="text-hint" {
                "Describe the problem, not the patient: no names, MRNs, dates of birth or phone numbers. "
                "We remove numbers that look like patient identifiers, but we cannot catch names."
            }
            (error_line(v, f))
            textarea id="text" name="text" rows="6" maxlength=(MAX_TEXT_CHARS)
                aria-invalid=[v.error(f).map(|_| "true")] aria-describedby=[v.described_by(f, true)] {
                (v.draft.text)
            }
        }
    }
}

fn contact(v: &FormView<'_>) -> Markup {
    let f = Field::Contact;
    html! {
        div.field.invalid[v.error(f).is_some()] {
            label.label for="contact" { "Your name or extension (optional)" }
            p.hint id="contact-hint" { "Only if you would like the command center to get back to you." }
            (error_line(v, f))
            input type="text" id="contact" name="contact" value=(v.draft.contact) maxlength=(MAX_CONTACT_CHARS)
                autocomplete="name" aria-invalid=[v.error(f).map(|_| "true")] aria-describedby=[v.described_by(f, true)];
        }
    }
}

/// The page after a report reached the store.
pub fn thanks(id: i64, redacted: &Redacted, again: &str) -> Markup {
    let kinds = describe_all(&redacted.kinds);
    frame(
        "Thank you",
        false,
        html! {
            h1 { "Thank you: report #" (id) " is in" }
            p { "The command center reviews every report during hypercare. If you left a contact, they may get back to you." }
            @if !kinds.is_empty() {
                p.notice { "Before storing it we removed " (kinds) "." }
            }
            p { a.button href=(again) { "Report another problem" } }
        },
    )
}
