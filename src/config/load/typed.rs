//! Reading the sections that are declared once (their typed structs name
//! each option's rule) and collecting what other sections refer to.

use std::collections::{BTreeMap, HashMap, HashSet};

use toml::Spanned;
use toml::de::DeValue;

use super::super::alerts::OutboxConfig;
use super::super::de;
use super::super::errors::Collector;
use super::super::feedback::Clinic;
use super::super::refs::{self, Known};
use super::super::sources::{Source, SourceText, Sources};
use super::super::stabilization::DigestConfig;
use super::super::validate::RawConfig;
use super::tables::{each, items, key_span, named, names_having, read};
use super::{alerting, checks};

/// Reads the typed sections: first those declaring names, then those
/// referring to them.
pub(super) fn sections(
    c: &mut Collector,
    raw: &mut RawConfig,
    mut typed: BTreeMap<String, Spanned<DeValue<'_>>>,
) {
    let mut take = |name: &str| typed.remove(name);
    raw.server = read(c, take("server"));
    raw.store = read(c, take("store"));
    raw.sources = sources(c, take("sources"));
    raw.reconcile = checks::reconcile(c, take("reconcile"));
    raw.scheduler = read(c, take("scheduler"));
    let outbox: Option<OutboxConfig> = read(c, take("outbox"));
    raw.feedback = read(c, take("feedback"));
    raw.workflow_metrics = read(c, take("workflow_metrics"));
    let silences = each(c, "silences", take("silences"));
    raw.clinics = refs::naming("clinic", || clinics(c, take("clinics")));
    let written = alerting::Written {
        alerting: take("alerting"),
        alerts: take("alerts"),
        notifiers: take("notifiers"),
        smtp: take("smtp"),
    };
    // Documents and handoffs name sources; the sections after them may
    // name these checks.
    let known_first = known(raw, &written, outbox.as_ref());
    let (documents, handoffs) = refs::with_known(known_first, || {
        let documents = checks::documents(c, take("documents"));
        (documents, each(c, "handoffs", take("handoffs")))
    });
    (raw.documents, raw.handoffs) = (documents, handoffs);
    let known = known(raw, &written, outbox.as_ref());
    refs::with_known(known, || {
        raw.alerting = alerting::sections(c, written, outbox, silences);
        raw.stabilization = read(c, take("stabilization"));
        raw.digests = digests(c, take("digests"));
    });
}

/// The names references may use, from the sections that declare them.
fn known(
    raw: &RawConfig,
    alerting: &alerting::Written<'_>,
    outbox: Option<&OutboxConfig>,
) -> Known {
    let checks = raw.integrity.iter().map(|r| r.name.get_ref());
    let checks = checks.chain(raw.workflows.iter().map(|r| r.name.get_ref()));
    let reconcile = raw.reconcile.iter().map(|r| &r.get_ref().name);
    let documents = raw.documents.iter().map(|d| &d.get_ref().name);
    let handoffs = raw.handoffs.iter().flatten().map(|h| &h.get_ref().name);
    let typed = reconcile
        .chain(documents)
        .chain(handoffs)
        .map(|n| n.to_string());
    let checks = (checks.cloned()).chain(typed);
    let clinics = raw.clinics.iter().flatten();
    let smtp = alerting.smtp.is_some();
    let sources = raw.sources.as_ref();
    let fhir_sources: Vec<String> = sources.map_or_else(Vec::new, |s| s.declared_fhir.clone());
    let sql_sources = (sources.iter().flat_map(|s| &s.declared))
        .filter(|n| !fhir_sources.contains(n))
        .cloned()
        .collect();
    Known {
        clinics: clinics.map(|c| c.id.to_string()).collect(),
        checks: checks.collect(),
        notifiers: alerting.notifier_names(),
        mail_route: smtp || outbox.is_some_and(|o| o.mail_dir.is_some()),
        smtp,
        sql_sources,
        fhir_sources,
    }
}

/// `[[clinics]]`: each read on its own; ids and codes are unique.
fn clinics(c: &mut Collector, value: Option<Spanned<DeValue<'_>>>) -> Option<Vec<Clinic>> {
    let mut seen = HashSet::new();
    let mut owners = HashMap::new();
    let mut out = Some(Vec::new());
    for item in items(c, "clinics", value) {
        let id_span = key_span(&item, "id");
        let code_spans = code_spans(&item);
        let Some(clinic) = read::<Clinic>(c, Some(item)) else {
            out = None;
            continue;
        };
        if !clinic.id.as_str().is_empty() && !seen.insert(clinic.id.clone()) {
            let message = format!("clinic `{}` is listed twice", clinic.id);
            c.at(id_span.unwrap_or_default(), message, None);
        }
        unique_codes(c, &clinic, &code_spans, &mut owners);
        if let Some(out) = &mut out {
            out.push(clinic);
        }
    }
    out
}

/// Each written code (trimmed, as the typed clinic holds it) with its span.
fn code_spans(item: &Spanned<DeValue<'_>>) -> Vec<(String, std::ops::Range<usize>)> {
    let Some(t) = item.get_ref().as_table() else {
        return Vec::new();
    };
    let Some((_, list)) = t.iter().find(|(k, _)| k.get_ref() == "codes") else {
        return Vec::new();
    };
    let Some(list) = list.get_ref().as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|v| Some((v.get_ref().as_str()?.trim().to_string(), v.span())))
        .collect()
}

/// Each code means one clinic: a value meaning two could not be attributed.
fn unique_codes(
    c: &mut Collector,
    clinic: &Clinic,
    spans: &[(String, std::ops::Range<usize>)],
    owners: &mut HashMap<String, String>,
) {
    let me = clinic.id.to_string();
    for code in &clinic.codes {
        let Some(owner) = owners.insert(code.clone(), me.clone()) else {
            continue;
        };
        let what = if owner == me {
            "is listed twice for this clinic".to_string()
        } else {
            format!("already means clinic `{owner}`")
        };
        // The second writing of the code is the one to point at.
        let span = spans
            .iter()
            .rev()
            .find(|(t, _)| t == code)
            .map(|(_, s)| s.clone());
        c.at(
            span.unwrap_or_default(),
            format!("code `{code}` {what}"),
            Some("codes are unique across clinics: each value must mean one clinic"),
        );
    }
}

/// `[[digests]]`: each read on its own; names are unique.
fn digests(c: &mut Collector, value: Option<Spanned<DeValue<'_>>>) -> Option<Vec<DigestConfig>> {
    let mut names = HashSet::new();
    let mut out = Some(Vec::new());
    for item in items(c, "digests", value) {
        let Some(digest) = read::<Spanned<DigestConfig>>(c, Some(item)) else {
            out = None;
            continue;
        };
        let name = digest.get_ref().name.clone();
        if !names.insert(name.clone()) {
            c.at(
                digest.span(),
                format!("digest `{name}` is declared twice"),
                None,
            );
        }
        if let Some(out) = &mut out {
            out.push(digest.into_inner());
        }
    }
    out
}

/// `[sources.NAME]`: each read on its own, with its name.
fn sources(c: &mut Collector, value: Option<Spanned<DeValue<'_>>>) -> Option<Sources> {
    let declared = names_having(value.as_ref(), "fhir");
    let read = |name: &Spanned<String>, value| {
        let (s, problems) = de::read_then(value, |t: SourceText| t.typed(name));
        (s.flatten(), problems)
    };
    let mut sources = Sources {
        declared: declared.iter().map(|(n, _)| n.clone()).collect(),
        declared_fhir: declared
            .into_iter()
            .filter(|(_, f)| *f)
            .map(|(n, _)| n)
            .collect(),
        ..Sources::default()
    };
    for source in named(c, "source", value, read).into_iter().flatten() {
        match source {
            Source::Sql(s) => sources.sql.insert(s.name.clone(), s).map(drop),
            Source::Fhir(f) => sources.fhir.insert(f.name.clone(), *f).map(drop),
        };
    }
    Some(sources)
}
