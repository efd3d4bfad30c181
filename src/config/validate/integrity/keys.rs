//! Which keys each rule kind takes, and which validity test a rule names.

use std::ops::Range;

use toml::Spanned;

use super::super::super::Ident;
use super::super::super::errors::Collector;
use super::super::super::raw::RawIntegrityRule;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Duplicates,
    Orphans,
    Completeness,
    Validity,
    Freshness,
    ProbableDuplicates,
}

impl Kind {
    pub const NAMES: &'static str =
        "duplicates, orphans, completeness, validity, freshness, probable_duplicates";

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "duplicates" => Some(Kind::Duplicates),
            "orphans" => Some(Kind::Orphans),
            "completeness" => Some(Kind::Completeness),
            "validity" => Some(Kind::Validity),
            "freshness" => Some(Kind::Freshness),
            "probable_duplicates" => Some(Kind::ProbableDuplicates),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Duplicates => "duplicates",
            Kind::Orphans => "orphans",
            Kind::Completeness => "completeness",
            Kind::Validity => "validity",
            Kind::Freshness => "freshness",
            Kind::ProbableDuplicates => "probable_duplicates",
        }
    }

    /// The kind-specific keys (beyond name, kind, description, table, where).
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Duplicates => &["key", "tolerance", "match"],
            Kind::Orphans => &[
                "key",
                "tolerance",
                "column",
                "ref_table",
                "ref_column",
                "ref_where",
                "cast",
            ],
            Kind::Completeness => &["key", "fields", "min_ratio"],
            Kind::Validity => &[
                "key",
                "tolerance",
                "column",
                "pattern",
                "values",
                "builtin",
                "min",
                "max",
                "placeholders",
                "mapping_table",
                "mapping_column",
                "mapping_where",
            ],
            Kind::Freshness => &["column", "max_age"],
            Kind::ProbableDuplicates => &[
                "key",
                "tolerance",
                "person",
                "probable",
                "review",
                "max_cluster_size",
                "vetoes",
                "lineage",
                "legacy",
            ],
        }
    }
}

pub(super) fn span_of<T>(v: &Option<Spanned<T>>) -> Option<Range<usize>> {
    v.as_ref().map(Spanned::span)
}

/// The kind-specific keys a rule sets, with their spans.
fn keys_set(r: &RawIntegrityRule) -> Vec<(&'static str, Range<usize>)> {
    [
        ("key", span_of(&r.key)),
        ("tolerance", span_of(&r.tolerance)),
        ("match", span_of(&r.r#match)),
        ("column", span_of(&r.column)),
        ("ref_table", span_of(&r.ref_table)),
        ("ref_column", span_of(&r.ref_column)),
        ("ref_where", span_of(&r.ref_where)),
        ("cast", span_of(&r.cast)),
        ("fields", span_of(&r.fields)),
        ("min_ratio", span_of(&r.min_ratio)),
        ("pattern", span_of(&r.pattern)),
        ("values", span_of(&r.values)),
        ("builtin", span_of(&r.builtin)),
        ("min", span_of(&r.min)),
        ("max", span_of(&r.max)),
        ("placeholders", span_of(&r.placeholders)),
        ("mapping_table", span_of(&r.mapping_table)),
        ("mapping_column", span_of(&r.mapping_column)),
        ("mapping_where", span_of(&r.mapping_where)),
        ("max_age", span_of(&r.max_age)),
        ("person", span_of(&r.person)),
        ("probable", span_of(&r.probable)),
        ("review", span_of(&r.review)),
        ("max_cluster_size", span_of(&r.max_cluster_size)),
        ("vetoes", span_of(&r.vetoes)),
        ("lineage", span_of(&r.lineage)),
        ("legacy", span_of(&r.legacy)),
    ]
    .into_iter()
    .filter_map(|(k, s)| s.map(|s| (k, s)))
    .collect()
}

/// Records every key the rule sets that its kind does not take; false if any.
pub(super) fn check_applicable(c: &mut Collector, r: &RawIntegrityRule, kind: Kind) -> bool {
    let allowed = kind.keys();
    let mut ok = true;
    for (key, span) in keys_set(r) {
        if !allowed.contains(&key) {
            ok = false;
            c.at(
                span,
                format!("`{key}` does not apply to kind `{}`", kind.as_str()),
                Some(&format!(
                    "a rule of kind `{}` takes name, kind, description, table, where, {}",
                    kind.as_str(),
                    allowed.join(", ")
                )),
            );
        }
    }
    ok
}

/// The `clinic` column of a rule: every kind that counts problem rows (or
/// clusters) of one table takes it; freshness judges the table's newest
/// row as a whole, so per-clinic staleness would not add up to its verdict.
pub(super) fn clinic(c: &mut Collector, r: &RawIntegrityRule, kind: Kind) -> Option<Option<Ident>> {
    let Some(raw) = &r.clinic else {
        return Some(None);
    };
    if kind == Kind::Freshness {
        c.at(
            raw.span(),
            "`clinic` does not apply to kind `freshness`".to_string(),
            Some("freshness judges the newest row of the whole table; give each clinic its own rule with `where` on its code"),
        );
        return None;
    }
    super::ident(c, &r.clinic).map(Some)
}
