//! Validating `[[reconcile]]`: count queries or keyed tables on each side.

use std::collections::BTreeMap;
use std::time::Duration;

use toml::Spanned;

use super::errors::Collector;
use super::integrity::SqlFilter;
use super::raw::{RawKey, RawReconcile, RawSide};
use super::validate::fields::{cron, duration, name_at, one_statement_at, positive, tolerance};
use super::{
    ColumnRule, Comparison, CountQuery, FhirCount, FhirKey, FhirKeyed, FhirPath, FhirSourceConfig,
    KeyedConfig, KeyedSide, Name, ReconcileConfig, SideQuery, SourceConfig, is_identifier,
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
    raw: RawReconcile,
    sources: SourceMaps,
    declared: &[String],
    default_timeout: Duration,
) -> Option<ReconcileConfig> {
    let name = name_at(c, &raw.name, "check");
    let schedule = cron(c, &raw.schedule);
    let timeout = duration(c, &raw.timeout, default_timeout);
    let tolerance = tolerance(c, raw.tolerance.as_ref());
    let max_groups = positive(c, &raw.max_groups, 50);
    let is_fhir = |side: &RawSide| sources.2.iter().any(|k| k == side.from.get_ref());
    let keyed = [&raw.source, &raw.target]
        .iter()
        .any(|side| side.table.is_some() || (is_fhir(side) && side.key.is_some()));
    let compare = if keyed {
        keyed_config(c, &raw, sources, declared).map(|k| Comparison::Keyed(Box::new(k)))
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
        name: name?,
        description: raw.description,
        schedule: schedule?,
        timeout: timeout?,
        tolerance: tolerance?,
        max_groups: max_groups? as usize,
        enabled: raw.enabled.unwrap_or(true),
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
    raw: &RawSide,
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
    for extra in [&raw.r#where, &raw.updated].into_iter().flatten() {
        c.at(
            extra.span(),
            "`where` and `updated` apply to keyed sides (with `table`)",
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
fn fhir_resource(c: &mut Collector, raw: &RawSide) -> Option<String> {
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
    raw: &RawSide,
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
fn fhir_count(c: &mut Collector, raw: &RawSide) -> Option<FhirCount> {
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

fn keyed_config(
    c: &mut Collector,
    raw: &RawReconcile,
    sources: SourceMaps,
    declared: &[String],
) -> Option<KeyedConfig> {
    let source = keyed_side(c, &raw.source, sources, declared);
    let target = keyed_side(c, &raw.target, sources, declared);
    let (source, target) = (source?, target?);
    if source.key.len() != target.key.len() {
        let span = raw
            .target
            .key
            .as_ref()
            .map_or(raw.target.from.span(), |k| k.span());
        c.at(
            span,
            "source and target keys have a different number of columns",
            None,
        );
    }
    if source.columns.len() != target.columns.len() {
        let span = raw
            .target
            .columns
            .as_ref()
            .map_or(raw.target.from.span(), |k| k.span());
        c.at(
            span,
            format!(
                "{} source columns but {} target columns",
                source.columns.len(),
                target.columns.len()
            ),
            Some("columns are paired by position: list the same number on both sides"),
        );
    }
    let mut rules = BTreeMap::new();
    if let Some(compare) = &raw.compare {
        for (column, spec) in compare.get_ref() {
            match (
                source.columns.iter().position(|c| c == column),
                ColumnRule::parse_list(spec),
            ) {
                (Some(i), Ok(r)) => {
                    rules.insert(i, r);
                }
                (None, _) => c.at(
                    compare.span(),
                    format!("compare: `{column}` is not one of the source columns"),
                    Some("rules are keyed by source column name"),
                ),
                (_, Err(e)) => c.at(
                    compare.span(),
                    format!("compare.{column}: {e}"),
                    Some("rules: trim, lower, date, round:N, text (several separated by spaces)"),
                ),
            }
        }
    }
    let max_keys = positive(c, &raw.max_keys, 100);
    let factor = positive(c, &raw.bisection_factor, 32);
    if let (Some(f), Some(s)) = (factor, &raw.bisection_factor)
        && f < 2
    {
        c.at(s.span(), "bisection_factor must be at least 2", None);
    }
    let threshold = positive(c, &raw.bisection_threshold, 16_384);
    let grace = duration(c, &raw.grace, Duration::ZERO);
    let drift_keys = positive(c, &raw.drift_keys, 10_000);
    let lag = duration(c, &raw.lag, Duration::ZERO);
    let full_sweep = raw.full_sweep.as_ref().map(|f| cron(c, f));
    let sort_memory_mb = positive(c, &raw.sort_memory_mb, 16);
    let incremental = source.updated.is_some() && target.updated.is_some();
    if !incremental {
        let one_side = [&raw.source.updated, &raw.target.updated]
            .into_iter()
            .flatten()
            .next();
        if let Some(u) = one_side {
            c.at(
                u.span(),
                "incremental runs need `updated` on both sides",
                Some("name each side's last-changed column, or neither"),
            );
        }
        for knob in [&raw.lag, &raw.full_sweep].into_iter().flatten() {
            c.at(
                knob.span(),
                "`lag` and `full_sweep` apply to incremental runs (`updated` on both sides)",
                None,
            );
        }
    }
    Some(KeyedConfig {
        source,
        target,
        rules,
        max_keys: max_keys? as usize,
        bisection_factor: factor?.max(2) as usize,
        bisection_threshold: u64::from(threshold?),
        grace: grace?,
        drift_keys: drift_keys? as usize,
        lag: lag?,
        full_sweep: match full_sweep {
            Some(f) => Some(f?),
            None => None,
        },
        sort_dir: raw
            .sort_dir
            .as_ref()
            .map(|d| std::path::PathBuf::from(d.get_ref()))
            .unwrap_or_else(std::env::temp_dir),
        sort_memory: (sort_memory_mb? as usize).saturating_mul(1 << 20),
    })
}

fn keyed_side(
    c: &mut Collector,
    raw: &RawSide,
    sources: SourceMaps,
    declared: &[String],
) -> Option<KeyedSide> {
    let from = source_name(c, &raw.from, sources, declared);
    if sources.2.iter().any(|k| k == raw.from.get_ref()) {
        return fhir_keyed_side(c, raw, from);
    }
    if let Some(sql) = &raw.sql {
        c.at(
            sql.span(),
            "a keyed side takes `table`, `key` and `columns`, not `sql`",
            None,
        );
    }
    for key in [&raw.resource, &raw.params].into_iter().flatten() {
        c.at(
            key.span(),
            "`resource` and `params` apply to FHIR sources",
            None,
        );
    }
    let Some(table) = &raw.table else {
        c.at(
            raw.from.span(),
            "both sides of a keyed diff need `table`",
            None,
        );
        return None;
    };
    let mut ok = ident(c, table, true);
    let key: Vec<String> = match &raw.key {
        None => {
            c.at(
                table.span(),
                "a keyed side needs `key` (a column, or a list for a compound key)",
                None,
            );
            return None;
        }
        Some(k) => match k.get_ref() {
            RawKey::One(s) => vec![s.clone()],
            RawKey::Many(v) => v.clone(),
        },
    };
    let key_span = raw.key.as_ref().map(|k| k.span()).unwrap_or_default();
    if key.is_empty() {
        c.at(key_span.clone(), "the key needs at least one column", None);
        ok = false;
    }
    for k in &key {
        ok &= ident_at(c, k, key_span.clone());
    }
    let columns = raw
        .columns
        .as_ref()
        .map(|c| c.get_ref().clone())
        .unwrap_or_default();
    for col in &columns {
        ok &= ident_at(
            c,
            col,
            raw.columns.as_ref().map(|c| c.span()).unwrap_or_default(),
        );
    }
    if let Some(u) = &raw.updated {
        ok &= ident(c, u, false);
    }
    let expressions = raw
        .expressions
        .as_ref()
        .map(|e| e.get_ref().clone())
        .unwrap_or_default();
    if let Some(e) = &raw.expressions {
        for name in expressions.keys().filter(|n| !columns.contains(n)) {
            c.at(
                e.span(),
                format!("expressions: `{name}` is not one of this side's columns"),
                None,
            );
            ok = false;
        }
    }
    ok &= filters_checked(c, raw);
    ok.then_some(())?;
    Some(KeyedSide {
        from: from?,
        table: table.get_ref().clone(),
        key,
        columns,
        filter: raw.r#where.as_ref().map(|f| f.get_ref().clone()),
        updated: raw.updated.as_ref().map(|u| u.get_ref().clone()),
        expressions,
        fhir: None,
    })
}

/// `where` and each of `expressions` are spliced into the keyed diff's
/// query: each must be one self-contained expression, as integrity rules'
/// `where` is ([`SqlFilter`]), so none can end the statement or comment out
/// the rest of it.
fn filters_checked(c: &mut Collector, raw: &RawSide) -> bool {
    let mut ok = true;
    if let Some(w) = &raw.r#where
        && let Err(e) = SqlFilter::parse(w.get_ref())
    {
        c.at(w.span(), format!("where: {e}"), None);
        ok = false;
    }
    if let Some(e) = &raw.expressions {
        for (name, expr) in e.get_ref() {
            if let Err(why) = SqlFilter::parse(expr) {
                c.at(e.span(), format!("expressions: `{name}`: {why}"), None);
                ok = false;
            }
        }
    }
    ok
}

/// A keyed side on a FHIR source: `resource`, `params`, `key` (`id` or
/// `identifier:SYSTEM`) and `columns` as FHIR paths.
fn fhir_keyed_side(c: &mut Collector, raw: &RawSide, from: Option<Name>) -> Option<KeyedSide> {
    for (key, what) in [
        (raw.sql.as_ref(), "sql"),
        (raw.table.as_ref(), "table"),
        (raw.r#where.as_ref(), "where"),
        (raw.updated.as_ref(), "updated"),
    ] {
        if let Some(k) = key {
            c.at(
                k.span(),
                format!(
                    "a FHIR side takes `resource`, `params`, `key` and `columns`, not `{what}`"
                ),
                None,
            );
        }
    }
    if let Some(e) = &raw.expressions {
        c.at(e.span(), "`expressions` apply to SQL sides", None);
    }
    let resource = fhir_resource(c, raw);
    let params = fhir_params(
        c,
        raw,
        &["_summary", "_elements"],
        "hypercare asks for the elements it compares",
    );
    let key = match raw.key.as_ref() {
        None => {
            c.at(
                raw.from.span(),
                "a keyed FHIR side needs `key`: \"id\" or \"identifier:SYSTEM\"",
                Some("key = \"identifier:http://hospital.example.org/mrn\""),
            );
            None
        }
        Some(k) => match k.get_ref() {
            RawKey::One(s) if s == "id" => Some((s.clone(), FhirKey::Id)),
            RawKey::One(s) => match s.split_once(':') {
                Some(("identifier", system)) if !system.trim().is_empty() => {
                    Some((s.clone(), FhirKey::Identifier(system.to_string())))
                }
                _ => {
                    c.at(
                        k.span(),
                        format!("`{s}` is not a FHIR key"),
                        Some("\"id\" (the resource id) or \"identifier:SYSTEM\" (an identifier's value)"),
                    );
                    None
                }
            },
            RawKey::Many(_) => {
                c.at(
                    k.span(),
                    "a FHIR side has one key: \"id\" or \"identifier:SYSTEM\"",
                    None,
                );
                None
            }
        },
    };
    let columns: Vec<String> = raw
        .columns
        .as_ref()
        .map(|c| c.get_ref().clone())
        .unwrap_or_default();
    // One message for every bad path: they share the `columns` span.
    let mut paths = Vec::new();
    let mut bad = Vec::new();
    for col in &columns {
        match FhirPath::parse(col) {
            Ok(p) if p.root().is_none() => {
                bad.push(format!("`{col}` must start with an element name"))
            }
            Ok(p) => paths.push(p),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if !bad.is_empty() {
        c.at(
            raw.columns.as_ref().map(|c| c.span()).unwrap_or_default(),
            format!("columns: {}", bad.join("; ")),
            Some("FHIR paths such as birthDate, name.given, telecom[1].value, extension('URL').valueCode"),
        );
    }
    let (key_text, key) = key?;
    (paths.len() == columns.len()).then_some(())?;
    let resource = resource?;
    Some(KeyedSide {
        from: from?,
        table: resource.clone(),
        key: vec![key_text],
        columns,
        filter: None,
        updated: None,
        expressions: BTreeMap::new(),
        fhir: Some(FhirKeyed {
            resource,
            params,
            key,
            paths,
        }),
    })
}

fn ident(c: &mut Collector, raw: &Spanned<String>, allow_schema: bool) -> bool {
    let ok = is_identifier(raw.get_ref(), allow_schema);
    if !ok {
        c.at(
            raw.span(),
            format!("`{}` is not a plain SQL identifier", raw.get_ref()),
            Some("letters, digits and _ (and schema.table for tables); use `expressions` for anything else"),
        );
    }
    ok
}

fn ident_at(c: &mut Collector, name: &str, span: std::ops::Range<usize>) -> bool {
    let ok = is_identifier(name, false);
    if !ok {
        c.at(
            span,
            format!("`{name}` is not a plain SQL identifier"),
            Some("letters, digits and _; use `expressions` for anything else"),
        );
    }
    ok
}
