//! The typed `[feedback]` and `[[clinics]]` sections: what the staff form
//! offers (clinics, roles, categories), how it guards patient data (the
//! site's MRN pattern), and its abuse limits.
//!
//! Clinics are a top-level section because more than feedback names them
//! (digests, the status page's scorecard).

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::Name;
use super::de::recover;
use super::{refs, values};

/// Longest label or clinic name shown on the form.
const MAX_LABEL: usize = 100;

/// A clinic staff can report from; `id` is a label-safe name used in links
/// (`/feedback?clinic=north`) and metric labels.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clinic {
    pub id: Name,
    /// What people read.
    #[serde(deserialize_with = "label")]
    pub name: String,
    /// The values that mean this clinic in the watched data (facility ids,
    /// site codes, FHIR organization references); unique across clinics
    /// (the loader checks that across the list).
    #[serde(default, deserialize_with = "codes")]
    pub codes: Vec<String>,
}

/// Longest code: a FHIR reference with a long id still fits.
const MAX_CODE: usize = 200;

/// A clinic's codes: each 1 to [`MAX_CODE`] characters once trimmed (a
/// blank code would match every blank value in the data).
fn codes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = Vec::<Spanned<String>>::deserialize(d)?;
    let mut out = Vec::new();
    for code in list {
        let text = code.get_ref().trim();
        if text.is_empty() || text.len() > MAX_CODE {
            let message = format!("a clinic code must be 1 to {MAX_CODE} characters, not blank");
            let hint = "the value that means this clinic in the data, such as \"3\" or \"Organization/org-clinic-east\"";
            recover::<(), D::Error>(code.span(), message, Some(hint), ())?;
            continue;
        }
        out.push(text.to_string());
    }
    Ok(out)
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
        let mut by_code: std::collections::HashMap<String, String> = clinics
            .iter()
            .flat_map(|c| {
                c.codes
                    .iter()
                    .map(move |code| (code.clone(), c.id.to_string()))
            })
            .collect();
        // A clinic's id means it too (data that already says "north"),
        // unless another clinic claims that value as a code.
        if !by_code.is_empty() {
            for c in clinics {
                by_code
                    .entry(c.id.to_string())
                    .or_insert_with(|| c.id.to_string());
            }
        }
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Label-safe: stored, used in links, filters and metric labels.
    pub id: Name,
    /// What the reporter reads.
    #[serde(deserialize_with = "label")]
    pub label: String,
}

/// What people read: 1 to 100 characters, trimmed.
fn label<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Spanned::<String>::deserialize(d)?;
    let text = v.get_ref().trim();
    if text.is_empty() || text.chars().count() > MAX_LABEL {
        let message = format!(
            "a {} label must be 1 to {MAX_LABEL} characters",
            refs::what()
        );
        return recover(
            v.span(),
            message,
            Some("it is what staff read on the form"),
            String::new(),
        );
    }
    Ok(text.to_string())
}

/// A list of categories or roles: not empty, each id once.
fn choices<'de, D: Deserializer<'de>>(d: D, what: &'static str) -> Result<Vec<Choice>, D::Error> {
    refs::naming(what, || {
        let list = Spanned::<Vec<Spanned<Choice>>>::deserialize(d)?;
        if list.get_ref().is_empty() {
            let hint = Some("leave the key out for the default list");
            return recover(
                list.span(),
                format!("at least one {what} is needed"),
                hint,
                Vec::new(),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for item in list.get_ref() {
            let id = &item.get_ref().id;
            if !id.as_str().is_empty() && !seen.insert(id.clone()) {
                let message = format!("{what} `{id}` is listed twice");
                recover::<(), D::Error>(item.span(), message, None, ())?;
            }
        }
        Ok(list
            .into_inner()
            .into_iter()
            .map(Spanned::into_inner)
            .collect())
    })
}

fn categories<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Choice>, D::Error> {
    choices(d, "category")
}

fn roles<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Choice>, D::Error> {
    choices(d, "role")
}

impl<'de> Deserialize<'de> for MrnPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Spanned::<String>::deserialize(d)?;
        let text = raw.get_ref();
        let placeholder = || MrnPattern {
            text: String::new(),
            regex: regex::Regex::new("$^").expect("a valid placeholder"),
        };
        let built = match regex::RegexBuilder::new(text).size_limit(1 << 20).build() {
            Ok(built) => built,
            Err(e) => {
                let first = e.to_string();
                let reason = first.lines().last().unwrap_or("invalid").trim().to_string();
                let message = format!("mrn_pattern is not a regular expression: {reason}");
                let hint = r#"such as '\bE\d{8}\b' (single quotes keep the backslashes)"#;
                return recover(raw.span(), message, Some(hint), placeholder());
            }
        };
        if built.is_match("") {
            let hint = r#"it must match the MRN itself, such as '\bE\d{8}\b'"#;
            return recover(
                raw.span(),
                "mrn_pattern matches empty text",
                Some(hint),
                placeholder(),
            );
        }
        Ok(MrnPattern {
            text: text.clone(),
            regex: built,
        })
    }
}

fn max_body_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let v = Spanned::<u32>::deserialize(d)?;
    if *v.get_ref() < MIN_MAX_BODY_BYTES {
        let message = format!("max_body_bytes must be at least {MIN_MAX_BODY_BYTES}");
        let hint = "a full-length report with non-ASCII text needs about 40000 bytes; the default is 65536";
        return recover(v.span(), message, Some(hint), 0);
    }
    Ok(*v.get_ref() as usize)
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

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackConfig {
    #[serde(deserialize_with = "categories")]
    pub categories: Vec<Choice>,
    #[serde(deserialize_with = "roles")]
    pub roles: Vec<Choice>,
    /// Caught by the PHI guard besides the built-in patterns.
    pub mrn_pattern: Option<MrnPattern>,
    /// Resolved items whose resolution is older than this are deleted.
    #[serde(deserialize_with = "values::duration")]
    pub retention: Duration,
    /// Form submissions accepted per client (IP address) per minute.
    #[serde(deserialize_with = "values::positive")]
    pub rate_limit_per_minute: u32,
    /// Largest request body the form and the API read.
    #[serde(deserialize_with = "max_body_bytes")]
    pub max_body_bytes: usize,
    /// A known issue fixed longer ago than this that staff still tap or
    /// report a workaround for is shown as "fixed, but staff still work
    /// around it".
    #[serde(deserialize_with = "values::duration")]
    pub known_fixed_grace: Duration,
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
pub const DEFAULT_KNOWN_FIXED_GRACE: Duration = Duration::from_secs(3 * 86_400);
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
            known_fixed_grace: DEFAULT_KNOWN_FIXED_GRACE,
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
        assert_eq!(m.clinic_of(Some("north")), "north");
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
