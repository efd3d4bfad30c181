//! Candidate pairs as they stream in: each is compared once, its pattern
//! counted for training, and kept only when its evidence (under the default
//! `m`) is at least neutral, so memory follows the plausible pairs, not
//! the candidates. Vetoes decided here overrule any weight.

use chrono::Datelike;

use super::compare::{ALL, Field, MISSING, Pattern, compare};
use super::lineage::{Origin, origin};
use super::person::Person;
use super::weights::{Model, PatternCounts};

/// Birth years at least this far apart (and not a typo or a swap) are a
/// parent and child, not one person.
const GENERATION_YEARS: i32 = 15;

pub use crate::config::integrity::empi::Veto;

/// A plausible pair, kept for scoring after training.
pub struct Kept {
    pub keys: [String; 2],
    pub origin: Origin,
    pub pattern: Pattern,
    pub veto: Option<Veto>,
}

pub struct Candidates {
    pub counts: PatternCounts,
    pub kept: Vec<Kept>,
    pub pairs: u64,
    /// Candidates agreeing exactly on given name, family name and birth date.
    pub exact: u64,
    /// The model the keep test uses (default `m`, sampled `u`).
    pub prior: Model,
    /// The vetoes the rule lets hold.
    vetoes: Vec<Veto>,
}

impl Candidates {
    pub fn new(prior: Model, vetoes: &[Veto]) -> Candidates {
        Candidates {
            counts: PatternCounts::new(),
            kept: Vec::new(),
            pairs: 0,
            exact: 0,
            prior,
            vetoes: vetoes.to_vec(),
        }
    }

    pub fn add(&mut self, rule: u8, a: &Person, b: &Person) {
        let pattern = compare(a, b);
        self.pairs += 1;
        *self.counts.entry((rule, pattern)).or_insert(0) += 1;
        if pattern[..3] == [0, 0, 0] {
            self.exact += 1;
        }
        if self.prior.evidence(&pattern) < 0.0 {
            return;
        }
        self.kept.push(Kept {
            keys: [a.key.clone(), b.key.clone()],
            origin: origin(a, b),
            pattern,
            veto: veto(a, b, &pattern, &self.vetoes),
        });
    }
}

fn level(p: &Pattern, f: Field) -> u8 {
    p[ALL.iter().position(|x| *x == f).unwrap_or(0)]
}

/// The first of the `enabled` vetoes that holds for a pair.
pub fn veto(a: &Person, b: &Person, p: &Pattern, enabled: &[Veto]) -> Option<Veto> {
    Veto::ALL
        .into_iter()
        .filter(|v| enabled.contains(v))
        .find(|v| holds(*v, a, b, p))
}

fn holds(v: Veto, a: &Person, b: &Person, p: &Pattern) -> bool {
    let dob = level(p, Field::BirthDate);
    let given = level(p, Field::Given);
    match v {
        // A differing sex beside one given name (or a typo or nickname of
        // it) is a data-entry slip in the sex field, not two people.
        Veto::Sex => level(p, Field::Sex) == 1 && given > 2,
        Veto::Suffix => matches!((a.suffix, b.suffix), (Some(x), Some(y)) if x != y),
        Veto::BirthDate => {
            dob == Field::BirthDate.different()
                && matches!((a.dob_date, b.dob_date),
                    (Some(d), Some(e)) if (d.year() - e.year()).abs() >= GENERATION_YEARS)
                && two_people_recorded(p)
        }
        Veto::Twins => {
            dob == 0
                && level(p, Field::Family) <= 1
                && given == Field::Given.different()
                && two_people_recorded(p)
        }
    }
}

/// Whether the records carry what tells two people of one household apart:
/// a sex on both, or identifiers that differ. Without it a pair shaped like
/// twins or father and son cannot be told from one record whose given name
/// or birth date was keyed anew (FEBRL makes its duplicates so), and is left
/// to its weight. Identifiers that agree overrule the shape.
fn two_people_recorded(p: &Pattern) -> bool {
    let id = level(p, Field::Identifier);
    id != 0 && (level(p, Field::Sex) != MISSING || id == Field::Identifier.different())
}

/// A pair's weight (bits, prior included) and match probability.
pub fn weigh(model: &Model, k: &Kept) -> (f64, f64) {
    let w = model.prior_bits + model.evidence(&k.pattern);
    match k.veto {
        Some(_) => (w, 0.0),
        None => (w, Model::probability(w)),
    }
}

/// Each compared field's level name and weight.
pub fn explain(model: &Model, p: &Pattern) -> Vec<crate::results::FieldEvidence> {
    ALL.iter()
        .enumerate()
        .map(|(i, f)| crate::results::FieldEvidence {
            field: f.name().to_string(),
            level: match p[i] {
                MISSING => "missing".to_string(),
                l => f.levels()[usize::from(l)].to_string(),
            },
            weight: (model.bits(i, p[i]) * 100.0).round() / 100.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(cells: &[&str]) -> Person {
        let c: Vec<Option<String>> = cells
            .iter()
            .map(|s| (!s.is_empty()).then(|| s.to_string()))
            .collect();
        Person::from_cells("k".into(), &c)
    }

    impl Person {
        /// This record as `given` Lee born 2001-02-03, without a sex.
        fn clone_with(&self, given: &str) -> Person {
            let mut p = person(&[given, "Lee", "2001-02-03"]);
            p.identifier = self.identifier.clone();
            p
        }
    }

    #[test]
    fn vetoes_name_the_classic_false_positives() {
        let ann = person(&["Ann", "Lee", "2001-02-03", "F"]);
        let tom = person(&["Tom", "Lee", "2001-02-03", "M"]);
        assert_eq!(
            veto(&ann, &tom, &compare(&ann, &tom), &Veto::ALL),
            Some(Veto::Sex)
        );
        let amy = person(&["Amy", "Lee", "2001-02-03", "F"]);
        assert_eq!(
            veto(&ann, &amy, &compare(&ann, &amy), &Veto::ALL),
            Some(Veto::Twins)
        );
        let sr = person(&["John", "Kim Sr", "1950-01-01", "M"]);
        let jr = person(&["John", "Kim Jr", "1950-01-01", "M"]);
        assert_eq!(
            veto(&sr, &jr, &compare(&sr, &jr), &Veto::ALL),
            Some(Veto::Suffix)
        );
        let son = person(&["John", "Kim", "1978-06-09", "M"]);
        assert_eq!(
            veto(&sr, &son, &compare(&sr, &son), &Veto::ALL),
            Some(Veto::BirthDate)
        );
        let typo = person(&["John", "Kim", "1905-01-01", "M"]);
        assert_eq!(veto(&sr, &typo, &compare(&sr, &typo), &Veto::ALL), None);
        // Vetoes left out of the rule's list do not hold; the next one may.
        assert_eq!(
            veto(&ann, &tom, &compare(&ann, &tom), &[Veto::Twins]),
            Some(Veto::Twins)
        );
        assert_eq!(veto(&sr, &son, &compare(&sr, &son), &[Veto::Sex]), None);
    }

    /// The shapes alone do not veto: a sex keyed wrong beside one name, a
    /// re-keyed given name or birth date on records without sex or
    /// identifier, and identifiers that agree are one person's.
    #[test]
    fn vetoes_need_more_than_the_shape() {
        let all = &Veto::ALL;
        let v = |a: &Person, b: &Person| veto(a, b, &compare(a, b), all);
        let ann = person(&["Ann", "Lee", "2001-02-03", "F"]);
        let slip = person(&["Anne", "Lee", "2001-02-03", "M"]);
        assert_eq!(v(&ann, &slip), None);
        let (ann, amy) = (
            person(&["Ann", "Lee", "2001-02-03"]),
            person(&["Amy", "Lee", "2001-02-03"]),
        );
        assert_eq!(v(&ann, &amy), None);
        let (sr, son) = (
            person(&["John", "Kim", "1950-01-01"]),
            person(&["John", "Kim", "1978-06-09"]),
        );
        assert_eq!(v(&sr, &son), None);
        // Fourteen years apart is no generation.
        let (a, b) = (
            person(&["John", "Kim", "1950-01-01", "M"]),
            person(&["John", "Kim", "1964-06-09", "M"]),
        );
        assert_eq!(v(&a, &b), None);
        // Identifiers: differing ones tell twins apart, equal ones join them.
        let id = |g: &str, id: &str| person(&["", "", "", "", "", "", "", "", id]).clone_with(g);
        let (x, y) = (id("Ann", "111"), id("Amy", "222"));
        assert_eq!(v(&x, &y), Some(Veto::Twins));
        let (x, y) = (id("Ann", "111"), id("Amy", "111"));
        assert_eq!(v(&x, &y), None);
    }
}
