//! The keys of a `probable_duplicates` rule: the person column map and the
//! two probability thresholds.

use super::super::super::errors::Collector;
use super::super::super::integrity::empi::{
    DEFAULT_MAX_CLUSTER, DEFAULT_PROBABLE, DEFAULT_REVIEW, EmpiSpec, PersonColumns, Veto,
};
use std::collections::BTreeMap;

use super::super::super::integrity::empi::LegacyTable;
use super::super::super::integrity::{Ident, TableName};
use super::super::super::raw::{RawIntegrityRule, RawLegacy, RawPerson, S};
use super::super::super::{Name, SourceConfig};
use super::super::tolerance;
use super::{ident, needs, parsed, source_ref};

pub(super) fn probable_duplicates(
    c: &mut Collector,
    r: &RawIntegrityRule,
    sources: &BTreeMap<Name, SourceConfig>,
    declared: &[String],
) -> Option<super::super::super::integrity::RuleSpec> {
    let complete = needs(
        c,
        r,
        &[("key", r.key.is_some()), ("person", r.person.is_some())],
    );
    let key = ident(c, &r.key);
    let tolerance = tolerance(c, r.tolerance.as_ref());
    let person = r.person.as_ref().and_then(|p| person(c, p));
    let probable = probability(c, &r.probable, DEFAULT_PROBABLE);
    let review = probability(c, &r.review, DEFAULT_REVIEW);
    if let (Some(p), Some(v), Some(raw)) = (probable, review, &r.review)
        && v > p
    {
        c.at(
            raw.span(),
            format!("review ({v}) is above probable ({p})"),
            Some("review reports the pairs just below probable: make it lower"),
        );
        return None;
    }
    let max_cluster_size = match &r.max_cluster_size {
        Some(n) if *n.get_ref() < 2 => {
            c.at(n.span(), "max_cluster_size must be at least 2", None);
            None
        }
        Some(n) => Some(*n.get_ref() as usize),
        None => Some(DEFAULT_MAX_CLUSTER),
    };
    let vetoes = vetoes(c, &r.vetoes);
    let lineage = match &r.lineage {
        None => Some(None),
        Some(_) => ident(c, &r.lineage).map(Some),
    };
    let legacy = match (&r.legacy, &r.lineage, &person) {
        (None, ..) => Some(None),
        (Some(raw), None, _) => {
            c.at(
                raw.span(),
                "legacy needs lineage",
                Some("lineage names the column holding each row's legacy key"),
            );
            None
        }
        (Some(raw), Some(_), p) => legacy(c, raw, p.as_ref(), sources, declared).map(Some),
    };
    complete.then_some(())?;
    Some(
        super::super::super::integrity::RuleSpec::ProbableDuplicates(Box::new(EmpiSpec {
            key: key?,
            person: person?,
            probable: probable?,
            review: review?,
            max_cluster_size: max_cluster_size?,
            vetoes: vetoes?,
            lineage: lineage?,
            legacy: legacy?,
            tolerance: tolerance?,
        })),
    )
}

/// `legacy = { from, table, key, person }`; `person` defaults to the rule's.
fn legacy(
    c: &mut Collector,
    raw: &S<RawLegacy>,
    target: Option<&PersonColumns>,
    sources: &BTreeMap<Name, SourceConfig>,
    declared: &[String],
) -> Option<LegacyTable> {
    let l = raw.get_ref();
    let from = source_ref(c, &l.from, sources, declared);
    let table = parsed(c, &l.table, TableName::parse);
    let key = parsed(c, &l.key, Ident::parse);
    let person = match &l.person {
        Some(p) => person(c, p),
        None => target.cloned(),
    };
    Some(LegacyTable {
        from: from?,
        table: table?,
        key: key?,
        person: person?,
    })
}

/// The listed vetoes; every one when the key is absent.
fn vetoes(c: &mut Collector, raw: &Option<S<Vec<S<String>>>>) -> Option<Vec<Veto>> {
    let Some(raw) = raw else {
        return Some(Veto::ALL.to_vec());
    };
    let mut out = Vec::new();
    for v in raw.get_ref() {
        match Veto::parse(v.get_ref()) {
            Some(veto) if !out.contains(&veto) => out.push(veto),
            Some(_) => {}
            None => {
                c.at(
                    v.span(),
                    format!("unknown veto `{}`", v.get_ref()),
                    Some("vetoes are sex, birth_date, suffix and twins"),
                );
                return None;
            }
        }
    }
    Some(out)
}

fn probability(c: &mut Collector, raw: &Option<S<f64>>, default: f64) -> Option<f64> {
    let Some(raw) = raw else {
        return Some(default);
    };
    let p = *raw.get_ref();
    if !(p > 0.0 && p < 1.0) {
        c.at(
            raw.span(),
            "a match probability must lie strictly between 0 and 1",
            Some("write probable = 0.9 (a pair 90 % likely to be one person)"),
        );
        return None;
    }
    Some(p)
}

fn person(c: &mut Collector, raw: &S<RawPerson>) -> Option<PersonColumns> {
    let p = raw.get_ref();
    let lacking: Vec<&str> = [
        ("given", p.given.is_none()),
        ("family", p.family.is_none()),
        ("birth_date", p.birth_date.is_none()),
    ]
    .into_iter()
    .filter_map(|(k, missing)| missing.then_some(k))
    .collect();
    if !lacking.is_empty() {
        c.at(
            raw.span(),
            format!("person lacks {}", lacking.join(", ")),
            Some("map at least given, family and birth_date to columns"),
        );
    }
    let given = ident(c, &p.given);
    let family = ident(c, &p.family);
    let birth_date = ident(c, &p.birth_date);
    let optional = |c: &mut Collector, v: &Option<S<String>>| match v {
        None => Some(None),
        Some(_) => ident(c, v).map(Some),
    };
    let sex = optional(c, &p.sex);
    let phone = optional(c, &p.phone);
    let postal_code = optional(c, &p.postal_code);
    let address = optional(c, &p.address);
    let city = optional(c, &p.city);
    let identifier = optional(c, &p.identifier);
    Some(PersonColumns {
        given: given?,
        family: family?,
        birth_date: birth_date?,
        sex: sex?,
        phone: phone?,
        postal_code: postal_code?,
        address: address?,
        city: city?,
        identifier: identifier?,
    })
}
