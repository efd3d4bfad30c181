//! Validating `[[reconcile]]`: count queries or keyed tables on each side.

use std::collections::BTreeMap;

use toml::Spanned;

use super::errors::Collector;
use super::validate::fields::one_statement_at;
mod fhir_keyed;
mod keyed;
mod text;

pub(super) use text::ReconcileText;
use text::SideText;

use super::{
    Comparison, CountQuery, FhirCount, FhirSourceConfig, Name, ReconcileConfig, SideQuery,
    SourceConfig,
};

/// The valid SQL and FHIR sources, by name.
pub(super) type SourceMaps<'a> = (
    &'a BTreeMap<Name, SourceConfig>,
    &'a BTreeMap<Name, FhirSourceConfig>,
    // Every source declared with `fhir`, valid or not: decides a side's kind.
    &'a [String],
);

pub(super) fn reconcile_check(
    c: &mut Collector,
    raw: ReconcileText,
    sources: SourceMaps,
    declared: &[String],
) -> Option<ReconcileConfig> {
    let is_fhir = |side: &SideText| sources.2.iter().any(|k| k == side.from.get_ref());
    let keyed = [&raw.source, &raw.target]
        .iter()
        .any(|side| side.table.is_some() || (is_fhir(side) && side.key.is_some()));
    let compare = if keyed {
        keyed::keyed_config(c, &raw, sources, declared).map(|k| Comparison::Keyed(Box::new(k)))
    } else {
        let numbers = [
            &raw.max_keys,
            &raw.bisection_factor,
            &raw.bisection_threshold,
            &raw.drift_keys,
            &raw.sort_memory_mb,
        ];
        let texts = [&raw.grace, &raw.lag, &raw.full_sweep, &raw.sort_dir];
        let spans = (numbers.into_iter().flatten().map(|k| k.span()))
            .chain(texts.into_iter().flatten().map(|k| k.span()))
            .chain(raw.compare.iter().map(|k| k.span()));
        for span in spans.collect::<Vec<_>>() {
            c.at(
                span,
                "this option applies to keyed diffs (sides with `table`)",
                None,
            );
        }
        let source = count_side(c, &raw.source, sources, declared);
        let target = count_side(c, &raw.target, sources, declared);
        Some(Comparison::Counts {
            source: source?,
            target: target?,
        })
    };
    Some(ReconcileConfig {
        timeout: raw.timeout?,
        name: raw.name,
        description: raw.description,
        schedule: raw.schedule,
        tolerance: raw.tolerance,
        max_groups: raw.max_groups as usize,
        enabled: raw.enabled,
        compare: compare?,
    })
}

/// Checks that a side names a declared source; `Some` only if it is also valid.
fn source_name(
    c: &mut Collector,
    from: &Spanned<String>,
    sources: SourceMaps,
    declared: &[String],
) -> Option<Name> {
    let name = from.get_ref();
    if !declared.iter().any(|d| d == name) {
        let hint = if declared.is_empty() {
            "define it as [sources.NAME] with a url".to_string()
        } else {
            format!("known sources: {}", declared.join(", "))
        };
        c.at(from.span(), format!("unknown source `{name}`"), Some(&hint));
    }
    sources
        .0
        .keys()
        .chain(sources.1.keys())
        .find(|k| k.as_str() == name)
        .cloned()
}

fn count_side(
    c: &mut Collector,
    raw: &SideText,
    sources: SourceMaps,
    declared: &[String],
) -> Option<SideQuery> {
    let from = source_name(c, &raw.from, sources, declared);
    if sources.2.iter().any(|k| k == raw.from.get_ref()) {
        let query = fhir_count(c, raw);
        return Some(SideQuery {
            from: from?,
            query: CountQuery::Fhir(Box::new(query?)),
        });
    }
    for key in [&raw.resource, &raw.params, &raw.group_param]
        .into_iter()
        .flatten()
    {
        c.at(
            key.span(),
            "`resource`, `params` and `group_param` apply to FHIR sources",
            None,
        );
    }
    let Some(sql) = &raw.sql else {
        c.at(
            raw.from.span(),
            "this side has neither `sql` (a count query) nor `table` (a keyed diff)",
            Some("sql = \"SELECT COUNT(*) FROM patients\", or table, key and columns"),
        );
        return None;
    };
    for extra in [&raw.r#where, &raw.updated, &raw.clinic]
        .into_iter()
        .flatten()
    {
        c.at(
            extra.span(),
            "`where`, `updated` and `clinic` apply to keyed sides (with `table`); a count side's groups are matched against the clinic codes",
            None,
        );
    }
    if sql.get_ref().trim().is_empty() {
        c.at(
            sql.span(),
            "the query is empty",
            Some("a query returning one integer, or (group, count) rows"),
        );
    }
    one_statement_at(c, sql);
    Some(SideQuery {
        from: from?,
        query: CountQuery::Sql(sql.get_ref().clone()),
    })
}

/// A FHIR side's resource type: `Some` only if valid.
fn fhir_resource(c: &mut Collector, raw: &SideText) -> Option<String> {
    let Some(resource) = &raw.resource else {
        c.at(
            raw.from.span(),
            "a FHIR side needs `resource`, such as \"Patient\"",
            None,
        );
        return None;
    };
    let name = resource.get_ref();
    let ok_type = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    if !ok_type {
        c.at(
            resource.span(),
            format!("`{name}` is not a FHIR resource type"),
            Some("such as Patient, Encounter, DocumentReference"),
        );
    }
    ok_type.then(|| name.clone())
}

/// A FHIR side's search parameters, refusing the ones hypercare sets.
fn fhir_params(
    c: &mut Collector,
    raw: &SideText,
    refused: &[&str],
    why: &str,
) -> Vec<(String, String)> {
    let params: Vec<(String, String)> = raw
        .params
        .as_ref()
        .map(|p| {
            url::form_urlencoded::parse(p.get_ref().trim_start_matches('?').as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    if let Some(p) = &raw.params
        && let Some((k, _)) = params.iter().find(|(k, _)| refused.contains(&k.as_str()))
    {
        c.at(p.span(), format!("leave out `{k}`: {why}"), None);
    }
    params
}

/// A count side on a FHIR source: a resource type, search parameters and,
/// for per-group counts, the parameter and the value of each group.
fn fhir_count(c: &mut Collector, raw: &SideText) -> Option<FhirCount> {
    if let Some(sql) = &raw.sql {
        c.at(
            sql.span(),
            "a FHIR side takes `resource` (and `params`), not `sql`",
            None,
        );
    }
    let resource = fhir_resource(c, raw);
    let params = fhir_params(
        c,
        raw,
        &["_summary", "_count"],
        "hypercare adds `_summary=count`",
    );
    match (&raw.group_param, &raw.groups) {
        (Some(g), None) => c.at(
            g.span(),
            "`group_param` needs `groups` (group name = search value)",
            None,
        ),
        (None, Some(g)) => c.at(
            g.span(),
            "`groups` needs `group_param`, the parameter that selects a group",
            None,
        ),
        _ => {}
    }
    Some(FhirCount {
        resource: resource?,
        params,
        group_param: raw.group_param.as_ref().map(|g| g.get_ref().clone()),
        groups: raw
            .groups
            .as_ref()
            .map(|g| g.get_ref().clone())
            .unwrap_or_default(),
    })
}
