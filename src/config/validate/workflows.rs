//! Validating `[[workflows]]` probes: the systems they name, every step's
//! request or query, templates and the variables they use (each must exist
//! before the step that reads it), extraction paths, expectations, the
//! baseline, the SLO and the pools of test values.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::super::errors::Collector;
use super::super::raw::{RawStep, RawWorkflow, S};
use super::super::workflows::{
    BUILTIN_VARS, DEFAULT_MAX_RESPONSE_BYTES, Step, WorkflowConfig, journeys,
};
use super::super::{FhirSourceConfig, Name, SourceConfig};
use super::{cron, duration, name_at};

mod expect;
mod mllp;
mod settings;
mod steps;

use settings::{baseline, pools, slo, vars};

/// The sources a workflow may name.
pub(in crate::config) struct Known<'a> {
    pub sql: &'a BTreeMap<Name, SourceConfig>,
    pub fhir: &'a BTreeMap<Name, FhirSourceConfig>,
    pub declared: &'a [String],
    pub declared_fhir: &'a [String],
    /// The valid `[[clinics]]`, for `clinic`.
    pub clinics: &'a [super::super::Clinic],
}

pub(in crate::config) fn check(
    c: &mut Collector,
    raw: RawWorkflow,
    known: &Known,
    default_timeout: Duration,
) -> Option<WorkflowConfig> {
    let name = name_at(c, &raw.name, "workflow");
    let schedule = cron(c, &raw.schedule);
    let timeout = duration(c, &raw.timeout, default_timeout);
    let step_timeout = duration(c, &raw.step_timeout, Duration::from_secs(10));
    let max_response_bytes = at_least_one(c, &raw.max_response_bytes, DEFAULT_MAX_RESPONSE_BYTES);
    let target = fhir_ref(c, &raw.target, known, "target");
    let baseline = baseline(c, &raw, known);
    let baseline_window = duration(c, &raw.baseline_window, Duration::from_secs(3600));
    let slo = slo(c, &raw);
    let vars = vars(c, &raw);
    let pools = pools(c, &raw);
    let clinic = clinic(c, raw.clinic.as_ref(), known);
    let defined: BTreeSet<String> = BUILTIN_VARS
        .iter()
        .map(|s| s.to_string())
        .chain(vars.iter().flat_map(|v| v.keys().cloned()))
        .chain(pools.iter().flat_map(|p| p.keys().cloned()))
        .collect();
    let steps = match (
        &raw.template,
        raw.steps.is_empty() && raw.unreadable_steps == 0,
    ) {
        (Some(t), true) => journey(c, t, &defined, known, step_timeout?),
        (Some(t), false) => {
            c.at(
                t.span(),
                "set `template` or [[workflows.steps]], not both",
                Some("a template is a complete workflow; write your own steps without it"),
            );
            None
        }
        (None, true) => {
            c.at(
                raw.name.span(),
                format!("workflow `{}` has no steps", raw.name.get_ref()),
                Some(&format!(
                    "add [[workflows.steps]] after it, or template = one of {}",
                    journeys::NAMES
                )),
            );
            None
        }
        (None, false) => {
            let st = step_timeout?;
            let built = steps::all(c, &raw.steps, known, st);
            let ok = built.as_ref().is_some_and(|b| b.len() == raw.steps.len());
            if let Some(b) = &built {
                let spans: Vec<_> = raw.steps.iter().map(|s| s.name.span()).collect();
                steps::check_vars(c, b, &defined, |i| spans[i].clone());
            }
            built.filter(|_| ok && raw.unreadable_steps == 0)
        }
    };
    Some(WorkflowConfig {
        name: name?,
        description: raw.description,
        schedule: schedule?,
        timeout: timeout?,
        enabled: raw.enabled.unwrap_or(true),
        target: target?,
        baseline: baseline?,
        baseline_window: baseline_window?,
        slo: slo?,
        vars: vars?,
        pools: pools?,
        steps: steps?,
        max_response_bytes: max_response_bytes?,
        clinic: clinic?,
    })
}

/// A byte cap: a number of bytes, at least 1.
fn at_least_one(c: &mut Collector, raw: &Option<S<u64>>, default: u64) -> Option<u64> {
    match raw {
        None => Some(default),
        Some(v) if *v.get_ref() == 0 => {
            c.at(
                v.span(),
                "must be at least 1 byte",
                Some("16777216 is 16 MiB"),
            );
            None
        }
        Some(v) => Some(*v.get_ref()),
    }
}

/// `clinic`: one of `[[clinics]]`, the clinic the probe stands for.
fn clinic(c: &mut Collector, raw: Option<&S<String>>, known: &Known) -> Option<Option<Name>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    match known
        .clinics
        .iter()
        .find(|k| k.id.as_str() == raw.get_ref())
    {
        Some(k) => Some(Some(k.id.clone())),
        None => {
            let ids: Vec<&str> = known.clinics.iter().map(|k| k.id.as_str()).collect();
            c.at(
                raw.span(),
                format!("unknown clinic `{}`", raw.get_ref()),
                Some(&format!("one of [[clinics]]: {}", ids.join(", "))),
            );
            None
        }
    }
}

/// A built-in journey: its steps are validated like written ones; a
/// variable it needs that the workflow lacks is reported at `template`.
fn journey(
    c: &mut Collector,
    t: &S<String>,
    defined: &BTreeSet<String>,
    known: &Known,
    step_timeout: Duration,
) -> Option<Vec<Step>> {
    let Some(text) = journeys::steps_toml(t.get_ref(), defined.contains("location")) else {
        c.at(
            t.span(),
            format!("`{}` is not a built-in workflow", t.get_ref()),
            Some(&format!("use one of {}", journeys::NAMES)),
        );
        return None;
    };
    #[derive(serde::Deserialize)]
    struct Snippet {
        steps: Vec<RawStep>,
    }
    let file = format!("built-in template `{}`", t.get_ref());
    let mut inner = Collector::new(&file, &text);
    let built = toml::from_str::<Snippet>(&text)
        .map_err(|e| e.to_string())
        .and_then(|s| {
            steps::all(&mut inner, &s.steps, known, step_timeout).ok_or_else(String::new)
        });
    let steps = match (built, inner.finish()) {
        (Ok(steps), Ok(())) => steps,
        (Err(e), _) => {
            c.at(t.span(), format!("{file} is broken: {e}"), None);
            return None;
        }
        (_, Err(e)) => {
            c.at(t.span(), format!("{file} is broken: {e}"), None);
            return None;
        }
    };
    let mut missing = BTreeSet::new();
    let mut have = defined.clone();
    for s in &steps {
        missing.extend(
            s.uses()
                .into_iter()
                .filter(|v| !have.contains(*v))
                .map(str::to_string),
        );
        have.extend(s.extract.iter().map(|(n, _)| n.clone()));
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        c.at(
            t.span(),
            format!("template `{}` needs {}", t.get_ref(), list.join(" and ")),
            Some("set them in `vars` (constants) or `pools` (test values rotated per run)"),
        );
        return None;
    }
    Some(steps)
}

pub(super) fn fhir_ref(
    c: &mut Collector,
    raw: &S<String>,
    known: &Known,
    what: &str,
) -> Option<Name> {
    let n = raw.get_ref();
    if !known.declared_fhir.iter().any(|d| d == n) {
        let hint = if known.declared.iter().any(|d| d == n) {
            format!(
                "`{n}` is a database source: the {what} of a workflow is an HTTP system, declared with `fhir = \"https://…\"`"
            )
        } else {
            "declare it as [sources.NAME] with fhir = \"https://…/fhir\" (its base URL and auth)"
                .to_string()
        };
        c.at(
            raw.span(),
            format!("unknown HTTP system `{n}` as {what}"),
            Some(&hint),
        );
    }
    known.fhir.keys().find(|k| k.as_str() == n).cloned()
}

#[cfg(test)]
mod tests;
