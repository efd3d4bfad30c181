//! The PHI guard: finds likely patient identifiers in free text and redacts
//! them before anything is stored.
//!
//! Patterns, from the HIPAA Safe Harbor list and what staff actually type:
//! MRN-like numbers after words such as `MRN`, `record`, `chart` or
//! `account`; the site's own MRN format (`[feedback] mrn_pattern`); SSNs;
//! dates of birth (a date near `DOB`, `born`, `date of birth`); phone
//! numbers; e-mail addresses; and any other run of seven or more digits.
//! Names in prose are NOT caught by patterns: the form says so plainly.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::config::MrnPattern;

/// What kind of identifier a finding looks like; a closed set (metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Matches the site's configured MRN pattern.
    SiteMrn,
    /// A number after `MRN`, `record`, `chart`, `patient id`, `account`.
    Mrn,
    Ssn,
    DateOfBirth,
    Email,
    Phone,
    /// Seven or more digits in a row: any other identifying number.
    LongNumber,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::SiteMrn,
        Kind::Mrn,
        Kind::Ssn,
        Kind::DateOfBirth,
        Kind::Email,
        Kind::Phone,
        Kind::LongNumber,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SiteMrn => "site_mrn",
            Kind::Mrn => "mrn",
            Kind::Ssn => "ssn",
            Kind::DateOfBirth => "date_of_birth",
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::LongNumber => "long_number",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How the reporter reads it in the warning.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::SiteMrn | Kind::Mrn => "a medical record number",
            Kind::Ssn => "a Social Security number",
            Kind::DateOfBirth => "a date of birth",
            Kind::Email => "an e-mail address",
            Kind::Phone => "a phone number",
            Kind::LongNumber => "a long number that could identify a patient",
        }
    }

    /// What replaces it in the stored text.
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::SiteMrn | Kind::Mrn => "[MRN removed]",
            Kind::Ssn => "[SSN removed]",
            Kind::DateOfBirth => "[date of birth removed]",
            Kind::Email => "[e-mail removed]",
            Kind::Phone => "[phone number removed]",
            Kind::LongNumber => "[number removed]",
        }
    }
}

/// One likely identifier: its kind and byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    pub range: Range<usize>,
}

/// Text with every finding replaced, and the kinds that were removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub kinds: BTreeSet<Kind>,
}

const MONTH: &str = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?";

fn built_in() -> Vec<(Kind, Regex)> {
    let date = format!(
        r"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{MONTH},?\s+\d{{4}})"
    );
    let patterns = [
        (
            Kind::Mrn,
            r"(?i)\b(?:mrn|medical\s+record|record|chart|patient\s+(?:id|number)|pt\s*id|acct|account)(?:\s*(?:number|num|no\.?|id|#))?[\s:#=.-]{0,4}(?:is\s+)?\d{5,10}\b".to_string(),
        ),
        (Kind::Ssn, r"\b\d{3}[- ]\d{2}[- ]\d{4}\b".to_string()),
        (
            Kind::DateOfBirth,
            format!(
                r"(?i)\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?)[\s:.,=-]{{0,4}}(?:is\s+|on\s+)?{date}"
            ),
        ),
        (
            Kind::Email,
            r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b".to_string(),
        ),
        (
            Kind::Phone,
            r"(?:\+?\b1[\s.-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b|\+\d{1,3}(?:[\s.-]?\d{2,4}){2,5}\b".to_string(),
        ),
        (Kind::LongNumber, r"\b\d{7,}\b".to_string()),
    ];
    patterns
        .into_iter()
        .filter_map(|(kind, p)| match Regex::new(&p) {
            Ok(r) => Some((kind, r)),
            Err(e) => {
                // Static patterns: the unit tests catch a broken one.
                tracing::error!(kind = kind.as_str(), error = %e, "a built-in PHI pattern does not compile");
                None
            }
        })
        .collect()
}

static BUILT_IN: LazyLock<Vec<(Kind, Regex)>> = LazyLock::new(built_in);

/// Scans and redacts free text. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct PhiGuard {
    site: Option<Regex>,
}

/// The plain-language list of what was found, each kind of thing once.
pub fn describe_all<'a>(kinds: impl IntoIterator<Item = &'a Kind>) -> String {
    let mut said: Vec<&str> = Vec::new();
    for k in kinds {
        if !said.contains(&k.describe()) {
            said.push(k.describe());
        }
    }
    said.join(", ")
}

impl PhiGuard {
    pub fn new(site_mrn: Option<&MrnPattern>) -> PhiGuard {
        PhiGuard {
            site: site_mrn.map(|p| p.regex.clone()),
        }
    }

    /// Every likely identifier, overlapping ones merged, in text order.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut found: Vec<Finding> = Vec::new();
        let site = self.site.iter().map(|r| (Kind::SiteMrn, r));
        for (kind, re) in site.chain(BUILT_IN.iter().map(|(k, r)| (*k, r))) {
            for m in re.find_iter(text).filter(|m| !m.is_empty()) {
                found.push(Finding {
                    kind,
                    range: m.range(),
                });
            }
        }
        // Earliest first; at one start, the longer match, then the more specific kind.
        found.sort_by_key(|f| (f.range.start, std::cmp::Reverse(f.range.end), f.kind));
        let mut merged: Vec<Finding> = Vec::new();
        for f in found {
            match merged.last_mut() {
                Some(last) if f.range.start < last.range.end => {
                    last.range.end = last.range.end.max(f.range.end);
                }
                _ => merged.push(f),
            }
        }
        merged
    }

    /// Replaces every finding, again on the result while it still holds
    /// one: a placeholder can open a word boundary the raw text lacked
    /// (`…1950born March 3, 1950` shows its second date of birth only once
    /// the first is `[…]`, and a run of them one more per pass). Each pass
    /// replaces at least one finding with a placeholder no pattern matches,
    /// so passes are bounded by the findings, at most one per character.
    pub fn redact(&self, text: &str) -> Redacted {
        let mut out = Redacted {
            text: text.to_string(),
            kinds: BTreeSet::new(),
        };
        for _ in 0..=text.len() {
            let findings = self.scan(&out.text);
            if findings.is_empty() {
                break;
            }
            out.text = replace(&out.text, &findings, &mut out.kinds);
        }
        out
    }
}

fn replace(text: &str, findings: &[Finding], kinds: &mut BTreeSet<Kind>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in findings {
        out.push_str(&text[at..f.range.start]);
        out.push_str(f.kind.placeholder());
        kinds.insert(f.kind);
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> PhiGuard {
        let regex = Regex::new(r"\bE\d{6}\b").unwrap();
        PhiGuard::new(Some(&MrnPattern {
            text: regex.as_str().to_string(),
            regex,
        }))
    }

    fn kinds(text: &str) -> Vec<Kind> {
        guard().scan(text).into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn every_built_in_pattern_compiles() {
        assert_eq!(BUILT_IN.len(), 6);
    }

    #[test]
    fn mrn_after_a_keyword() {
        for t in [
            "could not find MRN 123456 in the new system",
            "mrn:12345678 missing",
            "Medical record number #5551234 shows twice",
            "chart no. 44821 has no notes",
            "patient id 998877 duplicated",
            "account # 123456 billing failed",
            "record 12345",
        ] {
            assert_eq!(kinds(t), vec![Kind::Mrn], "{t}");
        }
        assert!(kinds("record took 1234 clicks").is_empty());
    }

    #[test]
    fn the_sites_own_mrn_pattern() {
        assert_eq!(kinds("looked up E123456 twice"), vec![Kind::SiteMrn]);
        assert!(
            PhiGuard::new(None)
                .scan("looked up E123456 twice")
                .is_empty()
        );
    }

    #[test]
    fn social_security_numbers() {
        assert_eq!(kinds("SSN on file 123-45-6789 is wrong"), vec![Kind::Ssn]);
        assert_eq!(kinds("it shows 123 45 6789"), vec![Kind::Ssn]);
    }

    #[test]
    fn dates_of_birth_near_the_words() {
        for t in [
            "DOB 03/14/1962 wrong",
            "dob: 1962-03-14",
            "born on March 14, 1962",
            "date of birth is 14 Mar 1962",
            "D.O.B. 3-14-62",
        ] {
            assert_eq!(kinds(t), vec![Kind::DateOfBirth], "{t}");
        }
        // A date alone (a go-live date) is not a date of birth.
        assert!(kinds("since 11/25/2026 the queue is slow").is_empty());
    }

    #[test]
    fn phone_numbers() {
        for t in [
            "call her at (555) 123-4567",
            "pt phone 555-123-4567",
            "555.123.4567 on the chart",
            "+1 555 123 4567",
            "+44 20 7946 0958",
        ] {
            assert_eq!(kinds(t), vec![Kind::Phone], "{t}");
        }
    }

    #[test]
    fn email_addresses() {
        assert_eq!(
            kinds("sent to jane.doe+x@mail.example.org"),
            vec![Kind::Email]
        );
    }

    #[test]
    fn other_long_numbers() {
        assert_eq!(kinds("claim 20261125001 bounced"), vec![Kind::LongNumber]);
        assert!(kinds("took 45 minutes, 3 clicks, 2026 build").is_empty());
    }

    #[test]
    fn names_are_not_caught() {
        // The form tells reporters this; the test keeps the claim honest.
        assert!(kinds("Mrs Jane Okafor in room 4").is_empty());
    }

    #[test]
    fn redaction_replaces_each_finding_and_keeps_the_rest() {
        let r = guard().redact("MRN 123456, DOB 1/2/1960, call 555-123-4567 or a@b.org. Slow!");
        assert_eq!(
            r.text,
            "[MRN removed], [date of birth removed], call [phone number removed] or [e-mail removed]. Slow!"
        );
        assert_eq!(
            r.kinds.into_iter().collect::<Vec<_>>(),
            vec![Kind::Mrn, Kind::DateOfBirth, Kind::Email, Kind::Phone]
        );
    }

    #[test]
    fn redaction_leaves_nothing_a_second_scan_finds() {
        let r = guard().redact("born March 3, 1950born March 3, 1950");
        assert_eq!(r.text, "[date of birth removed][date of birth removed]");
        assert!(guard().scan(&r.text).is_empty());
        // Fuzz finding: each pass uncovers only the next one of a run.
        let run = guard().redact(&"born March 3, 1950".repeat(5));
        assert_eq!(run.text, "[date of birth removed]".repeat(5));
    }

    #[test]
    fn overlapping_findings_merge_into_one() {
        let r = guard().redact("chart 1234567890 gone");
        assert_eq!(r.text, "[MRN removed] gone");
        let none = guard().redact("notes take longer since Monday");
        assert_eq!(none.text, "notes take longer since Monday");
        assert!(none.kinds.is_empty());
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let r = guard().redact("Ünïcødé — MRN 123456 — ✓");
        assert_eq!(r.text, "Ünïcødé — [MRN removed] — ✓");
    }
}
