//! The typed `[feedback]` and `[[clinics]]` sections: what the staff form
//! offers (clinics, roles, categories), how it guards patient data (the
//! site's MRN pattern), and its abuse limits.
//!
//! Clinics are a top-level section because more than feedback names them
//! (digests, the status page's scorecard).

use std::time::Duration;

use super::Name;

/// A clinic staff can report from; `id` is a label-safe name used in links
/// (`/feedback?clinic=north`) and metric labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clinic {
    pub id: Name,
    /// What people read.
    pub name: String,
    /// The values that mean this clinic in the watched data (facility ids,
    /// site codes, FHIR organization references); unique across clinics.
    pub codes: Vec<String>,
}

/// The clinic of findings whose value matches no clinic's codes.
pub const UNASSIGNED: &str = "_unassigned";

/// Finds the clinic a value in the watched data stands for, by the
/// configured codes. Built once per check from `[[clinics]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClinicCodes {
    by_code: std::collections::HashMap<String, String>,
}

impl ClinicCodes {
    pub fn new(clinics: &[Clinic]) -> ClinicCodes {
        let by_code = clinics
            .iter()
            .flat_map(|c| {
                c.codes
                    .iter()
                    .map(move |code| (code.clone(), c.id.to_string()))
            })
            .collect();
        ClinicCodes { by_code }
    }

    /// Whether any clinic has codes (else nothing can be attributed).
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// The clinic id of a value; surrounding blanks ignored (CHAR columns
    /// pad), and an absent or unknown value is [`UNASSIGNED`].
    pub fn clinic_of(&self, value: Option<&str>) -> &str {
        value
            .and_then(|v| self.by_code.get(v.trim()))
            .map_or(UNASSIGNED, String::as_str)
    }

    /// Whether a value is one of the codes.
    pub fn knows(&self, value: &str) -> bool {
        self.by_code.contains_key(value.trim())
    }

    /// Every (code, clinic id), sorted by code (for SQL mapping the codes
    /// to clinic ids inside a database).
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = self
            .by_code
            .iter()
            .map(|(c, id)| (c.as_str(), id.as_str()))
            .collect();
        v.sort_unstable();
        v
    }
}

/// One option of a configurable list (a category or a role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Label-safe: stored, used in links, filters and metric labels.
    pub id: Name,
    /// What the reporter reads.
    pub label: String,
}

/// The site's own MRN format, compiled once; compared by its text.
#[derive(Debug, Clone)]
pub struct MrnPattern {
    pub text: String,
    pub regex: regex::Regex,
}

impl PartialEq for MrnPattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackConfig {
    pub categories: Vec<Choice>,
    pub roles: Vec<Choice>,
    /// Caught by the PHI guard besides the built-in patterns.
    pub mrn_pattern: Option<MrnPattern>,
    /// Resolved items whose resolution is older than this are deleted.
    pub retention: Duration,
    /// Form submissions accepted per client (IP address) per minute.
    pub rate_limit_per_minute: u32,
    /// Largest request body the form and the API read.
    pub max_body_bytes: usize,
}

/// The go-live symptoms staff report most (see the product brief).
pub const DEFAULT_CATEGORIES: &[(&str, &str)] = &[
    ("cannot_find_records", "Cannot find records quickly"),
    ("notes_slow", "Clinical notes take longer"),
    (
        "scheduling_slow",
        "Appointment or scheduling workflow is slow",
    ),
    ("billing_handoff", "Billing handoff failed"),
    ("document_problem", "Document missing or unreadable"),
    ("wrong_data", "Wrong or missing data"),
    (
        "integration",
        "Integration problem (lab, portal, telehealth, insurance)",
    ),
    ("training", "Training need or workflow confusion"),
    ("other", "Something else"),
];

pub const DEFAULT_ROLES: &[(&str, &str)] = &[
    ("physician", "Physician or provider"),
    ("nurse", "Nurse or medical assistant"),
    ("front_desk", "Front desk or scheduling"),
    ("billing", "Billing or coding"),
    ("other", "Other"),
];

pub const DEFAULT_RETENTION: Duration = Duration::from_secs(365 * 86_400);
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 20;
pub const DEFAULT_MAX_BODY_BYTES: u32 = 64 * 1024;
/// The smallest body limit that still fits a full-length report.
pub const MIN_MAX_BODY_BYTES: u32 = 4 * 1024;

fn defaults(list: &[(&str, &str)]) -> Vec<Choice> {
    list.iter()
        .filter_map(|(id, label)| {
            Some(Choice {
                id: Name::parse(id).ok()?,
                label: (*label).to_string(),
            })
        })
        .collect()
}

impl Default for FeedbackConfig {
    fn default() -> Self {
        FeedbackConfig {
            categories: defaults(DEFAULT_CATEGORIES),
            roles: defaults(DEFAULT_ROLES),
            mrn_pattern: None,
            retention: DEFAULT_RETENTION,
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES as usize,
        }
    }
}

impl FeedbackConfig {
    pub fn category(&self, id: &str) -> Option<&Choice> {
        self.categories.iter().find(|c| c.id.as_str() == id)
    }

    pub fn role(&self, id: &str) -> Option<&Choice> {
        self.roles.iter().find(|c| c.id.as_str() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_find_their_clinic_and_anything_else_is_unassigned() {
        let clinic = |id: &str, codes: &[&str]| Clinic {
            id: Name::parse(id).unwrap(),
            name: id.to_string(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
        };
        let m = ClinicCodes::new(&[
            clinic("north", &["1", "N01"]),
            clinic("east", &["3", "Organization/org-clinic-east"]),
        ]);
        assert_eq!(m.clinic_of(Some("N01")), "north");
        assert_eq!(m.clinic_of(Some(" 3 ")), "east");
        assert_eq!(m.clinic_of(Some("Organization/org-clinic-east")), "east");
        assert_eq!(m.clinic_of(Some("2")), UNASSIGNED);
        assert_eq!(m.clinic_of(None), UNASSIGNED);
        assert_eq!(m.pairs()[0], ("1", "north"));
    }

    #[test]
    fn the_default_lists_are_all_valid_names() {
        let d = FeedbackConfig::default();
        assert_eq!(d.categories.len(), DEFAULT_CATEGORIES.len());
        assert_eq!(d.roles.len(), DEFAULT_ROLES.len());
        assert_eq!(
            d.category("other").map(|c| c.label.as_str()),
            Some("Something else")
        );
    }
}
