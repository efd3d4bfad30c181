//! The typed `probable_duplicates` rule: which column holds which person
//! field, and the thresholds on the match probability of a pair.

use super::super::{Name, Tolerance};
use super::{Ident, TableName};

/// `probable` when not set: a pair this likely fails the rule.
pub const DEFAULT_PROBABLE: f64 = 0.9;
/// `review` when not set: a pair this likely is reported for review.
pub const DEFAULT_REVIEW: f64 = 0.5;
/// `max_cluster_size` when not set: larger clusters are chains of weak
/// links (a common name at one address), not one person.
pub const DEFAULT_MAX_CLUSTER: usize = 10;

/// Which columns hold a person's fields. Given name, family name and birth
/// date are required; the others add evidence when mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonColumns {
    pub given: Ident,
    pub family: Ident,
    pub birth_date: Ident,
    pub sex: Option<Ident>,
    pub phone: Option<Ident>,
    pub postal_code: Option<Ident>,
    pub address: Option<Ident>,
    pub city: Option<Ident>,
    /// A legacy MRN or a national number, compared exactly.
    pub identifier: Option<Ident>,
}

/// A reason two records may not be linked, whatever their weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Veto {
    /// Both records give a sex, and they differ.
    Sex,
    /// Birth dates years apart, not explained by a typo or swap.
    BirthDate,
    /// `Jr` against `Sr` (or `II` against `III`).
    Suffix,
    /// Same family name and birth date, clearly different given names.
    Twins,
}

impl Veto {
    /// Every veto, the default of `vetoes`.
    pub const ALL: [Veto; 4] = [Veto::Sex, Veto::BirthDate, Veto::Suffix, Veto::Twins];

    pub fn as_str(self) -> &'static str {
        match self {
            Veto::Sex => "sex",
            Veto::BirthDate => "birth_date",
            Veto::Suffix => "suffix",
            Veto::Twins => "twins",
        }
    }

    pub fn parse(s: &str) -> Option<Veto> {
        Veto::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A `probable_duplicates` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct EmpiSpec {
    pub key: Ident,
    pub person: PersonColumns,
    /// Pairs at or above this match probability form clusters and fail the rule.
    pub probable: f64,
    /// Pairs at or above this (and below `probable`) are reported, not failed.
    pub review: f64,
    /// Clusters above this size are reported as too large to be one person.
    pub max_cluster_size: usize,
    /// The vetoes that hold (all of them unless `vetoes` says otherwise):
    /// without one, a pair of its shape is linked on weight alone.
    pub vetoes: Vec<Veto>,
    /// The column holding the legacy record a row was migrated from (NULL
    /// for a row registered in the new system): probable pairs are then
    /// counted by how they came about.
    pub lineage: Option<Ident>,
    /// The legacy table the `lineage` column points into: each migrated
    /// row is compared with the record it came from, to find overlays.
    pub legacy: Option<LegacyTable>,
    /// On the number of clusters.
    pub tolerance: Tolerance,
}

/// `legacy = { from, table, key, person }`: where a migrated row's legacy
/// record is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyTable {
    /// A SQL source (the legacy system).
    pub from: Name,
    pub table: TableName,
    /// The column the target's `lineage` values are keys of.
    pub key: Ident,
    /// The legacy columns (the rule's own `person` when not given); only
    /// given, family, birth date and sex are compared.
    pub person: PersonColumns,
}
