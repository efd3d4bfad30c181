//! The contact line: how the command center reaches the reporter, never a
//! second free-text field. It may hold the reporter's own name, e-mail
//! address, phone number or extension; anything the PHI guard reads as a
//! patient identifier (a record number, SSN, date of birth, long number)
//! refuses the field instead of being stored or redacted: a redacted contact
//! reaches no one, and the reporter can fix it while the form is open.
//! Names are not caught (the guard cannot tell staff from patients); the
//! field's hint says what belongs there.

use super::model::{Field, FieldError};
use super::phi::{Kind, PhiGuard};

/// Most words a contact line may hold ("Dr. Ana de la Cruz, ext 4411" is 7):
/// a sentence about a patient does not fit.
const MAX_CONTACT_WORDS: usize = 8;

/// Longest run of digits a contact line may hold: a phone number's groups
/// are at most 4 and an extension 6; a record number is longer. The API
/// document states the same rule as its pattern ([`CONTACT_PATTERN`]).
const MAX_DIGIT_RUN: usize = 6;

/// The contact line's rule on digits, as a JSON Schema pattern: runs of at
/// most six digits (`MAX_DIGIT_RUN`).
pub const CONTACT_PATTERN: &str = "^[^0-9]*([0-9]{1,6}[^0-9]+)*[0-9]{0,6}$";

/// Whether `s` holds more than `MAX_DIGIT_RUN` ASCII digits in a row.
fn long_digit_run(s: &str) -> bool {
    s.split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() > MAX_DIGIT_RUN)
}

/// Why a contact line is refused, or `None` when it only holds contact details.
pub fn contact_error(guard: &PhiGuard, contact: &str) -> Option<FieldError> {
    let patient_like = long_digit_run(contact)
        || guard
            .scan(contact)
            .iter()
            .any(|f| !matches!(f.kind, Kind::Email | Kind::Phone));
    let message = if patient_like {
        "Leave only your name, e-mail or extension here: this looks like patient information."
    } else if contact.split_whitespace().count() > MAX_CONTACT_WORDS {
        "Leave only your name, e-mail or extension here; describe the problem above."
    } else {
        return None;
    };
    Some(FieldError {
        field: Field::Contact,
        message: message.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(contact: &str) -> bool {
        contact_error(&PhiGuard::new(None), contact).is_some()
    }

    #[test]
    fn staff_contact_details_pass() {
        for ok in [
            "ext 4411",
            "Dr. Ana de la Cruz, ext 4411",
            "ana.cruz@hospital.example.org",
            "(555) 123-4567",
            "+1 555 123 4567 pager",
        ] {
            assert!(!refused(ok), "{ok}");
        }
    }

    #[test]
    fn patient_identifiers_and_sentences_are_refused() {
        for bad in [
            "MRN 1234567",
            "re pt 123-45-6789",
            "DOB 3/3/1950",
            "chart 20261125001",
            "a1234567",
            "ext 4411 the patient in bed 4 fell twice and now her notes are gone",
        ] {
            assert!(refused(bad), "{bad}");
        }
    }
}
