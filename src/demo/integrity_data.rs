//! The demo's data-quality problems, for the `[[integrity]]` checks: carried
//! over from the legacy system (duplicate patients, blank names, placeholder
//! and future birth dates, invalid NPIs) or made by the migration (orphans,
//! unmapped legacy codes, a lab feed that stopped).
//!
//! Problems are planted by record number, not drawn from the shared random
//! sequence, so every other figure of the demo stays what it was.

use chrono::{DateTime, Utc};

use crate::checks::integrity::npi_check_digit;

/// One patient's name and birth date as the legacy system holds them.
#[derive(Debug, Clone)]
pub struct Person {
    pub given: Option<String>,
    pub family: String,
    pub birth_date: Option<String>,
}

/// Plants the problems of patient `pid`, given who came before it.
pub fn plant_patient(pid: i64, drawn: Person, previous: Option<&Person>) -> Person {
    let mut p = match previous {
        // The same person registered twice, spelt a little differently.
        Some(prev) if pid % 250 == 0 => Person {
            given: prev.given.as_ref().map(|g| g.to_lowercase()),
            family: format!(" {} ", prev.family.to_uppercase()),
            birth_date: prev.birth_date.clone(),
        },
        _ => drawn,
    };
    if pid % 397 == 0 {
        p.given = Some(String::new());
    }
    if pid % 499 == 0 {
        p.given = None;
    }
    if pid % 509 == 0 {
        p.birth_date = Some("1900-01-01".into());
    }
    if pid % 521 == 0 {
        // A typo for 1962.
        p.birth_date = Some("2062-04-11".into());
    }
    if pid % 613 == 0 {
        p.birth_date = None;
    }
    p
}

/// A provider's NPI from ten random digits: valid (Luhn with 80840), except
/// for every 13th provider, whose check digit is off by one.
pub fn npi(id: i64, drawn: &str) -> String {
    let body = &drawn[..9];
    let check = npi_check_digit(body).unwrap_or(0);
    let check = if id % 13 == 0 {
        (check + 1) % 10
    } else {
        check
    };
    format!("{body}{check}")
}

/// Whether provider `id` got an invalid NPI.
pub fn npi_is_planted_invalid(id: i64) -> bool {
    id % 13 == 0
}

/// ICD-10-CM codes the legacy diagnosis codes map to.
const ICD10: [&str; 12] = [
    "E11.9", "I10", "J45.909", "M54.50", "Z00.00", "F41.1", "K21.9", "N39.0", "R51.9", "E78.5",
    "J06.9", "M17.11",
];
/// Legacy diagnosis codes D001…D040; the crosswalk lacks the last two.
const LEGACY_CODES: i64 = 40;
const MAPPED_CODES: i64 = 38;

/// Rows of the target's condition, code_map and lab_feed_message tables.
#[derive(Debug, Default)]
pub struct ExtraRows {
    /// (id, patient_id, code, legacy_code)
    pub conditions: Vec<(i64, i64, Option<String>, String)>,
    /// (legacy_code, icd10)
    pub code_map: Vec<(String, String)>,
    /// (id, received_at)
    pub feed: Vec<(i64, String)>,
    pub unmapped_conditions: usize,
    pub malformed_codes: usize,
}

fn icd_for(legacy: i64) -> &'static str {
    ICD10[(legacy as usize) % ICD10.len()]
}

/// Conditions of migrated patients (their own random sequence), the code
/// crosswalk, and a lab feed whose last message came three days before `now`.
pub fn extra_target_rows(seed: u64, migrated: &[i64], now: DateTime<Utc>) -> ExtraRows {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x001c_0de5);
    let mut out = ExtraRows::default();
    for pid in migrated {
        for _ in 0..rng.usize(0..=2) {
            let id = out.conditions.len() as i64 + 1;
            let legacy = rng.i64(1..=LEGACY_CODES);
            let mapped = legacy <= MAPPED_CODES;
            let code = if !mapped {
                out.unmapped_conditions += 1;
                None
            } else if id % 97 == 0 {
                out.malformed_codes += 1;
                Some(if id % 2 == 0 { "E11,9" } else { "e11.9" }.to_string())
            } else {
                Some(icd_for(legacy).to_string())
            };
            out.conditions
                .push((id, *pid, code, format!("D{legacy:03}")));
        }
    }
    out.code_map = (1..=MAPPED_CODES)
        .map(|c| (format!("D{c:03}"), icd_for(c).to_string()))
        .collect();
    out.feed = (0..48)
        .map(|i| {
            let at = now - chrono::Duration::hours(72 + i);
            (i + 1, at.format("%Y-%m-%d %H:%M:%S").to_string())
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::integrity::npi_valid;

    #[test]
    fn npis_are_valid_except_the_planted_ones() {
        for id in 1..=40 {
            let n = npi(id, "1234567890");
            assert_eq!(npi_valid(&n), !npi_is_planted_invalid(id), "{id}: {n}");
        }
    }

    #[test]
    fn duplicates_copy_the_previous_person() {
        let prev = Person {
            given: Some("Ava".into()),
            family: "Okafor".into(),
            birth_date: Some("1980-02-01".into()),
        };
        let drawn = Person {
            given: Some("Kai".into()),
            family: "Sato".into(),
            birth_date: Some("1999-09-09".into()),
        };
        let p = plant_patient(250, drawn.clone(), Some(&prev));
        assert_eq!(p.family, " OKAFOR ");
        assert_eq!(p.given.as_deref(), Some("ava"));
        assert_eq!(p.birth_date.as_deref(), Some("1980-02-01"));
        assert_eq!(plant_patient(251, drawn, Some(&prev)).family, "Sato");
    }
}
