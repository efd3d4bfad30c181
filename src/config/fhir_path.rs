//! A small path language over FHIR JSON: element names separated by dots,
//! each optionally indexed: `birthDate`, `name[0].family`,
//! `entry[0].resource.id`. Enough to pick one value out of a resource; not
//! FHIRPath (no functions, no filters).

use std::fmt;

use serde_json::Value;

/// A parsed path.
#[derive(Clone, PartialEq, Eq)]
pub struct FhirPath {
    text: String,
    steps: Vec<(String, Option<usize>)>,
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
        if text.trim().is_empty() {
            return Err("the path is empty".into());
        }
        let mut steps = Vec::new();
        for part in text.split('.') {
            let (name, index) = match part.split_once('[') {
                Some((name, rest)) => {
                    let digits = rest
                        .strip_suffix(']')
                        .ok_or_else(|| format!("`{part}`: an index is written [N]"))?;
                    let i = digits
                        .parse::<usize>()
                        .map_err(|_| format!("`{part}`: the index must be a number"))?;
                    (name, Some(i))
                }
                None => (part, None),
            };
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(format!(
                    "`{part}` is not an element name (letters and digits, such as birthDate or name[0])"
                ));
            }
            steps.push((name.to_string(), index));
        }
        Ok(FhirPath {
            text: text.to_string(),
            steps,
        })
    }

    /// The top-level element, for `_elements`.
    pub fn root(&self) -> &str {
        &self.steps[0].0
    }

    /// The value at the path. A repeating element without an index means
    /// its first item.
    pub fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        let mut v = value;
        for (name, index) in &self.steps {
            v = v.get(name)?;
            v = match (v, index) {
                (Value::Array(items), i) => items.get(i.unwrap_or(0))?,
                (other, None) => other,
                (_, Some(_)) => return None,
            };
        }
        (!v.is_null()).then_some(v)
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
        assert_eq!(id.root(), "entry");
    }

    #[test]
    fn bad_paths_say_why() {
        for bad in ["", "name[x]", "name[0", "1abc", "a..b", "na-me"] {
            assert!(FhirPath::parse(bad).is_err(), "{bad}");
        }
    }
}
