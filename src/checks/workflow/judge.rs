//! Judging a step's answer: status, body text, JSON values, result count,
//! duration; then extracting the variables later steps need. Messages say
//! which expectation failed, never the value the system returned.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::workflows::{Expect, Extract, Step, as_text};
use crate::results::{StepOutcome, StepResult, millis};

/// A step that ended before or without a judged answer.
pub(super) fn failed(
    step: &Step,
    outcome: StepOutcome,
    took: Option<Duration>,
    why: &str,
) -> StepResult {
    StepResult {
        name: step.name.to_string(),
        outcome,
        duration_ms: took.map(millis),
        status: None,
        count: None,
        error: Some(why.to_string()),
    }
}

/// Results in a body: bundle entries or array items.
pub(super) fn count_of(v: &serde_json::Value) -> Option<u64> {
    if let Some(a) = v.as_array() {
        return Some(a.len() as u64);
    }
    if v.get("resourceType").and_then(|t| t.as_str()) == Some("Bundle") {
        return Some(
            v.get("entry")
                .and_then(|e| e.as_array())
                .map_or(0, |e| e.len() as u64),
        );
    }
    None
}

/// Whether a step needs its body parsed as JSON.
pub(super) fn needs_json(step: &Step) -> bool {
    let e = &step.expect;
    !step.extract.is_empty() || !e.json.is_empty() || e.count.is_some() || e.min_count.is_some()
}

/// Judges an HTTP answer and extracts its variables.
pub(super) fn http(
    step: &Step,
    status: u16,
    body: &[u8],
    took: Duration,
    vars: &mut BTreeMap<String, String>,
) -> StepResult {
    let mut out = StepResult {
        name: step.name.to_string(),
        outcome: StepOutcome::Ok,
        duration_ms: Some(millis(took)),
        status: Some(status),
        count: None,
        error: None,
    };
    let e = &step.expect;
    if let Some(why) = status_problem(e.status.as_deref(), status) {
        return fail(out, StepOutcome::HttpStatus, why);
    }
    if let Some(text) = &e.body_contains
        && !contains_bytes(body, text.as_bytes())
    {
        return fail(
            out,
            StepOutcome::Assertion,
            "the body does not contain the expected text".into(),
        );
    }
    let json = if needs_json(step) {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => Some(v),
            Err(_) => return fail(out, StepOutcome::Error, "the response is not JSON".into()),
        }
    } else {
        None
    };
    out.count = json.as_ref().and_then(count_of);
    let json_problem = json.as_ref().and_then(|v| {
        e.json
            .iter()
            .find(|(path, expected)| !same(path.find(v), expected))
            .map(|(path, expected)| format!("{} is not {expected}", show(path)))
    });
    if let Some(msg) = json_problem
        .or_else(|| count_problem(e, out.count))
        .or_else(|| duration_problem(e, took))
    {
        return fail(out, StepOutcome::Assertion, msg);
    }
    match json.and_then(|v| extract(step, &v, vars)) {
        Some(why) => fail(out, StepOutcome::Extract, why),
        None => out,
    }
}

/// A status the step does not expect (2xx unless it names its own).
fn status_problem(expected: Option<&[u16]>, status: u16) -> Option<String> {
    let ok = match expected {
        Some(list) => list.contains(&status),
        None => (200..300).contains(&status),
    };
    (!ok).then(|| {
        let expected = expected.map_or("2xx".to_string(), |l| {
            l.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        });
        format!("HTTP {status}, expected {expected}")
    })
}

/// Takes the step's variables from the answer, in order; what stopped it,
/// if one is missing.
fn extract(
    step: &Step,
    v: &serde_json::Value,
    vars: &mut BTreeMap<String, String>,
) -> Option<String> {
    for (var, path) in &step.extract {
        match path.find(v).filter(|x| !x.is_null()) {
            Some(x) => {
                vars.insert(var.clone(), as_text(x));
            }
            None => return Some(format!("`{var}` not found at {}", show(path))),
        }
    }
    None
}

pub(super) fn fail(mut out: StepResult, outcome: StepOutcome, why: String) -> StepResult {
    out.outcome = outcome;
    out.error = Some(why);
    out
}

pub(super) fn count_problem(e: &Expect, count: Option<u64>) -> Option<String> {
    if e.count.is_none() && e.min_count.is_none() {
        return None;
    }
    let Some(n) = count else {
        return Some("the answer has no results to count (not a Bundle or array)".into());
    };
    match (e.count, e.min_count) {
        (Some(want), _) if n != want => Some(format!("{n} results, expected {want}")),
        (_, Some(min)) if n < min => Some(format!("{n} results, expected at least {min}")),
        _ => None,
    }
}

pub(super) fn duration_problem(e: &Expect, took: Duration) -> Option<String> {
    let max = e.max_duration?;
    (took > max).then(|| {
        format!(
            "took {:.1} ms, over max_duration {}",
            took.as_secs_f64() * 1000.0,
            humantime::format_duration(max)
        )
    })
}

fn show(p: &Extract) -> String {
    match p {
        Extract::Pointer(s) | Extract::Column(s) => s.clone(),
        Extract::Path(path) => path.to_string(),
        Extract::Hl7(field) => field.to_string(),
    }
}

/// Expected values from TOML: numbers compare as numbers, the rest exactly.
fn same(found: Option<&serde_json::Value>, expected: &serde_json::Value) -> bool {
    match (found, expected) {
        (Some(f), e) if f.is_number() && e.is_number() => f.as_f64() == e.as_f64(),
        (Some(f), e) => f == e,
        (None, _) => false,
    }
}

fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}
