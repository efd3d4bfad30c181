//! Comparators: each field of a pair falls into one level, from the
//! strongest agreement to disagreement, or is missing (neutral: it adds no
//! weight either way). Names use Jaro–Winkler and Damerau–Levenshtein from
//! `strsim`, plus the nickname table; dates know day/month swaps and
//! one-digit typos.

use strsim::{damerau_levenshtein, jaro_winkler};

use super::nicknames;
use super::person::Person;

/// The compared fields, in pattern order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Given,
    Family,
    BirthDate,
    Sex,
    Phone,
    Postal,
    Address,
    City,
    Identifier,
}

pub const FIELD_COUNT: usize = 9;
pub const ALL: [Field; FIELD_COUNT] = [
    Field::Given,
    Field::Family,
    Field::BirthDate,
    Field::Sex,
    Field::Phone,
    Field::Postal,
    Field::Address,
    Field::City,
    Field::Identifier,
];
/// A field absent on either side.
pub const MISSING: u8 = u8::MAX;

/// One level per field (or [`MISSING`]), in [`ALL`] order.
pub type Pattern = [u8; FIELD_COUNT];

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Given => "given",
            Field::Family => "family",
            Field::BirthDate => "birth_date",
            Field::Sex => "sex",
            Field::Phone => "phone",
            Field::Postal => "postal_code",
            Field::Address => "address",
            Field::City => "city",
            Field::Identifier => "identifier",
        }
    }

    /// Level names, strongest agreement first, disagreement last.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::Given => &["exact", "nickname", "similar", "weak", "different"],
            Field::Family => &["exact", "similar", "weak", "different"],
            Field::BirthDate => &[
                "exact",
                "day_month_swapped",
                "one_digit",
                "within_a_year",
                "different",
            ],
            Field::Sex => &["same", "different"],
            Field::Phone | Field::Postal | Field::Identifier => &["exact", "one_char", "different"],
            Field::Address | Field::City => &["exact", "similar", "different"],
        }
    }

    /// The level that means "disagrees".
    pub fn different(self) -> u8 {
        (self.levels().len() - 1) as u8
    }
}

/// Compares two people field by field.
pub fn compare(a: &Person, b: &Person) -> Pattern {
    let mut p = [MISSING; FIELD_COUNT];
    p[0] = both(&a.given, &b.given, given);
    p[1] = both(&a.family, &b.family, family);
    swapped_names(a, b, &mut p);
    p[2] = both(&a.dob, &b.dob, |x, y| birth_date(x, y, a, b));
    p[3] = match (a.sex, b.sex) {
        (Some(x), Some(y)) => u8::from(x != y),
        _ => MISSING,
    };
    p[4] = both(&a.phone, &b.phone, one_char);
    p[5] = both(&a.postal, &b.postal, one_char);
    p[6] = both(&a.address, &b.address, similar_text);
    p[7] = both(&a.city, &b.city, similar_text);
    p[8] = both(&a.identifier, &b.identifier, one_char);
    p
}

fn both(a: &Option<String>, b: &Option<String>, f: impl FnOnce(&str, &str) -> u8) -> u8 {
    match (a, b) {
        (Some(x), Some(y)) => f(x, y),
        _ => MISSING,
    }
}

/// Close spellings: one edit (a typo, a transposition) or Jaro–Winkler ≥ 0.92.
fn close(a: &str, b: &str) -> bool {
    (a.len() >= 4 && damerau_levenshtein(a, b) <= 1) || jaro_winkler(a, b) >= 0.92
}

fn given(a: &str, b: &str) -> u8 {
    if a == b {
        0
    } else if nicknames::equivalent(a, b) {
        1
    } else if close(a, b) {
        2
    } else if jaro_winkler(a, b) >= 0.8 || initial_of(a, b) {
        3
    } else {
        4
    }
}

/// One name is the other's initial (`J` and `John`).
fn initial_of(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() == 1 && long.starts_with(short)
}

fn family(a: &str, b: &str) -> u8 {
    if a == b {
        0
    } else if close(a, b) {
        1
    } else if jaro_winkler(a, b) >= 0.8 || double_barrelled(a, b) {
        2
    } else {
        3
    }
}

/// A married name added to the birth name (`smith` and `smithjones`).
fn double_barrelled(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 3 && (long.starts_with(short) || long.ends_with(short))
}

/// Given and family names entered in each other's fields.
fn swapped_names(a: &Person, b: &Person, p: &mut Pattern) {
    if p[0] == 0 && p[1] == 0 {
        return;
    }
    let (Some(ag), Some(af), Some(bg), Some(bf)) = (&a.given, &a.family, &b.given, &b.family)
    else {
        return;
    };
    if (ag == bf || close(ag, bf)) && (af == bg || close(af, bg)) {
        p[0] = p[0].min(2);
        p[1] = p[1].min(1);
    }
}

fn birth_date(x: &str, y: &str, a: &Person, b: &Person) -> u8 {
    if x == y {
        return 0;
    }
    // YYYYMMDD: the same year with month and day exchanged.
    if x[..4] == y[..4] && x[4..6] == y[6..8] && x[6..8] == y[4..6] {
        return 1;
    }
    if one_digit(x, y) {
        return 2;
    }
    match (a.dob_date, b.dob_date) {
        (Some(d), Some(e)) if (d - e).num_days().abs() <= 365 => 3,
        _ => 4,
    }
}

/// Equal lengths differing in one character or one adjacent transposition.
fn one_digit(x: &str, y: &str) -> bool {
    if x.len() != y.len() {
        return false;
    }
    let diff: Vec<usize> = x
        .bytes()
        .zip(y.bytes())
        .enumerate()
        .filter(|(_, (p, q))| p != q)
        .map(|(i, _)| i)
        .collect();
    match diff.as_slice() {
        [_] => true,
        [i, j] if *j == i + 1 => {
            x.as_bytes()[*i] == y.as_bytes()[*j] && x.as_bytes()[*j] == y.as_bytes()[*i]
        }
        _ => false,
    }
}

fn one_char(a: &str, b: &str) -> u8 {
    if a == b {
        0
    } else if one_digit(a, b) {
        1
    } else {
        2
    }
}

fn similar_text(a: &str, b: &str) -> u8 {
    if a == b {
        0
    } else if jaro_winkler(a, b) >= 0.88 {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(given: &str, family: &str, dob: &str) -> Person {
        let cells: Vec<Option<String>> = [given, family, dob]
            .iter()
            .map(|s| Some(s.to_string()))
            .collect();
        Person::from_cells("1".into(), &cells)
    }

    #[test]
    fn names_and_dates_fall_into_levels() {
        let robert = person("Robert", "Smith", "1970-05-06");
        let bob = person("Bob", "Smyth", "1970-06-05");
        let p = compare(&robert, &bob);
        assert_eq!(&p[..3], &[1, 1, 1]);
        let typo = person("Robret", "Smith", "1970-05-08");
        assert_eq!(&compare(&robert, &typo)[..3], &[2, 0, 2]);
        let swapped = person("Smith", "Robert", "1970-05-06");
        assert_eq!(&compare(&robert, &swapped)[..3], &[2, 1, 0]);
        let other = person("Alice", "Jones", "1990-01-01");
        assert_eq!(&compare(&robert, &other)[..4], &[4, 3, 4, MISSING]);
        let near = person("Robert", "Smith", "1970-09-30");
        assert_eq!(compare(&robert, &near)[2], 3);
    }

    #[test]
    fn married_names_and_phones() {
        assert_eq!(family("smith", "smithjones"), 2);
        assert_eq!(one_char("6175550142", "6175550124"), 1);
        assert_eq!(one_char("6175550142", "6175559999"), 2);
        assert_eq!(given("j", "john"), 3);
    }
}
