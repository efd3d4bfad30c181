//! Reading a config file: parse with spans, expand `${ENV}`, deserialize each
//! section on its own, then validate (see `validate.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::Config;
use super::errors::{Collector, ConfigError, ConfigErrors};
use super::secret::interpolate;
use super::secrets;
use super::validate::{self, RawConfig};

mod alerting;
mod checks;
mod lease;
mod nested;
mod tables;
mod typed;

/// The sections read straight into their typed form (see `typed.rs`).
const TYPED: &[&str] = &[
    "server",
    "store",
    "sources",
    "scheduler",
    "feedback",
    "clinics",
    "workflow_metrics",
    "alerting",
    "alerts",
    "notifiers",
    "smtp",
    "outbox",
    "silences",
    "stabilization",
    "digests",
    "handoffs",
    "documents",
    "reconcile",
];

const SECTIONS: &str = "server, store, scheduler, sources, reconcile, integrity, feedback, clinics, documents, workflows, workflow_metrics, handoffs, alerting, alerts, notifiers, smtp, outbox, silences, stabilization, digests";

/// Loads and validates the config at `path`, reading `${VAR}` and `*_env`
/// from the process environment.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!("cannot read the config file: {e}"),
            hint: Some("pass the path with -c FILE or set HYPERCARE_CONFIG".into()),
        }])
    })?;
    parse(&text, path, &|name| std::env::var(name).ok())
}

/// Parses and validates config text; `env` answers environment look-ups
/// (tests pass their own).
pub fn parse(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let file = path.display().to_string();
    let mut c = Collector::new(&file, text);
    let (root, parse_errors) = DeTable::parse_recoverable(text);
    for e in &parse_errors {
        c.at(
            e.span().unwrap_or(0..0),
            e.message().trim().to_string(),
            None,
        );
    }
    if !parse_errors.is_empty() {
        return Err(c.finish().expect_err("errors were recorded"));
    }
    let mut root = root.into_inner();
    for (_, value) in root.iter_mut() {
        expand_env(value, env, &mut c);
    }

    let mut raw = RawConfig::default();
    // Sections read straight into their typed form, after the sections
    // whose names they refer to.
    let mut typed = BTreeMap::new();
    let lookups = secrets::look_up(&root, env);
    for (key, value) in root {
        match key.get_ref().as_ref() {
            "integrity" => raw.integrity = nested::tables(&mut c, value),
            "workflows" => raw.workflows = nested::tables(&mut c, value),
            name if TYPED.contains(&name) => {
                typed.insert(name.to_string(), value);
            }
            other => c.at(
                key.span(),
                format!("unknown section `{other}`"),
                Some(&format!("known sections: {SECTIONS}")),
            ),
        }
    }
    let lease_span = lease::lease_span(typed.get("outbox"));
    secrets::with_env(lookups, || typed::sections(&mut c, &mut raw, typed));
    let config = validate::build(&mut c, raw, path);
    if let Some(config) = &config {
        lease::check(&mut c, config, lease_span);
    }
    c.finish()?;
    Ok(config.expect("a config is built whenever no error was recorded"))
}

/// Deserializes one value, recording its error (with the span toml gives) on failure.
fn section<T: DeserializeOwned>(c: &mut Collector, value: Spanned<DeValue<'_>>) -> Option<T> {
    let span = value.span();
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(t) => Some(t),
        Err(e) => {
            c.at(
                e.span().unwrap_or(span),
                e.message().trim().to_string(),
                None,
            );
            None
        }
    }
}

/// Expands `${VAR}` in every string value, recording unset variables at their span.
fn expand_env(
    value: &mut Spanned<DeValue<'_>>,
    env: &dyn Fn(&str) -> Option<String>,
    c: &mut Collector,
) {
    let span = value.span();
    match value.get_mut() {
        DeValue::String(s) if s.contains('$') => match interpolate(s, env) {
            Ok(expanded) => *s = expanded.into(),
            Err(e) => c.at(
                span,
                e.to_string(),
                Some("set the variable, or write $${ for a literal ${"),
            ),
        },
        DeValue::Array(items) => items.iter_mut().for_each(|v| expand_env(v, env, c)),
        DeValue::Table(table) => table.iter_mut().for_each(|(_, v)| expand_env(v, env, c)),
        _ => {}
    }
}
