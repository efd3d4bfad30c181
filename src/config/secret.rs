//! Secrets from config: resolved from the environment or a file, never shown.

use std::fmt;

/// A secret value (a database URL with a password, a token). Its `Debug`
/// and `Display` never print the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself: call only where it is handed to a client library.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Expands `${VAR}` in a string from the environment; `$${` stands for a
/// literal `${`. Returns the name of the first variable that is not set.
pub fn interpolate(
    input: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolateError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return Err(InterpolateError::Unclosed);
            };
            let name = &after[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(InterpolateError::BadName(name.to_string()));
            }
            match env(name) {
                Some(v) => out.push_str(&v),
                None => return Err(InterpolateError::Unset(name.to_string())),
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[derive(Debug, PartialEq, Eq)]
pub enum InterpolateError {
    Unset(String),
    BadName(String),
    Unclosed,
}

impl fmt::Display for InterpolateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterpolateError::Unset(n) => write!(f, "environment variable `{n}` is not set"),
            InterpolateError::BadName(n) => write!(f, "`${{{n}}}` is not a valid variable name"),
            InterpolateError::Unclosed => write!(f, "`${{` without a closing `}}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "DB_PASS").then(|| "s3cret".to_string())
    }

    #[test]
    fn expands_known_variables_and_escapes() {
        assert_eq!(
            interpolate("pg://u:${DB_PASS}@h/$${X}$", &env).unwrap(),
            "pg://u:s3cret@h/${X}$"
        );
    }

    #[test]
    fn names_the_unset_variable() {
        assert_eq!(
            interpolate("${NOPE}", &env),
            Err(InterpolateError::Unset("NOPE".into()))
        );
        assert_eq!(interpolate("${A", &env), Err(InterpolateError::Unclosed));
    }

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("postgres://u:pw@h/db");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    }
}
