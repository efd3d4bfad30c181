//! Code checks: the shapes the database tests with a regular expression,
//! and the check digits it cannot (Luhn for NPIs, mod 10 for LOINC), which
//! hypercare computes on each streamed value.

/// ICD-10-CM: a letter, a digit, a digit or letter, then optionally up to
/// four more letters or digits, with or without the dot (`E11.9`, `S72001A`).
/// Letters are upper case.
pub const ICD10CM: &str = "^[A-Z][0-9][0-9A-Z](\\.?[0-9A-Z]{1,4})?$";
/// US ZIP code or ZIP+4.
pub const ZIP: &str = "^[0-9]{5}(-[0-9]{4})?$";
/// US (NANP) phone number: optional `+1`/`1`, area code and exchange not
/// starting with 0 or 1, separators space, dot or dash, optional parentheses
/// around the area code: `(617) 555-0142`, `617.555.0142`, `+1 617 555 0142`.
pub const PHONE: &str =
    "^(\\+?1[ .-]?)?(\\([2-9][0-9]{2}\\)|[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-]?[0-9]{4}$";
/// An ISO date at the start of the value (a timestamp after it is allowed).
pub const ISO_DATE: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}";

/// The Luhn sum of `digits` as if a check digit followed them.
fn luhn_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 0 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn digits(s: &str) -> Option<Vec<u8>> {
    s.bytes()
        .map(|b| b.is_ascii_digit().then(|| b - b'0'))
        .collect()
}

/// The check digit that completes the first nine digits of an NPI.
pub fn npi_check_digit(first_nine: &str) -> Option<u8> {
    let d = digits(first_nine).filter(|d| d.len() == 9)?;
    let mut body = vec![8, 0, 8, 4, 0];
    body.extend_from_slice(&d);
    Some(luhn_check_digit(&body))
}

/// A National Provider Identifier: ten digits whose last is the Luhn check
/// digit of the first nine prefixed with 80840 (the US health card issuer).
pub fn npi_valid(s: &str) -> bool {
    let Some(d) = digits(s).filter(|d| d.len() == 10) else {
        return false;
    };
    let mut body = vec![8, 0, 8, 4, 0];
    body.extend_from_slice(&d[..9]);
    luhn_check_digit(&body) == d[9]
}

/// A LOINC code: 1 to 7 digits, a dash and the mod-10 check digit of those
/// digits (`2160-0`, `718-7`).
pub fn loinc_valid(s: &str) -> bool {
    let Some((body, check)) = s.split_once('-') else {
        return false;
    };
    match (digits(body), digits(check)) {
        (Some(b), Some(c)) if (1..=7).contains(&b.len()) && c.len() == 1 => {
            luhn_check_digit(&b) == c[0]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npi_luhn_with_the_80840_prefix() {
        // CMS's worked example, and NPIs of real registry entries' shape.
        for ok in ["1234567893", "1245319599", "1003000126", "1679576722"] {
            assert!(npi_valid(ok), "{ok} is valid");
        }
        for bad in [
            "1234567890", // wrong check digit
            "1234567894",
            "123456789",   // nine digits
            "12345678933", // eleven
            "12345-7893",
            "",
            "１２３４５６７８９３", // full-width digits
        ] {
            assert!(!npi_valid(bad), "{bad:?} is invalid");
        }
    }

    #[test]
    fn loinc_mod10_check_digit() {
        for ok in [
            "2160-0", "718-7", "4548-4", "2345-7", "2093-3", "12345-5", "1-8",
        ] {
            assert!(loinc_valid(ok), "{ok} is valid");
        }
        for bad in [
            "2160-1",
            "718-8",
            "2160",
            "2160-",
            "-0",
            "2160-00",
            "2160–0",
            "12345678-0",
            "LP1234-5",
            "",
        ] {
            assert!(!loinc_valid(bad), "{bad:?} is invalid");
        }
    }

    #[test]
    fn icd10cm_shapes() {
        let re = regex::Regex::new(ICD10CM).unwrap();
        for ok in [
            "E11.9", "I10", "J45.909", "S72.001A", "Z00.00", "E119", "U07.1", "M1A.0110",
        ] {
            assert!(re.is_match(ok), "{ok} has the shape");
        }
        for bad in [
            "e11.9",
            "E11,9",
            "1234",
            "E1",
            "E11.",
            "E11.12345",
            "EE1.1",
            " E11.9",
            "E11.9 ",
        ] {
            assert!(!re.is_match(bad), "{bad:?} has not");
        }
    }

    #[test]
    fn zip_and_phone_shapes() {
        let zip = regex::Regex::new(ZIP).unwrap();
        for (v, ok) in [
            ("02139", true),
            ("02139-4307", true),
            ("2139", false),
            ("ABCDE", false),
            ("02139-43", false),
        ] {
            assert_eq!(zip.is_match(v), ok, "{v}");
        }
        let phone = regex::Regex::new(PHONE).unwrap();
        for ok in [
            "(617) 555-0142",
            "617-555-0142",
            "617.555.0142",
            "6175550142",
            "+1 617 555 0142",
            "1-617-555-0142",
        ] {
            assert!(phone.is_match(ok), "{ok}");
        }
        for bad in [
            "555-0142",
            "(017) 555-0142",
            "617-155-0142",
            "n/a",
            "12345678901234",
            "617-555-01423",
        ] {
            assert!(!phone.is_match(bad), "{bad}");
        }
    }
}
