//! `{{name}}` templates: literal text with variables, parsed once at load.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Var(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub parts: Vec<Part>,
}

impl Template {
    /// Reads `text{{var}}text`. A variable name is letters, digits and `_`;
    /// write `{{{{` for a literal `{{`.
    pub fn parse(s: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = s;
        while let Some(pos) = rest.find("{{") {
            lit.push_str(&rest[..pos]);
            let after = &rest[pos + 2..];
            if let Some(r) = after.strip_prefix("{{") {
                lit.push_str("{{");
                rest = r;
                continue;
            }
            let end = after
                .find("}}")
                .ok_or_else(|| format!("`{{{{` without its closing `}}}}` in `{s}`"))?;
            let name = after[..end].trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "`{{{{{name}}}}}` is not a variable: use letters, digits and `_`"
                ));
            }
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            }
            parts.push(Part::Var(name.to_string()));
            rest = &after[end + 2..];
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template { parts })
    }

    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Lit(_) => None,
        })
    }

    /// Fills the template; `encode` is applied to each variable's value.
    /// A variable without a value renders empty (validation rules that out).
    pub fn render(
        &self,
        vars: &BTreeMap<String, String>,
        encode: impl Fn(&str) -> String,
    ) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => out.push_str(l),
                Part::Var(v) => out.push_str(&encode(vars.get(v).map_or("", String::as_str))),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_render() {
        let t = Template::parse("Patient?identifier={{ system }}|{{mrn}}{{{{x").unwrap();
        assert_eq!(t.vars().collect::<Vec<_>>(), ["system", "mrn"]);
        let vars = BTreeMap::from([
            ("system".to_string(), "urn:x".to_string()),
            ("mrn".to_string(), "12".to_string()),
        ]);
        assert_eq!(
            t.render(&vars, str::to_string),
            "Patient?identifier=urn:x|12{{x"
        );
        assert!(Template::parse("{{a b}}").is_err());
        assert!(Template::parse("{{open").is_err());
        assert!(Template::parse("{{}}").is_err());
    }
}
