//! A small path language over FHIR JSON: element names separated by dots,
//! each optionally indexed, and extensions picked by URL:
//! `birthDate`, `name.given`, `name[1].given[0]`, `valueQuantity.value`,
//! `extension('http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex').valueCode`,
//! `entry[0].resource.id`, `[0].id`. Enough to pick one value out of a
//! resource or a bundle; not FHIRPath (no other functions, no filters).
//!
//! An element that repeats, named without an index, means its first item,
//! at every level and at the end too (`name.given` is the first given name
//! of the first name), so a path always selects one value or nothing. A
//! path that selects nothing (a missing element, an index past the end) is
//! `None`, which keyed diffs compare as SQL NULL.
//!
//! Keyed diffs compare FHIR values through it, workflows extract variables
//! and check answers with it.

use std::fmt;

use serde_json::Value;

/// One step: an element name, an index into a list, or the extension
/// with a URL (among an element's `extension` items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
    Extension(String),
}

/// A path that cannot be read, with the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a path: element names and [N] indexes separated by dots, such as name.given, name[1].family, valueQuantity.value or extension('URL').valueCode"
)]
pub struct PathError(String);

/// A parsed path.
#[derive(Clone, PartialEq, Eq)]
pub struct FhirPath {
    text: String,
    steps: Vec<PathSeg>,
}

impl fmt::Debug for FhirPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FhirPath({:?})", self.text)
    }
}

impl fmt::Display for FhirPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The characters of an element name (FHIR names are `[A-Za-z0-9_]`; `-`
/// for JSON keys of other APIs that workflows read).
fn name_len(s: &str) -> usize {
    s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(s.len())
}

/// The steps of a path, or `None` when it is malformed. Hand-read rather
/// than split on dots: extension URLs contain dots.
fn steps_of(s: &str) -> Option<Vec<PathSeg>> {
    let mut steps = Vec::new();
    let mut rest = s;
    loop {
        let (name, after) = rest.split_at(name_len(rest));
        rest = after;
        if name.is_empty() {
            // Only a path's start may be an index (`[0].id` on a list).
            if !(steps.is_empty() && rest.starts_with('[')) {
                return None;
            }
        } else if let Some(arg) = rest.strip_prefix("('") {
            let end = arg.find("')")?;
            let url = &arg[..end];
            if name != "extension" || url.is_empty() || url.contains('\'') {
                return None;
            }
            steps.push(PathSeg::Extension(url.to_string()));
            rest = &arg[end + 2..];
        } else {
            steps.push(PathSeg::Key(name.to_string()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']')?;
            steps.push(PathSeg::Index(inner[..end].trim().parse().ok()?));
            rest = &inner[end + 1..];
        }
        if rest.is_empty() {
            return Some(steps);
        }
        rest = rest.strip_prefix('.')?;
    }
}

/// A list's first item (nothing for an empty list); any other value itself.
fn first(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => items.first(),
        other => Some(other),
    }
}

impl FhirPath {
    pub fn parse(text: &str) -> Result<FhirPath, PathError> {
        let s = text.trim();
        match steps_of(s) {
            Some(steps) if !steps.is_empty() => Ok(FhirPath {
                text: s.to_string(),
                steps,
            }),
            _ => Err(PathError(s.to_string())),
        }
    }

    /// The first element name (for `_elements`); none when the path starts
    /// with an index.
    pub fn root(&self) -> Option<&str> {
        match self.steps.first() {
            Some(PathSeg::Key(k)) => Some(k),
            Some(PathSeg::Extension(_)) => Some("extension"),
            _ => None,
        }
    }

    /// The one value at the path (JSON null included), or `None` when the
    /// path selects nothing. A list reached by a name (not an index) stands
    /// for its first item, at every step and at the end; an index on a
    /// single value treats it as a list of one, as FHIRPath does.
    pub fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        let mut v = value;
        for step in &self.steps {
            v = match step {
                PathSeg::Key(k) => first(v)?.get(k.as_str())?,
                PathSeg::Index(i) => match v {
                    Value::Array(items) => items.get(*i)?,
                    single if *i == 0 => single,
                    _ => return None,
                },
                PathSeg::Extension(url) => first(v)?
                    .get("extension")?
                    .as_array()?
                    .iter()
                    .find(|e| e.get("url").and_then(Value::as_str) == Some(url.as_str()))?,
            };
        }
        match self.steps.last() {
            Some(PathSeg::Index(_)) => Some(v),
            _ => first(v),
        }
    }
}

#[cfg(test)]
mod tests;
