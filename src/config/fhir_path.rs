//! A small path language over FHIR JSON: element names separated by dots,
//! each optionally indexed: `birthDate`, `name[0].family`,
//! `entry[0].resource.id`, `[0].id`. Enough to pick one value out of a
//! resource or a bundle; not FHIRPath (no functions, no filters). An element
//! that repeats, named without an index, means its first item.
//!
//! Keyed diffs compare FHIR values through it, workflows extract variables
//! and check answers with it.

use std::fmt;

use serde_json::Value;

/// One step: an element name or an index into a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

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

impl FhirPath {
    pub fn parse(text: &str) -> Result<FhirPath, String> {
        let s = text.trim();
        let bad = || {
            format!(
                "`{s}` is not a path: element names and [N] indexes separated by dots, such as name[0].family or entry[0].resource.id"
            )
        };
        let mut steps = Vec::new();
        for part in s.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() && (!steps.is_empty() || rest.is_empty()) {
                return Err(bad());
            }
            if !key.is_empty() {
                if !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(bad());
                }
                steps.push(PathSeg::Key(key.to_string()));
            }
            while !rest.is_empty() {
                let inner = rest.strip_prefix('[').ok_or_else(bad)?;
                let end = inner.find(']').ok_or_else(bad)?;
                let n: usize = inner[..end].trim().parse().map_err(|_| bad())?;
                steps.push(PathSeg::Index(n));
                rest = &inner[end + 1..];
            }
        }
        if steps.is_empty() {
            return Err(bad());
        }
        Ok(FhirPath {
            text: s.to_string(),
            steps,
        })
    }

    /// The first element name (for `_elements`); none when the path starts
    /// with an index.
    pub fn root(&self) -> Option<&str> {
        match self.steps.first() {
            Some(PathSeg::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// The value at the path (JSON null included). An element name applied
    /// to a list reads its first item.
    pub fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.steps.iter().try_fold(value, |v, step| match step {
            PathSeg::Key(k) => match v {
                Value::Array(items) => items.first()?.get(k.as_str()),
                other => other.get(k.as_str()),
            },
            PathSeg::Index(i) => v.get(*i),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picks_values_from_resources_and_bundles() {
        let patient = json!({"resourceType": "Patient", "id": "p1", "birthDate": "1980-05-02",
            "name": [{"family": "Ng", "given": ["Ann", "B"]}, {"family": "Old"}]});
        let get = |p: &str| FhirPath::parse(p).unwrap().get(&patient).cloned();
        assert_eq!(get("birthDate"), Some(json!("1980-05-02")));
        assert_eq!(get("name[1].family"), Some(json!("Old")));
        assert_eq!(
            get("name.given[1]"),
            Some(json!("B")),
            "no index: the first item"
        );
        assert_eq!(get("name[2].family"), None);
        assert_eq!(get("gender"), None);
        let bundle = json!({"entry": [{"resource": {"id": "x"}}]});
        let id = FhirPath::parse("entry[0].resource.id").unwrap();
        assert_eq!(id.get(&bundle), Some(&json!("x")));
        assert_eq!(id.root(), Some("entry"));
        let list = json!([{"id": "a"}, {"id": "b"}]);
        assert_eq!(
            FhirPath::parse("[1].id").unwrap().get(&list),
            Some(&json!("b"))
        );
        assert_eq!(FhirPath::parse("[1].id").unwrap().root(), None);
    }

    #[test]
    fn bad_paths_say_why() {
        for bad in ["", "name[x]", "name[0", "a..b", "na me", ".", "a.[0]"] {
            assert!(FhirPath::parse(bad).is_err(), "{bad}");
        }
    }
}
