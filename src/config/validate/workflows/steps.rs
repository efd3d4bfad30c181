//! Validating `[[workflows.steps]]`: an HTTP request or a SQL query each,
//! extraction paths and expectations that fit the kind of step.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::time::Duration;

use super::super::super::errors::Collector;
use super::super::super::raw::{RawStep, S};
use super::super::super::workflows::hl7::Hl7Field;
use super::super::super::workflows::{Action, Expect, Extract, HttpRequest, Step, Template};
use super::super::{duration, name_at, one_statement_at};
use super::Known;
use super::expect;
use super::mllp::{self, Kind};

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// Every step that validates, or `None` when two share a name.
pub(super) fn all(
    c: &mut Collector,
    raw: &[RawStep],
    known: &Known,
    step_timeout: Duration,
) -> Option<Vec<Step>> {
    let mut seen = BTreeSet::new();
    let mut unique = true;
    let mut out = Vec::new();
    for r in raw {
        if !seen.insert(r.name.get_ref().clone()) {
            c.at(
                r.name.span(),
                format!(
                    "step name `{}` is used twice in this workflow",
                    r.name.get_ref()
                ),
                Some("step names label the step's metrics: each needs its own"),
            );
            unique = false;
        }
        out.extend(step(c, r, known, step_timeout));
    }
    unique.then_some(out)
}

/// Reports every variable a step reads before any step or config defines it.
pub(super) fn check_vars(
    c: &mut Collector,
    steps: &[Step],
    defined: &BTreeSet<String>,
    span_of: impl Fn(usize) -> Range<usize>,
) {
    let mut have = defined.clone();
    for (i, s) in steps.iter().enumerate() {
        let missing: BTreeSet<&str> = s
            .uses()
            .into_iter()
            .filter(|v| !have.contains(*v))
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{{{{{m}}}}}`")).collect();
            c.at(
                span_of(i),
                format!(
                    "step `{}` uses {}, not defined before it",
                    s.name,
                    list.join(", ")
                ),
                Some("define it in `vars` or `pools`, or extract it in an earlier step"),
            );
        }
        have.extend(s.extract.iter().map(|(n, _)| n.clone()));
    }
}

fn step(c: &mut Collector, r: &RawStep, known: &Known, default_timeout: Duration) -> Option<Step> {
    let name = name_at(c, &r.name, "step");
    let timeout = duration(c, &r.timeout, default_timeout);
    let kind = Kind::of(r);
    if kind != Kind::Mllp {
        mllp::stray_keys(c, r);
    }
    let action = match kind {
        Kind::Sql => sql(c, r, known),
        Kind::Http => http(c, r),
        Kind::Mllp => mllp::action(c, r).map(Action::Mllp),
    };
    let extract = extract(c, r, kind);
    let expect = match &r.expect {
        None => Some(Expect::default()),
        Some(e) => expect::expect(c, e, kind),
    };
    Some(Step {
        name: name?,
        timeout: timeout?,
        action: action?,
        extract: extract?,
        expect: expect?,
    })
}

fn template(c: &mut Collector, raw: &S<String>) -> Option<Template> {
    Template::parse(raw.get_ref())
        .map_err(|e| c.at(raw.span(), e, None))
        .ok()
}

fn templates(
    c: &mut Collector,
    raw: &Option<S<BTreeMap<String, String>>>,
) -> Option<Vec<(String, Template)>> {
    let Some(m) = raw else {
        return Some(Vec::new());
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (k, v) in m.get_ref() {
        match Template::parse(v) {
            Ok(t) => out.push((k.clone(), t)),
            Err(e) => {
                c.at(m.span(), format!("`{k}`: {e}"), None);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn http(c: &mut Collector, r: &RawStep) -> Option<Action> {
    if let Some(p) = &r.params {
        c.at(
            p.span(),
            "`params` belong to SQL steps (with `from` and `sql`)",
            None,
        );
    }
    let Some(path) = &r.path else {
        c.at(
            r.name.span(),
            format!("step `{}` needs `path` (an HTTP request), `from` and `sql` (a query) or `mllp` and `message` (HL7 v2)", r.name.get_ref()),
            Some("path is relative to the target's base URL, such as \"Patient\" or \"Patient/{{patient_id}}\""),
        );
        return None;
    };
    let method = match &r.method {
        None => Some("GET".to_string()),
        Some(m) if METHODS.contains(&m.get_ref().to_ascii_uppercase().as_str()) => {
            Some(m.get_ref().to_ascii_uppercase())
        }
        Some(m) => {
            c.at(
                m.span(),
                format!("`{}` is not an HTTP method", m.get_ref()),
                Some(&format!("use one of {}", METHODS.join(", "))),
            );
            None
        }
    };
    let headers = templates(c, &r.headers);
    if let (Some(h), Some(raw)) = (&headers, &r.headers) {
        for (k, _) in h {
            if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                c.at(raw.span(), format!("`{k}` is not a header name"), None);
            }
        }
    }
    let body = match &r.body {
        None => Some(None),
        Some(b) => template(c, b).map(Some),
    };
    Some(Action::Http(HttpRequest {
        method: method?,
        path: template(c, path)?,
        query: templates(c, &r.query)?,
        headers: headers?,
        body: body?,
    }))
}

fn sql(c: &mut Collector, r: &RawStep, known: &Known) -> Option<Action> {
    for (key, span) in [
        ("method", r.method.as_ref().map(|s| s.span())),
        ("path", r.path.as_ref().map(|s| s.span())),
        ("query", r.query.as_ref().map(|s| s.span())),
        ("headers", r.headers.as_ref().map(|s| s.span())),
        ("body", r.body.as_ref().map(|s| s.span())),
    ] {
        if let Some(span) = span {
            c.at(
                span,
                format!(
                    "`{key}` belongs to HTTP steps; this step is a SQL query (it has `from`/`sql`)"
                ),
                None,
            );
        }
    }
    let (Some(from), Some(text)) = (&r.from, &r.sql) else {
        c.at(
            r.name.span(),
            format!(
                "SQL step `{}` needs both `from` (a database source) and `sql`",
                r.name.get_ref()
            ),
            None,
        );
        return None;
    };
    let mut ok = one_statement_at(c, text);
    let n = from.get_ref();
    if !known.declared.iter().any(|d| d == n) || known.declared_fhir.iter().any(|d| d == n) {
        c.at(
            from.span(),
            format!("unknown database source `{n}`"),
            Some("SQL steps run on a [sources.NAME] with a database url"),
        );
    }
    let source = known.sql.keys().find(|k| k.as_str() == n).cloned();
    let mut params = Vec::new();
    if let Some(p) = &r.params {
        for v in p.get_ref() {
            match Template::parse(v) {
                Ok(t) => params.push(t),
                Err(e) => {
                    c.at(p.span(), e, None);
                    ok = false;
                }
            }
        }
    }
    ok.then_some(())?;
    Some(Action::Sql {
        from: source?,
        sql: text.get_ref().clone(),
        params,
    })
}

fn extract(c: &mut Collector, r: &RawStep, kind: Kind) -> Option<Vec<(String, Extract)>> {
    let Some(m) = &r.extract else {
        return Some(Vec::new());
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (var, from) in m.get_ref() {
        if var.is_empty()
            || !var
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            c.at(
                m.span(),
                format!("`{var}` cannot be a variable name"),
                Some("use letters, digits and `_`"),
            );
            ok = false;
            continue;
        }
        let parsed = match kind {
            Kind::Sql if from.trim().is_empty() => {
                Err("a SQL step extracts a column: name it".to_string())
            }
            Kind::Sql => Ok(Extract::Column(from.trim().to_string())),
            Kind::Mllp => Hl7Field::parse(from).map(Extract::Hl7),
            Kind::Http => Extract::parse_json(from),
        };
        match parsed {
            Ok(e) => out.push((var.clone(), e)),
            Err(e) => {
                c.at(m.span(), format!("`{var}`: {e}"), None);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}
