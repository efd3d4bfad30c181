//! Blocking keys no engine computes alike: the birth year with the Double
//! Metaphone code of the family name (and of the given name). The database
//! streams the rows ordered by birth year; one year's rows at a time are
//! bucketed by code here, so memory holds one year, never the table.

use std::collections::HashMap;

use rphonetic::{DoubleMetaphone, Encoder};

use super::blocking::MAX_BLOCK;
use super::person::{FIELDS, Person};

/// A row of one year: the person and its SQL blocking keys.
pub struct Row {
    pub person: Person,
    pub sql_keys: Vec<Option<String>>,
}

impl Row {
    /// Reads `(k, c0…c9, b0…, year)`; returns the row and its year.
    pub fn read(mut cells: Vec<Option<String>>, keys: usize) -> Option<(Row, String)> {
        if cells.len() != 1 + FIELDS + keys + 1 {
            return None;
        }
        let year = cells.pop()??;
        let sql_keys = cells.split_off(1 + FIELDS);
        let key = cells.first().cloned()??;
        let person = Person::from_cells(key, &cells[1..]);
        Some((Row { person, sql_keys }, year))
    }

    /// Whether a SQL key already paired these two rows.
    fn paired_in_sql(&self, other: &Row) -> bool {
        self.sql_keys
            .iter()
            .zip(&other.sql_keys)
            .any(|(a, b)| a.is_some() && a == b)
    }
}

/// The phonetic codes of a row: family name's, then given name's.
fn codes(dm: &DoubleMetaphone, p: &Person) -> [Option<String>; 2] {
    let code = |s: &Option<String>| s.as_deref().map(|s| dm.encode(s)).filter(|c| !c.is_empty());
    [code(&p.family), code(&p.given)]
}

/// Calls `emit(rule, a, b)` for every pair of one year's rows sharing a
/// phonetic code, not paired by SQL nor by an earlier code. `rule` counts
/// from `first_rule`.
pub fn pairs_of_year(rows: &[Row], first_rule: u8, emit: &mut dyn FnMut(u8, &Person, &Person)) {
    let dm = DoubleMetaphone::default();
    let all: Vec<[Option<String>; 2]> = rows.iter().map(|r| codes(&dm, &r.person)).collect();
    for c in 0..2 {
        let mut buckets: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, code) in all.iter().enumerate() {
            if let Some(code) = &code[c] {
                buckets.entry(code.as_str()).or_default().push(i);
            }
        }
        for members in buckets.values().filter(|m| m.len() <= MAX_BLOCK) {
            for (x, &i) in members.iter().enumerate() {
                for &j in &members[x + 1..] {
                    let earlier = (0..c).any(|e| all[i][e].is_some() && all[i][e] == all[j][e]);
                    if earlier || rows[i].paired_in_sql(&rows[j]) {
                        continue;
                    }
                    emit(first_rule + c as u8, &rows[i].person, &rows[j].person);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, given: &str, family: &str, phone: Option<&str>) -> Row {
        let cells = vec![Some(given.to_string()), Some(family.to_string())];
        Row {
            person: Person::from_cells(key.into(), &cells),
            sql_keys: vec![phone.map(str::to_string)],
        }
    }

    #[test]
    fn pairs_sound_alike_names_once() {
        let rows = vec![
            row("1", "Katherine", "Smith", Some("1")),
            row("2", "Catherine", "Smyth", None),
            row("3", "Kathryn", "Smith", Some("1")),
            row("4", "Bob", "Jones", None),
        ];
        let mut got = Vec::new();
        pairs_of_year(&rows, 5, &mut |r, a, b| {
            got.push((r, a.key.clone(), b.key.clone()))
        });
        got.sort();
        // 1-3 share a phone (paired in SQL); 1-2 and 2-3 by family code.
        assert_eq!(
            got,
            [(5, "1".into(), "2".into()), (5, "2".into(), "3".into())]
        );
    }
}
