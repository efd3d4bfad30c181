//! Each rule kind's keys, turned into its typed [`RuleSpec`].

use std::collections::HashSet;
use std::time::Duration;

use super::super::super::Ident;
use super::super::super::errors::Collector;
use super::super::super::integrity::{MatchExpr, RefCast, RuleSpec, SqlFilter, TableName};
use super::super::super::raw::{RawIntegrityRule, RawRatio, S};
use super::super::{duration, tolerance};
use super::{ident, needs, non_empty, optional, parsed, validity};

pub(super) fn duplicates(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[("key", r.key.is_some()), ("match", r.r#match.is_some())],
    );
    let key = ident(c, &r.key);
    let tolerance = tolerance(c, r.tolerance.as_ref());
    let matches = r.r#match.as_ref().and_then(|list| {
        let items = non_empty(c, list, "match")?;
        let parsed: Vec<_> = items
            .iter()
            .map(|m| parsed(c, m, MatchExpr::parse))
            .collect();
        parsed.into_iter().collect::<Option<Vec<_>>>()
    });
    complete.then_some(())?;
    Some(RuleSpec::Duplicates {
        key: key?,
        matches: matches?,
        tolerance: tolerance?,
    })
}

pub(super) fn orphans(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[
            ("key", r.key.is_some()),
            ("column", r.column.is_some()),
            ("ref_table", r.ref_table.is_some()),
            ("ref_column", r.ref_column.is_some()),
        ],
    );
    let key = ident(c, &r.key);
    let column = ident(c, &r.column);
    let ref_column = ident(c, &r.ref_column);
    let ref_table = r
        .ref_table
        .as_ref()
        .and_then(|t| parsed(c, t, TableName::parse));
    let cast = optional(c, &r.cast, |s| match s {
        "integer" => Ok(RefCast::Integer),
        "text" => Ok(RefCast::Text),
        _ => Err(format!(
            "`{s}` is not a cast: use \"integer\" (text holding digits) or \"text\""
        )),
    });
    let ref_filter = optional(c, &r.ref_where, SqlFilter::parse);
    let tolerance = tolerance(c, r.tolerance.as_ref());
    complete.then_some(())?;
    Some(RuleSpec::Orphans {
        key: key?,
        column: column?,
        ref_table: ref_table?,
        ref_column: ref_column?,
        cast: cast?,
        ref_filter: ref_filter?,
        tolerance: tolerance?,
    })
}

pub(super) fn completeness(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[("key", r.key.is_some()), ("fields", r.fields.is_some())],
    );
    let key = ident(c, &r.key);
    let fields = r.fields.as_ref().and_then(|list| {
        let items = non_empty(c, list, "fields")?;
        let parsed: Vec<_> = items.iter().map(|f| parsed(c, f, Ident::parse)).collect();
        parsed.into_iter().collect::<Option<Vec<_>>>()
    });
    if let (Some(fields), Some(list)) = (&fields, &r.fields) {
        let unique: HashSet<_> = fields.iter().collect();
        if unique.len() < fields.len() {
            c.at(list.span(), "a field is listed twice", None);
        }
    }
    let min_ratio = match &r.min_ratio {
        None => Some(1.0),
        Some(raw) => ratio(c, raw),
    };
    complete.then_some(())?;
    Some(RuleSpec::Completeness {
        key: key?,
        fields: fields?,
        min_ratio: min_ratio?,
    })
}

pub(super) fn freshness(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[
            ("column", r.column.is_some()),
            ("max_age", r.max_age.is_some()),
        ],
    );
    let column = ident(c, &r.column);
    let max_age = duration(c, &r.max_age, Duration::ZERO);
    complete.then_some(())?;
    Some(RuleSpec::Freshness {
        column: column?,
        max_age: max_age?,
    })
}

pub(super) fn validity(c: &mut Collector, r: &RawIntegrityRule) -> Option<RuleSpec> {
    let complete = needs(
        c,
        r,
        &[("key", r.key.is_some()), ("column", r.column.is_some())],
    );
    let key = ident(c, &r.key);
    let column = ident(c, &r.column);
    let tolerance = tolerance(c, r.tolerance.as_ref());
    let test = validity::validity_test(c, r);
    complete.then_some(())?;
    Some(RuleSpec::Validity {
        key: key?,
        column: column?,
        test: test?,
        tolerance: tolerance?,
    })
}

fn ratio(c: &mut Collector, raw: &S<RawRatio>) -> Option<f64> {
    let ok = raw.get_ref().share();
    if ok.is_none() {
        c.at(
            raw.span(),
            "min_ratio must be a share from 0 to 1 or a percentage",
            Some("write min_ratio = 0.995 or min_ratio = \"99.5%\""),
        );
    }
    ok
}
