//! HL7 v2 over MLLP steps: where the message goes, the message template, and
//! field references (`MSA-2`, `ERR-3.1`) read from the acknowledgement.
//!
//! No HL7 crate is kept well enough to depend on for this; reading a field
//! of an ACK is splitting on the separators MSH declares, done here.

use super::Template;

/// Codes an ACK may carry when `expect.ack` is not set: original and
/// enhanced-mode accept.
pub const DEFAULT_ACKS: [&str; 2] = ["AA", "CA"];

/// An HL7 v2 message sent over MLLP to an interface engine.
#[derive(Debug, Clone)]
pub struct MllpRequest {
    pub host: String,
    pub port: u16,
    /// `Some` for MLLP over TLS.
    pub tls: Option<MllpTls>,
    /// Segments joined by `\r`; values are HL7-escaped into it.
    pub message: Template,
}

/// TLS to the engine: the Mozilla roots, plus the CA file's certificates.
#[derive(Debug, Clone, Default)]
pub struct MllpTls {
    /// PEM, read and checked at load.
    pub ca_pem: Option<Vec<u8>>,
}

/// `SEG-F[.C[.S]]`: field F of the first segment SEG, its first repetition,
/// optionally one component and subcomponent (all counted from 1, as HL7 does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hl7Field {
    pub segment: String,
    pub field: usize,
    pub component: Option<usize>,
    pub sub: Option<usize>,
}

impl Hl7Field {
    pub fn parse(s: &str) -> Result<Hl7Field, String> {
        let bad = || {
            format!(
                "`{s}` is not an HL7 field: write SEGMENT-FIELD such as MSA-2, ERR-3 or ERR-3.1"
            )
        };
        let (seg, rest) = s.trim().split_once('-').ok_or_else(bad)?;
        let seg_ok = seg.len() == 3
            && seg
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && seg.starts_with(|c: char| c.is_ascii_uppercase());
        let mut nums = rest
            .split('.')
            .map(|n| n.parse::<usize>().ok().filter(|&n| n > 0));
        let field = nums.next().flatten();
        let component = nums.next().map(|c| c.ok_or_else(bad)).transpose()?;
        let sub = nums.next().map(|c| c.ok_or_else(bad)).transpose()?;
        match (seg_ok, field, nums.next()) {
            (true, Some(field), None) => Ok(Hl7Field {
                segment: seg.to_string(),
                field,
                component,
                sub,
            }),
            _ => Err(bad()),
        }
    }

    /// The value in `message` (segments split on `\r` or `\n`), unescaped;
    /// `None` when the segment or field is absent or empty.
    pub fn find(&self, message: &str) -> Option<String> {
        let msh = message.split(['\r', '\n']).find(|l| l.starts_with("MSH"))?;
        let seps = Separators::of(msh)?;
        let seg = message.split(['\r', '\n']).find(|l| {
            l.get(..3) == Some(self.segment.as_str()) && l[3..].starts_with(seps.field)
        })?;
        // MSH-1 is the field separator itself, so MSH-n is the n-1th split;
        // MSH-1 and MSH-2 are the separators, read as written.
        let field = match (self.segment == "MSH", self.field) {
            (true, 1) => return Some(seps.field.to_string()),
            (true, 2) => return seg.split(seps.field).nth(1).map(str::to_string),
            (true, n) => seg.split(seps.field).nth(n - 1),
            (false, n) => seg.split(seps.field).nth(n),
        }?;
        let rep = field.split(seps.repetition).next().unwrap_or("");
        let comp = match self.component {
            Some(c) => rep.split(seps.component).nth(c - 1)?,
            None => rep,
        };
        let sub = match self.sub {
            Some(s) => comp.split(seps.sub).nth(s - 1)?,
            None => comp,
        };
        (!sub.is_empty()).then(|| seps.unescape(sub))
    }
}

impl std::fmt::Display for Hl7Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.segment, self.field)?;
        if let Some(c) = self.component {
            write!(f, ".{c}")?;
        }
        if let Some(s) = self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

/// The five separators MSH-1 and MSH-2 declare.
struct Separators {
    field: char,
    component: char,
    repetition: char,
    escape: char,
    sub: char,
}

impl Separators {
    fn of(msh: &str) -> Option<Separators> {
        let mut c = msh.chars().skip(3);
        Some(Separators {
            field: c.next()?,
            component: c.next()?,
            repetition: c.next()?,
            escape: c.next()?,
            sub: c.next()?,
        })
    }

    /// Undoes `\F\ \S\ \T\ \R\ \E\`; other escapes are kept as written.
    fn unescape(&self, s: &str) -> String {
        let e = self.escape;
        let mut out = String::with_capacity(s.len());
        let mut parts = s.split(e);
        out.push_str(parts.next().unwrap_or(""));
        let rest: Vec<&str> = parts.collect();
        let mut i = 0;
        while i < rest.len() {
            let code = rest[i];
            let mapped = match code {
                "F" => Some(self.field),
                "S" => Some(self.component),
                "T" => Some(self.sub),
                "R" => Some(self.repetition),
                "E" => Some(e),
                _ => None,
            };
            match (mapped, rest.get(i + 1)) {
                (Some(ch), Some(after)) => {
                    out.push(ch);
                    out.push_str(after);
                    i += 2;
                }
                _ => {
                    out.push(e);
                    out.push_str(code);
                    i += 1;
                }
            }
        }
        out
    }
}

/// A variable's value made safe for a field with the standard separators:
/// it cannot open a new field, component or segment.
pub fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for ch in v.chars() {
        match ch {
            '\\' => out.push_str("\\E\\"),
            '|' => out.push_str("\\F\\"),
            '^' => out.push_str("\\S\\"),
            '&' => out.push_str("\\T\\"),
            '~' => out.push_str("\\R\\"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The template as written in TOML (one segment a line, `\r` also allowed)
/// with segments joined by `\r`, blank lines and surrounding spaces dropped.
pub fn segments(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\r")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACK: &str = "MSH|^~\\&|ENGINE|HOSP|HYPERCARE|PROBE|20261206||ACK^A08^ACK|E77|P|2.5\rMSA|AE|HC12|bad\\F\\field\rERR||PID^1^3|103^Table value not found^HL70357|E";

    #[test]
    fn fields_are_read_from_an_ack() {
        let get = |s: &str| Hl7Field::parse(s).unwrap().find(ACK);
        assert_eq!(get("MSA-1").as_deref(), Some("AE"));
        assert_eq!(get("MSA-2").as_deref(), Some("HC12"));
        assert_eq!(get("MSA-3").as_deref(), Some("bad|field"));
        assert_eq!(get("MSH-1").as_deref(), Some("|"));
        assert_eq!(get("MSH-2").as_deref(), Some("^~\\&"));
        assert_eq!(get("MSH-9.2").as_deref(), Some("A08"));
        assert_eq!(get("MSH-10").as_deref(), Some("E77"));
        assert_eq!(
            get("ERR-3").as_deref(),
            Some("103^Table value not found^HL70357")
        );
        assert_eq!(get("ERR-3.1").as_deref(), Some("103"));
        assert_eq!(get("ERR-2.3").as_deref(), Some("3"));
        assert_eq!(get("ERR-1"), None);
        assert_eq!(get("MSA-9"), None);
        assert_eq!(get("PID-3"), None);
        assert_eq!(Hl7Field::parse("ERR-3.1").unwrap().to_string(), "ERR-3.1");
    }

    #[test]
    fn bad_references_are_refused() {
        for bad in [
            "",
            "MSA",
            "MSA-",
            "MSA-0",
            "msa-1",
            "MS-1",
            "MSA-1.x",
            "MSA-1.2.3.4",
            "1SA-1",
        ] {
            assert!(Hl7Field::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_cannot_break_out_of_their_field() {
        assert_eq!(
            escape("a|b^c&d~e\\f\rg"),
            "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f g"
        );
        assert_eq!(segments("  MSH|^~\\&|A\n\nPID|1\r\n"), "MSH|^~\\&|A\rPID|1");
    }
}
