//! What a report is: fixed severities and statuses, validation of what a
//! reporter sent, and the typed view of a stored report.

use serde::Serialize;

use crate::config::{Clinic, FeedbackConfig, Name};

/// Longest free text kept, in characters (the form says so).
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest contact line, in characters.
pub const MAX_CONTACT_CHARS: usize = 200;
/// Longest triage note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Label of reports from a site with no `[[clinics]]`.
pub const NO_CLINIC: &str = "_none";

/// How badly it hurts; fixed, so every site's numbers compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    BlocksWork,
    SlowsWork,
    Annoyance,
}

impl Severity {
    pub const ALL: [Severity; 3] = [
        Severity::BlocksWork,
        Severity::SlowsWork,
        Severity::Annoyance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::BlocksWork => "blocks_work",
            Severity::SlowsWork => "slows_work",
            Severity::Annoyance => "annoyance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::BlocksWork => "It blocks my work",
            Severity::SlowsWork => "It slows me down",
            Severity::Annoyance => "It is an annoyance",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a report is in triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Acknowledged,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::New, Status::Acknowledged, Status::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// new → acknowledged → resolved; new → resolved (a duplicate, say);
    /// resolved → acknowledged reopens.
    pub fn can_move_to(self, to: Status) -> bool {
        matches!(
            (self, to),
            (Status::New, Status::Acknowledged)
                | (Status::New, Status::Resolved)
                | (Status::Acknowledged, Status::Resolved)
                | (Status::Resolved, Status::Acknowledged)
        )
    }

    /// The targets offered from this status.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::New => &[Status::Acknowledged, Status::Resolved],
            Status::Acknowledged => &[Status::Resolved],
            Status::Resolved => &[Status::Acknowledged],
        }
    }
}

/// A form field, for messages shown next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Clinic,
    Role,
    Category,
    Severity,
    Text,
    Contact,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Clinic => "clinic",
            Field::Role => "role",
            Field::Category => "category",
            Field::Severity => "severity",
            Field::Text => "text",
            Field::Contact => "contact",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

/// What a reporter sent, before validation.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub clinic: Option<String>,
    pub role: Option<String>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub workaround: bool,
    pub text: String,
    pub contact: String,
}

/// A valid report; `text` is still raw (not redacted): it lives in memory
/// only until the guard redacts it.
#[derive(Debug, Clone)]
pub struct Report {
    pub clinic: Option<Name>,
    pub role: Name,
    pub category: Name,
    pub severity: Severity,
    pub workaround: bool,
    pub text: String,
    pub contact: Option<String>,
}

/// Checks a draft against the configured lists; every mistake, per field.
pub fn validate(
    d: &Draft,
    cfg: &FeedbackConfig,
    clinics: &[Clinic],
) -> Result<Report, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field, message: &str| {
        errors.push(FieldError {
            field,
            message: message.to_string(),
        })
    };
    let clinic = match given(&d.clinic) {
        _ if clinics.is_empty() => None,
        None => {
            fail(Field::Clinic, "Choose your clinic.");
            None
        }
        Some(c) => {
            let found = clinics
                .iter()
                .find(|k| k.id.as_str() == c)
                .map(|k| k.id.clone());
            if found.is_none() {
                fail(Field::Clinic, "Choose a clinic from the list.");
            }
            found
        }
    };
    let role = pick(given(&d.role), |r| cfg.role(r).map(|c| c.id.clone()));
    if role.is_none() {
        fail(Field::Role, "Choose your role.");
    }
    let category = pick(given(&d.category), |r| {
        cfg.category(r).map(|c| c.id.clone())
    });
    if category.is_none() {
        fail(Field::Category, "Choose what the problem is about.");
    }
    let severity = given(&d.severity).and_then(Severity::parse);
    if severity.is_none() {
        fail(Field::Severity, "Choose how much it affects your work.");
    }
    let text = clean_text(&d.text);
    if text.chars().count() > MAX_TEXT_CHARS {
        fail(
            Field::Text,
            &format!("Keep it under {MAX_TEXT_CHARS} characters."),
        );
    }
    let contact = clean_line(&d.contact);
    if contact.chars().count() > MAX_CONTACT_CHARS {
        fail(
            Field::Contact,
            &format!("Keep it under {MAX_CONTACT_CHARS} characters."),
        );
    }
    match (role, category, severity) {
        (Some(role), Some(category), Some(severity)) if errors.is_empty() => Ok(Report {
            clinic,
            role,
            category,
            severity,
            workaround: d.workaround,
            text,
            contact: (!contact.is_empty()).then_some(contact),
        }),
        _ => Err(errors),
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn pick(value: Option<&str>, find: impl Fn(&str) -> Option<Name>) -> Option<Name> {
    value.and_then(find)
}

/// Line endings normalised, control characters other than newline and tab
/// dropped, outer whitespace trimmed.
pub fn clean_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .trim()
        .to_string()
}

fn clean_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clinics() -> Vec<Clinic> {
        vec![Clinic {
            id: Name::parse("north").unwrap(),
            name: "North".into(),
            codes: Vec::new(),
        }]
    }

    fn draft() -> Draft {
        Draft {
            clinic: Some("north".into()),
            role: Some("nurse".into()),
            category: Some("notes_slow".into()),
            severity: Some("slows_work".into()),
            workaround: true,
            text: "  Notes take\r\n twice as long \u{0}".into(),
            contact: " ext 4411\n".into(),
        }
    }

    #[test]
    fn a_complete_draft_is_a_report() {
        let r = validate(&draft(), &FeedbackConfig::default(), &clinics()).unwrap();
        assert_eq!(r.severity, Severity::SlowsWork);
        assert_eq!(r.text, "Notes take\n twice as long");
        assert_eq!(r.contact.as_deref(), Some("ext 4411"));
    }

    #[test]
    fn every_mistake_is_named_by_field() {
        let d = Draft {
            clinic: Some("nowhere".into()),
            role: None,
            category: Some("<script>".into()),
            severity: Some("catastrophic".into()),
            text: "x".repeat(MAX_TEXT_CHARS + 1),
            ..Draft::default()
        };
        let errors = validate(&d, &FeedbackConfig::default(), &clinics()).unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                Field::Clinic,
                Field::Role,
                Field::Category,
                Field::Severity,
                Field::Text
            ]
        );
    }

    #[test]
    fn without_configured_clinics_no_clinic_is_asked() {
        let r = validate(
            &Draft {
                clinic: None,
                ..draft()
            },
            &FeedbackConfig::default(),
            &[],
        )
        .unwrap();
        assert!(r.clinic.is_none());
    }

    #[test]
    fn triage_moves_forward_and_can_reopen() {
        assert!(Status::New.can_move_to(Status::Acknowledged));
        assert!(Status::Acknowledged.can_move_to(Status::Resolved));
        assert!(Status::Resolved.can_move_to(Status::Acknowledged));
        assert!(!Status::Resolved.can_move_to(Status::New));
        assert!(!Status::Acknowledged.can_move_to(Status::Acknowledged));
    }
}
