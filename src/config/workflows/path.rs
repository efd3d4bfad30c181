//! Where a variable or an expected value is read from a response: a JSON
//! pointer (`/entry/0/resource/id`), a small path over FHIR JSON
//! (`entry[0].resource.id`, `total`), or a SQL column (by name).

/// A parsed extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extract {
    /// RFC 6901, kept as written.
    Pointer(String),
    Path(Vec<PathSeg>),
    /// A column of the first row of a SQL step.
    Column(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

impl Extract {
    /// Reads a pointer (starting with `/`) or a dotted path with `[n]` indexes.
    pub fn parse_json(s: &str) -> Result<Extract, String> {
        let s = s.trim();
        if s.starts_with('/') {
            return Ok(Extract::Pointer(s.to_string()));
        }
        let bad = || {
            format!(
                "`{s}` is not a path: write a JSON pointer such as /entry/0/resource/id or a FHIR path such as entry[0].resource.id"
            )
        };
        let mut segs = Vec::new();
        for part in s.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() && segs.is_empty() && rest.is_empty() {
                return Err(bad());
            }
            if !key.is_empty() {
                if !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(bad());
                }
                segs.push(PathSeg::Key(key.to_string()));
            } else if rest.is_empty() {
                return Err(bad());
            }
            while !rest.is_empty() {
                let inner = rest.strip_prefix('[').ok_or_else(bad)?;
                let end = inner.find(']').ok_or_else(bad)?;
                let n: usize = inner[..end].trim().parse().map_err(|_| bad())?;
                segs.push(PathSeg::Index(n));
                rest = &inner[end + 1..];
            }
        }
        if segs.is_empty() {
            return Err(bad());
        }
        Ok(Extract::Path(segs))
    }

    /// The value at this place in a JSON document.
    pub fn find<'a>(&self, v: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        match self {
            Extract::Pointer(p) => v.pointer(p),
            Extract::Path(segs) => segs.iter().try_fold(v, |v, s| match s {
                PathSeg::Key(k) => v.get(k.as_str()),
                PathSeg::Index(i) => v.get(*i),
            }),
            Extract::Column(_) => None,
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
