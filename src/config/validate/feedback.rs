//! Validating `[feedback]` and `[[clinics]]`.

use std::collections::{HashMap, HashSet};

use toml::Spanned;

use super::super::errors::Collector;
use super::super::feedback::{
    Choice, Clinic, DEFAULT_CATEGORIES, DEFAULT_MAX_BODY_BYTES, DEFAULT_RATE_LIMIT_PER_MINUTE,
    DEFAULT_RETENTION, DEFAULT_ROLES, FeedbackConfig, MIN_MAX_BODY_BYTES, MrnPattern,
};
use super::super::raw::{RawChoice, RawClinic, RawFeedback, S};
use super::{duration, name_at, positive};
use crate::config::Name;

/// Longest label or clinic name shown on the form.
const MAX_LABEL: usize = 100;

pub(in crate::config) fn feedback(c: &mut Collector, raw: RawFeedback) -> Option<FeedbackConfig> {
    let categories = choices(c, raw.categories, "category", DEFAULT_CATEGORIES);
    let roles = choices(c, raw.roles, "role", DEFAULT_ROLES);
    let mrn_pattern = raw.mrn_pattern.as_ref().map(|p| mrn_pattern(c, p));
    let retention = duration(c, &raw.retention, DEFAULT_RETENTION);
    let rate = positive(c, &raw.rate_limit_per_minute, DEFAULT_RATE_LIMIT_PER_MINUTE);
    let max_body = match &raw.max_body_bytes {
        Some(v) if *v.get_ref() < MIN_MAX_BODY_BYTES => {
            c.at(
                v.span(),
                format!("max_body_bytes must be at least {MIN_MAX_BODY_BYTES}"),
                Some("a full-length report with non-ASCII text needs about 40000 bytes; the default is 65536"),
            );
            None
        }
        Some(v) => Some(*v.get_ref()),
        None => Some(DEFAULT_MAX_BODY_BYTES),
    };
    Some(FeedbackConfig {
        categories: categories?,
        roles: roles?,
        mrn_pattern: mrn_pattern.map_or(Some(None), |p| p.map(Some))?,
        retention: retention?,
        rate_limit_per_minute: rate?,
        max_body_bytes: max_body? as usize,
    })
}

fn choices(
    c: &mut Collector,
    raw: Option<S<Vec<RawChoice>>>,
    what: &str,
    default: &[(&str, &str)],
) -> Option<Vec<Choice>> {
    let Some(raw) = raw else {
        return Some(
            default
                .iter()
                .filter_map(|(id, label)| {
                    Some(Choice {
                        id: Name::parse(id).ok()?,
                        label: label.to_string(),
                    })
                })
                .collect(),
        );
    };
    let span = raw.span();
    let items = raw.into_inner();
    if items.is_empty() {
        c.at(
            span,
            format!("at least one {what} is needed"),
            Some("leave the key out for the default list"),
        );
        return None;
    }
    let mut seen = HashSet::new();
    let mut ok = true;
    let mut out = Vec::new();
    for item in items {
        if !seen.insert(item.id.get_ref().clone()) {
            c.at(
                item.id.span(),
                format!("{what} `{}` is listed twice", item.id.get_ref()),
                None,
            );
            ok = false;
        }
        let id = name_at(c, &item.id, what);
        let label = label(c, &item.label, what);
        match (id, label) {
            (Some(id), Some(label)) => out.push(Choice { id, label }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn label(c: &mut Collector, raw: &Spanned<String>, what: &str) -> Option<String> {
    let text = raw.get_ref().trim();
    if text.is_empty() || text.chars().count() > MAX_LABEL {
        c.at(
            raw.span(),
            format!("a {what} label must be 1 to {MAX_LABEL} characters"),
            Some("it is what staff read on the form"),
        );
        return None;
    }
    Some(text.to_string())
}

fn mrn_pattern(c: &mut Collector, raw: &S<String>) -> Option<MrnPattern> {
    let text = raw.get_ref();
    let built = regex::RegexBuilder::new(text)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let first = e.to_string();
            let message = first.lines().last().unwrap_or("invalid").trim().to_string();
            c.at(
                raw.span(),
                format!("mrn_pattern is not a regular expression: {message}"),
                Some(r#"such as '\bE\d{8}\b' (single quotes keep the backslashes)"#),
            )
        })
        .ok()?;
    if built.is_match("") {
        c.at(
            raw.span(),
            "mrn_pattern matches empty text",
            Some(r#"it must match the MRN itself, such as '\bE\d{8}\b'"#),
        );
        return None;
    }
    Some(MrnPattern {
        text: text.clone(),
        regex: built,
    })
}

pub(in crate::config) fn clinics(c: &mut Collector, raw: Vec<RawClinic>) -> Option<Vec<Clinic>> {
    let mut seen = HashSet::new();
    let mut owners: HashMap<String, String> = HashMap::new();
    let mut ok = true;
    let mut out = Vec::new();
    for item in raw {
        let codes = codes(c, &item, &mut owners);
        if !seen.insert(item.id.get_ref().clone()) {
            c.at(
                item.id.span(),
                format!("clinic `{}` is listed twice", item.id.get_ref()),
                None,
            );
            ok = false;
        }
        let id = name_at(c, &item.id, "clinic");
        let name = label(c, &item.name, "clinic");
        match (id, name) {
            (Some(id), Some(name)) if codes.is_some() => out.push(Clinic {
                id,
                name,
                codes: codes.unwrap_or_default(),
            }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// Longest code: a FHIR reference with a long id still fits.
const MAX_CODE: usize = 200;

/// A clinic's codes: non-blank, and each owned by one clinic only (a value
/// meaning two clinics could not be attributed).
fn codes(
    c: &mut Collector,
    item: &RawClinic,
    owners: &mut HashMap<String, String>,
) -> Option<Vec<String>> {
    let mut ok = true;
    let mut out = Vec::new();
    for code in item.codes.iter().flatten() {
        let text = code.get_ref().trim();
        if text.is_empty() || text.len() > MAX_CODE {
            c.at(
                code.span(),
                format!("a clinic code must be 1 to {MAX_CODE} characters, not blank"),
                Some("the value that means this clinic in the data, such as \"3\" or \"Organization/org-clinic-east\""),
            );
            ok = false;
            continue;
        }
        let me = item.id.get_ref();
        match owners.get(text) {
            Some(owner) => {
                let what = if owner == me {
                    "is listed twice for this clinic".to_string()
                } else {
                    format!("already means clinic `{owner}`")
                };
                c.at(
                    code.span(),
                    format!("code `{text}` {what}"),
                    Some("codes are unique across clinics: each value must mean one clinic"),
                );
                ok = false;
            }
            None => {
                owners.insert(text.to_string(), me.clone());
                out.push(text.to_string());
            }
        }
    }
    ok.then_some(out)
}
