//! A keyed `[[reconcile]]`: a table on each side, compared by key.

use std::collections::BTreeMap;
use std::time::Duration;

use toml::Spanned;

use super::super::errors::Collector;
use super::super::integrity::SqlFilter;
use super::super::validate::fields::{cron, duration, positive};
use super::super::{ColumnRule, KeyedConfig, KeyedSide, is_identifier};
use super::text::{KeyText, ReconcileText, SideText};
use super::{SourceMaps, fhir_keyed, source_name};

pub(super) fn keyed_config(
    c: &mut Collector,
    raw: &ReconcileText,
    sources: SourceMaps,
    declared: &[String],
) -> Option<KeyedConfig> {
    let source = keyed_side(c, &raw.source, sources, declared);
    let target = keyed_side(c, &raw.target, sources, declared);
    let (source, target) = (source?, target?);
    pairing(c, raw, &source, &target);
    clinic_columns(c, raw, &source);
    let rules = compare_rules(c, raw, &source);
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
    let sort_memory_mb = positive(c, &raw.sort_memory_mb, 8);
    incremental_knobs(c, raw, &source, &target);
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

/// `clinic` on both keyed sides or neither, and not a compared column too.
fn clinic_columns(c: &mut Collector, raw: &ReconcileText, source: &KeyedSide) {
    match (&raw.source.clinic, &raw.target.clinic) {
        (Some(s), Some(_)) => {
            if source.columns.iter().any(|col| col == s.get_ref().trim()) {
                c.at(
                    s.span(),
                    format!("`{}` is a compared column already", s.get_ref()),
                    Some("leave it out of `columns`: `clinic` compares it as the clinic it stands for"),
                );
            }
        }
        (Some(one), None) | (None, Some(one)) => c.at(
            one.span(),
            "`clinic` is needed on both sides of a keyed diff, or on neither",
            Some("the column or SQL expression holding each side's clinic code, such as clinic = \"facility_id\""),
        ),
        (None, None) => {}
    }
}

fn keyed_side(
    c: &mut Collector,
    raw: &SideText,
    sources: SourceMaps,
    declared: &[String],
) -> Option<KeyedSide> {
    let from = source_name(c, &raw.from, sources, declared);
    if sources.2.iter().any(|k| k == raw.from.get_ref()) {
        return fhir_keyed::fhir_keyed_side(c, raw, from);
    }
    fhir_keys_on_sql(c, raw);
    let Some(table) = &raw.table else {
        c.at(
            raw.from.span(),
            "both sides of a keyed diff need `table`",
            None,
        );
        return None;
    };
    let mut ok = ident(c, table, true);
    let key = sql_key(c, raw, table)?;
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
        clinic: raw.clinic.as_ref().map(|c| c.get_ref().trim().to_string()),
        fhir: None,
    })
}

/// `where` and each of `expressions` are spliced into the keyed diff's
/// query: each must be one self-contained expression, as integrity rules'
/// `where` is ([`SqlFilter`]), so none can end the statement or comment out
/// the rest of it.
fn filters_checked(c: &mut Collector, raw: &SideText) -> bool {
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

/// Keys and columns pair by position: both sides list as many.
fn pairing(c: &mut Collector, raw: &ReconcileText, source: &KeyedSide, target: &KeyedSide) {
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
}

/// `compare`: comparison rules by source column name.
fn compare_rules(
    c: &mut Collector,
    raw: &ReconcileText,
    source: &KeyedSide,
) -> BTreeMap<usize, Vec<ColumnRule>> {
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
    rules
}

/// `lag` and `full_sweep` need incremental runs: `updated` on both sides.
fn incremental_knobs(
    c: &mut Collector,
    raw: &ReconcileText,
    source: &KeyedSide,
    target: &KeyedSide,
) {
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
}

/// Keys a SQL side does not take.
fn fhir_keys_on_sql(c: &mut Collector, raw: &SideText) {
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
}

/// A SQL side's key: a column, or a list for a compound key.
fn sql_key(c: &mut Collector, raw: &SideText, table: &Spanned<String>) -> Option<Vec<String>> {
    Some(match &raw.key {
        None => {
            c.at(
                table.span(),
                "a keyed side needs `key` (a column, or a list for a compound key)",
                None,
            );
            return None;
        }
        Some(k) => match k.get_ref() {
            KeyText::One(s) => vec![s.clone()],
            KeyText::Many(v) => v.clone(),
        },
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
