//! Where a variable or an expected value is read from a response: a JSON
//! pointer (`/entry/0/resource/id`), a small path over FHIR JSON
//! (`entry[0].resource.id`, `total`), or a SQL column (by name).

use super::super::FhirPath;

/// A parsed extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extract {
    /// RFC 6901, kept as written.
    Pointer(String),
    Path(FhirPath),
    /// A column of the first row of a SQL step.
    Column(String),
    /// A field of an MLLP step's ACK.
    Hl7(super::hl7::Hl7Field),
}

impl Extract {
    /// Reads a pointer (starting with `/`) or a dotted path with `[n]` indexes.
    pub fn parse_json(s: &str) -> Result<Extract, String> {
        let s = s.trim();
        if s.starts_with('/') {
            return Ok(Extract::Pointer(s.to_string()));
        }
        FhirPath::parse(s).map(Extract::Path).map_err(|_| {
            format!(
                "`{s}` is not a path: write a JSON pointer such as /entry/0/resource/id or a FHIR path such as entry[0].resource.id"
            )
        })
    }

    /// The value at this place in a JSON document.
    pub fn find<'a>(&self, v: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        match self {
            Extract::Pointer(p) => v.pointer(p),
            Extract::Path(p) => p.get(v),
            Extract::Column(_) | Extract::Hl7(_) => None,
        }
    }
}

/// A JSON value as a variable's text: strings without quotes, others as JSON.
pub fn as_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_and_pointers_find_values() {
        let b = json!({"total": 2, "entry": [{"resource": {"id": "p1", "content": [{"attachment": {"url": "Binary/9"}}]}}]});
        let get = |s: &str| Extract::parse_json(s).unwrap().find(&b).map(as_text);
        assert_eq!(get("entry[0].resource.id").as_deref(), Some("p1"));
        assert_eq!(get("/entry/0/resource/id").as_deref(), Some("p1"));
        assert_eq!(
            get("entry[0].resource.content[0].attachment.url").as_deref(),
            Some("Binary/9")
        );
        assert_eq!(get("total").as_deref(), Some("2"));
        assert_eq!(get("entry[1].resource.id"), None);
        for bad in ["", "a..b", "a[x]", "a[0", "a b", "."] {
            assert!(Extract::parse_json(bad).is_err(), "{bad:?}");
        }
    }
}
