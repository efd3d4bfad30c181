//! A person as the comparators see it: each field read from its text column
//! and normalized once (case, spacing, punctuation, name suffixes, phone
//! digits), so comparisons are cheap and a blank counts as missing.

use chrono::NaiveDate;

/// The person fields, in the order of the SQL projection after the key,
/// then the lineage column (NULL when the rule has none).
pub const FIELDS: usize = 10;

/// Name suffixes that tell a father from a son at one address.
const SUFFIXES: &[&str] = &["jr", "sr", "ii", "iii", "iv"];

/// One record, normalized. Never logged: it holds PHI.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person {
    pub key: String,
    pub given: Option<String>,
    pub family: Option<String>,
    /// Birth date as its eight digits `YYYYMMDD` (kept when not a valid date,
    /// so a typo still compares digit by digit).
    pub dob: Option<String>,
    pub dob_date: Option<NaiveDate>,
    pub sex: Option<char>,
    pub phone: Option<String>,
    pub postal: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub identifier: Option<String>,
    /// `jr`, `sr`, `ii`… when the name carried one.
    pub suffix: Option<&'static str>,
    /// The legacy record this row was migrated from, when the rule names
    /// a `lineage` column and the row has one. Not compared.
    pub lineage: Option<String>,
}

impl Person {
    /// Reads `key` and the [`FIELDS`] text cells in projection order.
    pub fn from_cells(key: String, cells: &[Option<String>]) -> Person {
        let cell = |i: usize| cells.get(i).and_then(|c| c.as_deref());
        let (given, s1) = name(cell(0));
        let (family, s2) = name(cell(1));
        let dob = cell(2).and_then(date_digits);
        Person {
            key,
            given,
            family,
            dob_date: dob
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok()),
            dob,
            sex: cell(3).and_then(sex),
            phone: cell(4).and_then(phone),
            postal: cell(5).and_then(postal),
            address: cell(6).and_then(address),
            city: cell(7).and_then(|c| letters_and_digits(c, "")),
            identifier: cell(8).and_then(|c| letters_and_digits(c, "")),
            suffix: s1.or(s2),
            lineage: cell(9)
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        }
    }
}

/// Lowercased alphanumeric words joined by `sep`; `None` when blank.
fn letters_and_digits(s: &str, sep: &str) -> Option<String> {
    let words: Vec<String> = s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    (!words.is_empty()).then(|| words.join(sep))
}

/// A name without case, spacing, punctuation or suffix (`Mary-Ann` and
/// `mary ann` read alike), and the suffix it carried.
fn name(s: Option<&str>) -> (Option<String>, Option<&'static str>) {
    let Some(s) = s else { return (None, None) };
    let mut suffix = None;
    let words: Vec<String> = s
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| match SUFFIXES.iter().find(|x| *x == w) {
            Some(x) => {
                suffix = Some(*x);
                false
            }
            None => true,
        })
        .collect();
    let joined = words.concat();
    ((!joined.is_empty()).then_some(joined), suffix)
}

/// The eight digits of a date written `YYYY-MM-DD`, `YYYYMMDD` or with a
/// time after it; zero dates (`0000-00-00`) are missing.
fn date_digits(s: &str) -> Option<String> {
    let digits: String = s
        .trim()
        .chars()
        .take(10)
        .filter(char::is_ascii_digit)
        .collect();
    (digits.len() == 8 && digits != "00000000").then_some(digits)
}

fn sex(s: &str) -> Option<char> {
    match s.trim().chars().next()?.to_ascii_lowercase() {
        c @ ('m' | 'f') => Some(c),
        _ => None,
    }
}

/// The last ten digits of a phone number; fewer than seven is no number.
fn phone(s: &str) -> Option<String> {
    let d: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
    if d.len() < 7 || d.iter().all(|c| *c == '0') {
        return None;
    }
    Some(d[d.len().saturating_sub(10)..].iter().collect())
}

/// A postal code without spaces; a US ZIP+4 as its five digits.
fn postal(s: &str) -> Option<String> {
    let p = letters_and_digits(s, "")?;
    if p.len() == 9 && p.chars().all(|c| c.is_ascii_digit()) {
        return Some(p[..5].to_string());
    }
    Some(p)
}

/// A street address in lower case with the usual abbreviations spelled one way.
fn address(s: &str) -> Option<String> {
    let a = letters_and_digits(s, " ")?;
    let words: Vec<&str> = a
        .split(' ')
        .map(|w| match w {
            "street" => "st",
            "avenue" => "ave",
            "road" => "rd",
            "drive" => "dr",
            "lane" => "ln",
            "boulevard" => "blvd",
            "court" => "ct",
            "place" => "pl",
            "apartment" | "unit" => "apt",
            other => other,
        })
        .collect();
    Some(words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(v: &[&str]) -> Vec<Option<String>> {
        v.iter()
            .map(|s| (!s.is_empty()).then(|| s.to_string()))
            .collect()
    }

    #[test]
    fn fields_are_normalized_once() {
        let p = Person::from_cells(
            "7".into(),
            &cells(&[
                " Mary-Ann ",
                "O'Brien Jr.",
                "1980-03-04",
                "Female",
                "(617) 555-0142",
                "02139-1234",
                "12 Main Street",
                "",
                "",
            ]),
        );
        assert_eq!(p.given.as_deref(), Some("maryann"));
        assert_eq!(p.family.as_deref(), Some("obrien"));
        assert_eq!(p.suffix, Some("jr"));
        assert_eq!(p.dob.as_deref(), Some("19800304"));
        assert!(p.dob_date.is_some());
        assert_eq!(p.sex, Some('f'));
        assert_eq!(p.phone.as_deref(), Some("6175550142"));
        assert_eq!(p.postal.as_deref(), Some("02139"));
        assert_eq!(p.address.as_deref(), Some("12 main st"));
        assert_eq!(p.city, None);
    }

    #[test]
    fn placeholders_are_missing() {
        let p = Person::from_cells(
            "1".into(),
            &cells(&["", "", "0000-00-00", "U", "0000000", "", "", "", ""]),
        );
        assert_eq!((p.dob, p.sex, p.phone), (None, None, None));
        // A typo'd date keeps its digits for digit-wise comparison.
        let q = Person::from_cells("2".into(), &cells(&["a", "b", "19801304"]));
        assert_eq!(q.dob.as_deref(), Some("19801304"));
        assert_eq!(q.dob_date, None);
    }
}
