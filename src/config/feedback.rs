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
