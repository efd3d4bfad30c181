//! Reading list filters from a query string, for the admin pages, the CSV
//! export and the API: values must be configured names or closed-set values.

use super::error::Error;
use crate::feedback::{Feedback, Severity, Status};
use crate::store::FeedbackFilter;

/// The default and largest page of a listing.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 500;

/// Parses `clinic`, `category`, `severity`, `status`, `workaround`, `before`
/// and `limit`. `strict` (the API) refuses empty values; the admin pages
/// read an empty value as "any". Other keys are ignored.
pub fn parse(query: Option<&str>, fb: &Feedback, strict: bool) -> Result<FeedbackFilter, Error> {
    let pairs = url::form_urlencoded::parse(query.unwrap_or("").as_bytes());
    let mut f = FeedbackFilter {
        limit: DEFAULT_LIMIT,
        ..FeedbackFilter::default()
    };
    let mut seen = std::collections::HashSet::new();
    for (key, value) in pairs {
        let (key, value) = (key.into_owned(), value.into_owned());
        if !seen.insert(key.clone()) {
            return Err(Error::BadRequest(format!("`{key}` is given twice")));
        }
        let value = value.trim().to_string();
        if value.is_empty() {
            if strict && is_filter(&key) {
                return Err(Error::BadRequest(format!(
                    "`{key}` is empty: leave it out to list all"
                )));
            }
            continue;
        }
        apply(&mut f, &key, value, fb)?;
    }
    Ok(f)
}

fn is_filter(key: &str) -> bool {
    matches!(
        key,
        "clinic" | "category" | "severity" | "status" | "workaround" | "before" | "limit"
    )
}

fn apply(f: &mut FeedbackFilter, key: &str, value: String, fb: &Feedback) -> Result<(), Error> {
    let unknown = |what: &str, v: &str, known: Vec<&str>| {
        Error::BadRequest(format!("unknown {what} `{v}`; known: {}", known.join(", ")))
    };
    match key {
        "clinic" => {
            let known: Vec<&str> = fb.clinics().iter().map(|c| c.id.as_str()).collect();
            if !known.contains(&value.as_str()) {
                return Err(unknown("clinic", &value, known));
            }
            f.clinic = Some(value);
        }
        "category" => {
            if fb.config().category(&value).is_none() {
                let known = fb
                    .config()
                    .categories
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect();
                return Err(unknown("category", &value, known));
            }
            f.category = Some(value);
        }
        "severity" => {
            if Severity::parse(&value).is_none() {
                return Err(unknown(
                    "severity",
                    &value,
                    Severity::ALL.iter().map(|s| s.as_str()).collect(),
                ));
            }
            f.severity = Some(value);
        }
        "status" => {
            if Status::parse(&value).is_none() {
                return Err(unknown(
                    "status",
                    &value,
                    Status::ALL.iter().map(|s| s.as_str()).collect(),
                ));
            }
            f.status = Some(value);
        }
        "workaround" => {
            f.workaround = Some(match value.as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(Error::BadRequest(
                        "`workaround` must be true or false".into(),
                    ));
                }
            });
        }
        "before" => {
            let b = value.parse::<i64>().ok().filter(|b| *b >= 1);
            f.before = Some(b.ok_or_else(|| {
                Error::BadRequest("`before` must be a report id (an integer of at least 1)".into())
            })?);
        }
        "limit" => {
            let l = value
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l));
            f.limit = l.ok_or_else(|| {
                Error::BadRequest(format!("`limit` must be an integer from 1 to {MAX_LIMIT}"))
            })?;
        }
        _ => {}
    }
    Ok(())
}

/// The filter as a query string (for "next page" and export links).
pub fn to_query(f: &FeedbackFilter) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("clinic", &f.clinic),
        ("category", &f.category),
        ("severity", &f.severity),
        ("status", &f.status),
    ] {
        if let Some(v) = v {
            out.append_pair(k, v);
        }
    }
    if let Some(w) = f.workaround {
        out.append_pair("workaround", if w { "true" } else { "false" });
    }
    out.finish()
}
