//! Secrets named in config, resolved while their section is read: written
//! plainly (`url`), by an environment variable's name (`url_env`) or by a
//! file's path (`url_file`).
//!
//! serde cannot carry the caller's environment look-up into a section, so
//! the loader looks up every variable a `*_env` key names before reading
//! and keeps the answers here for the current thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use serde::de;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Secret;
use super::de::recover;

thread_local! {
    static ENV: RefCell<HashMap<String, String>> = RefCell::default();
}

/// The variables named by `*_env` keys anywhere in `root`, looked up.
pub(super) fn look_up(
    root: &DeTable<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> HashMap<String, String> {
    let mut found = HashMap::new();
    for (key, value) in root {
        visit(key.get_ref(), value.get_ref(), env, &mut found);
    }
    found
}

/// Runs `read` with `found` (from [`look_up`]) as the environment.
pub(super) fn with_env<T>(found: HashMap<String, String>, read: impl FnOnce() -> T) -> T {
    let previous = ENV.replace(found);
    let out = read();
    ENV.set(previous);
    out
}

fn visit(
    key: &str,
    value: &DeValue<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    found: &mut HashMap<String, String>,
) {
    match value {
        DeValue::String(name) if key.ends_with("_env") => {
            if let Some(v) = env(name) {
                found.insert(name.to_string(), v);
            }
        }
        DeValue::Table(t) => t
            .iter()
            .for_each(|(k, v)| visit(k.get_ref(), v.get_ref(), env, found)),
        DeValue::Array(items) => items
            .iter()
            .for_each(|v| visit(key, v.get_ref(), env, found)),
        _ => {}
    }
}

fn var(name: &str) -> Option<String> {
    ENV.with_borrow(|e| e.get(name).cloned())
}

/// A secret's spellings as written; at most one may be set.
#[derive(Default)]
pub(crate) struct SecretKeys {
    pub plain: Option<Spanned<String>>,
    pub env: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
}

impl SecretKeys {
    /// Where the secret is written, for messages about its value.
    pub fn span(&self) -> Option<Range<usize>> {
        let given = self.plain.as_ref().or(self.env.as_ref());
        given.or(self.file.as_ref()).map(Spanned::span)
    }
}

/// Resolves a secret: `Ok(None)` when none is written and `required_at` is
/// unset, `Ok(Some(None))` when a mistake was recorded.
pub(crate) fn secret<E: de::Error>(
    what: &str,
    keys: &SecretKeys,
    required_at: Option<Range<usize>>,
) -> Result<Option<Option<Secret>>, E> {
    let failed = |span, message: String, hint: Option<&str>| {
        recover::<(), E>(span, message, hint, ()).map(|()| Some(None))
    };
    let SecretKeys { plain, env, file } = keys;
    if [plain, env, file].iter().filter(|o| o.is_some()).count() > 1 {
        let span = env.as_ref().or(file.as_ref()).map(Spanned::span);
        let message = format!("{what}: set only one of its plain, `_env` and `_file` forms");
        return failed(span.unwrap_or_default(), message, None);
    }
    if let Some(l) = plain {
        return Ok(Some(Some(Secret::new(l.get_ref().clone()))));
    }
    if let Some(name) = env {
        return match var(name.get_ref()) {
            Some(v) => Ok(Some(Some(Secret::new(v)))),
            None => {
                let message = format!(
                    "{what}: environment variable `{}` is not set",
                    name.get_ref()
                );
                failed(name.span(), message, None)
            }
        };
    }
    if let Some(path) = file {
        return read_file(path, what)
            .map_or_else(|m| failed(path.span(), m, None), |s| Ok(Some(Some(s))));
    }
    match required_at {
        Some(span) => failed(
            span,
            format!("{what} is missing"),
            Some("set url, url_env (a variable name) or url_file (a path)"),
        ),
        None => Ok(None),
    }
}

/// A secret from `KEY_env` or `KEY_file` only (never the config text), where
/// an empty variable counts as unset: `Ok(Some(None))` when neither is
/// written, `Ok(None)` when a mistake was recorded.
pub(crate) fn env_or_file<E: de::Error>(
    key: &str,
    from_env: &Option<Spanned<String>>,
    from_file: &Option<Spanned<String>>,
) -> Result<Option<Option<Secret>>, E> {
    match (from_env, from_file) {
        (Some(_), Some(f)) => {
            let message = format!("set only one of {key}_env and {key}_file");
            recover(f.span(), message, None, None)
        }
        (Some(name), None) => match var(name.get_ref()).filter(|v| !v.is_empty()) {
            Some(v) => Ok(Some(Some(Secret::new(v)))),
            None => {
                let message = format!(
                    "{key}_env: environment variable `{}` is not set",
                    name.get_ref()
                );
                recover(name.span(), message, None, None)
            }
        },
        (None, Some(path)) => match read_file(path, &format!("{key}_file")) {
            Ok(s) => Ok(Some(Some(s))),
            Err(message) => recover(path.span(), message, None, None),
        },
        (None, None) => Ok(Some(None)),
    }
}

/// A secret file's contents, without the final line break.
fn read_file(path: &Spanned<String>, what: &str) -> Result<Secret, String> {
    std::fs::read_to_string(path.get_ref())
        .map(|v| Secret::new(v.trim_end_matches(['\n', '\r'])))
        .map_err(|e| format!("{what}: cannot read `{}`: {e}", path.get_ref()))
}
