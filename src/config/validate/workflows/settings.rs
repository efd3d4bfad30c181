//! Validating a workflow's settings: the baseline (a live system or fixed
//! figures), the SLO, constants and pools of test values.

use std::collections::BTreeMap;
use std::time::Duration;

use super::super::super::errors::Collector;
use super::super::super::raw::{RawRatio, RawWorkflow};
use super::super::super::workflows::{BUILTIN_VARS, Baseline, Slo};
use super::super::duration;
use super::{Known, fhir_ref};

pub(super) fn baseline(
    c: &mut Collector,
    raw: &RawWorkflow,
    known: &Known,
) -> Option<Option<Baseline>> {
    match (&raw.baseline, &raw.baseline_p50, &raw.baseline_p95) {
        (None, None, None) => Some(None),
        (Some(b), None, None) => fhir_ref(c, b, known, "baseline").map(|n| Some(Baseline::Live(n))),
        (None, Some(p50), Some(p95)) => {
            let a = duration(c, &Some(p50.clone()), Duration::ZERO);
            let b = duration(c, &Some(p95.clone()), Duration::ZERO);
            let (a, b) = (a?, b?);
            if a > b || a.is_zero() {
                c.at(
                    p50.span(),
                    "baseline_p50 must be above zero and at most baseline_p95",
                    None,
                );
                return None;
            }
            Some(Some(Baseline::Fixed { p50: a, p95: b }))
        }
        (Some(b), _, _) => {
            c.at(
                b.span(),
                "set `baseline` (a live system) or `baseline_p50` and `baseline_p95` (fixed figures), not both",
                None,
            );
            None
        }
        (None, p50, p95) => {
            let span = p50
                .as_ref()
                .or(p95.as_ref())
                .map(|s| s.span())
                .unwrap_or_default();
            c.at(
                span,
                "fixed baseline figures need both `baseline_p50` and `baseline_p95`",
                None,
            );
            None
        }
    }
}

pub(super) fn slo(c: &mut Collector, raw: &RawWorkflow) -> Option<Option<Slo>> {
    match (&raw.slo_latency, &raw.slo_objective) {
        (None, None) => Some(None),
        (Some(l), Some(o)) => {
            let latency = duration(c, &Some(l.clone()), Duration::ZERO);
            let objective = match o.get_ref() {
                RawRatio::Number(n) => Some(*n),
                RawRatio::Text(t) => match t.trim().strip_suffix('%') {
                    Some(p) => p.trim().parse::<f64>().ok().map(|p| p / 100.0),
                    None => t.trim().parse::<f64>().ok(),
                },
            }
            .filter(|o| o.is_finite() && *o > 0.0 && *o < 1.0);
            if objective.is_none() {
                c.at(
                    o.span(),
                    "slo_objective must be a share between 0 and 1, not 1 itself",
                    Some("write slo_objective = \"99%\" or 0.99: a 100 % objective leaves no error budget to burn"),
                );
            }
            Some(Some(Slo {
                latency: latency?,
                objective: objective?,
            }))
        }
        (l, o) => {
            let span = l
                .as_ref()
                .map(|s| s.span())
                .or(o.as_ref().map(|s| s.span()))
                .unwrap_or_default();
            c.at(
                span,
                "an SLO needs both `slo_latency` and `slo_objective`",
                Some("such as slo_latency = \"800ms\" and slo_objective = \"99%\""),
            );
            None
        }
    }
}

fn var_name_ok(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

pub(super) fn vars(c: &mut Collector, raw: &RawWorkflow) -> Option<BTreeMap<String, String>> {
    let Some(v) = &raw.vars else {
        return Some(BTreeMap::new());
    };
    let mut ok = true;
    for k in v.get_ref().keys() {
        if !var_name_ok(k) || BUILTIN_VARS.contains(&k.as_str()) {
            c.at(
                v.span(),
                format!("`{k}` cannot be a variable name"),
                Some("use letters, digits and `_`; `today` and `run` are built in"),
            );
            ok = false;
        }
    }
    ok.then(|| v.get_ref().clone())
}

pub(super) fn pools(c: &mut Collector, raw: &RawWorkflow) -> Option<BTreeMap<String, Vec<String>>> {
    let Some(p) = &raw.pools else {
        return Some(BTreeMap::new());
    };
    let mut ok = true;
    for (k, values) in p.get_ref() {
        if !var_name_ok(k) || BUILTIN_VARS.contains(&k.as_str()) {
            c.at(
                p.span(),
                format!("`{k}` cannot be a pool name"),
                Some("use letters, digits and `_`; `today` and `run` are built in"),
            );
            ok = false;
        } else if values.is_empty() {
            c.at(
                p.span(),
                format!("pool `{k}` is empty"),
                Some("list at least one test value"),
            );
            ok = false;
        } else if raw
            .vars
            .as_ref()
            .is_some_and(|v| v.get_ref().contains_key(k))
        {
            c.at(p.span(), format!("`{k}` is both a var and a pool"), None);
            ok = false;
        }
    }
    ok.then(|| p.get_ref().clone())
}
