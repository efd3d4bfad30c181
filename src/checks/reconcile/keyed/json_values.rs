//! FHIR JSON values as the same canonical text the databases produce for a
//! column class (see [`super::normalize`] and docs/reconciliation.md), so a
//! FHIR side compares with a SQL side.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::normalize::{Class, FLOAT_DECIMALS};
use crate::config::ColumnRule;

/// The canonical text of a JSON value in `class`, then the text rules;
/// `None` for a missing or null value (SQL NULL).
pub fn canonical(v: Option<&Value>, class: Class, rules: &[ColumnRule]) -> Option<String> {
    let v = v.filter(|v| !v.is_null())?;
    let raw = match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        // Objects and arrays are compared as their JSON text.
        other => other.to_string(),
    };
    let mut out = match class {
        Class::Int | Class::Text => raw,
        Class::Char => raw.trim_end_matches(' ').to_string(),
        Class::Uuid => raw.to_lowercase(),
        Class::Bool => match raw.as_str() {
            "true" => "1".into(),
            "false" => "0".into(),
            n => match n.parse::<f64>() {
                Ok(x) if x != 0.0 => "1".into(),
                Ok(_) => "0".into(),
                Err(_) => n.to_string(),
            },
        },
        Class::Decimal(s) => round_text(&raw, s).unwrap_or(raw),
        Class::Float => round_text(&raw, FLOAT_DECIMALS).unwrap_or(raw),
        // FHIR dates may be partial (`1980`, `1980-05`): they stay as written
        // and so differ from any full date, as they should.
        Class::Date => match raw.get(..10) {
            Some(d) if raw.len() >= 10 => d.to_string(),
            _ => raw,
        },
        Class::Timestamp(p) => timestamp(&raw, p).unwrap_or(raw),
    };
    for rule in rules {
        match rule {
            ColumnRule::Trim => out = out.trim().to_string(),
            ColumnRule::Lower => out = out.to_lowercase(),
            _ => {}
        }
    }
    Some(out)
}

/// A FHIR `instant` or `dateTime` in UTC, `YYYY-MM-DD HH:MM:SS.ffffff`
/// cut to `p` fractional digits, as the databases render timestamps.
fn timestamp(raw: &str, p: u32) -> Option<String> {
    let utc = match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => t.with_timezone(&Utc).naive_utc(),
        // A dateTime without a zone: taken as UTC, like the sessions.
        Err(_) => NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f").ok()?,
    };
    let full = utc.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    let width = if p == 0 { 19 } else { 20 + p.min(6) as usize };
    Some(full[..width].to_string())
}

/// More integer digits than any database column holds (PostgreSQL's
/// `numeric` allows 131072, MySQL's `DECIMAL` 65): such a value is kept as
/// written rather than expanded.
const MAX_INTEGER_DIGITS: i64 = 131_072;

/// A decimal number's text rounded half away from zero to `scale`
/// decimals, printed with exactly that many (as `numeric` and `DECIMAL`
/// round). Exact on the digits: no binary floating point.
fn round_text(raw: &str, scale: u32) -> Option<String> {
    let number = Digits::parse(raw)?;
    let mut all = number.at_scale(scale)?;
    round_half_up(&mut all);
    Some(render(number.neg, &all, scale))
}

/// A decimal number's digits without leading zeros, and where its decimal
/// point sits once the exponent is applied.
struct Digits {
    neg: bool,
    all: Vec<u8>,
    point: i64,
}

impl Digits {
    /// `None` for anything but an optionally signed decimal, with an
    /// optional exponent (1e-7, as JSON numbers may be written).
    fn parse(raw: &str) -> Option<Digits> {
        let s = raw.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mantissa, exp) = match digits.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().ok()?),
            None => (digits, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        // Leading zeros are dropped first, so the exponent alone (remote
        // text, up to ±2^31) never decides how many zeros are written out.
        let all: Vec<u8> = int
            .bytes()
            .chain(frac.bytes())
            .map(|b| b - b'0')
            .skip_while(|d| *d == 0)
            .collect();
        let skipped = int.len() + frac.len() - all.len();
        let point = int.len() as i64 + i64::from(exp) - skipped as i64;
        Some(Digits { neg, all, point })
    }

    /// The integer digits, `scale` decimals and one more digit to round
    /// on; `None` when no column holds a number that large.
    fn at_scale(&self, scale: u32) -> Option<Vec<u8>> {
        let (mut all, mut point) = (self.all.clone(), self.point);
        if all.is_empty() || point < -i64::from(scale) - 1 {
            // Zero, or below half a unit of the last decimal: rounds to zero.
            all.clear();
            point = 0;
        }
        if point > MAX_INTEGER_DIGITS {
            // No column holds it: the text stays as written and so differs.
            return None;
        }
        if point < 0 {
            all.splice(0..0, std::iter::repeat_n(0, (-point) as usize));
            point = 0;
        }
        let want = point as usize + scale as usize;
        all.resize(all.len().max(want + 1), 0);
        all.truncate(want + 1);
        Some(all)
    }
}

/// Drops the last digit, rounding half up into the others (a carry out of
/// the first digit adds a leading 1).
fn round_half_up(all: &mut Vec<u8>) {
    let Some(last) = all.pop() else { return };
    if last < 5 {
        return;
    }
    for d in all.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    all.insert(0, 1);
}

/// `all` with `scale` decimals as text; no minus sign on zero.
fn render(neg: bool, all: &[u8], scale: u32) -> String {
    let text = |ds: &[u8]| -> String { ds.iter().map(|d| char::from(b'0' + d)).collect() };
    let int_len = all.len() - scale as usize;
    let int_part = text(&all[..int_len]);
    let int_part = match int_part.trim_start_matches('0') {
        "" => "0",
        trimmed => trimmed,
    };
    let zero = all.iter().all(|d| *d == 0);
    let sign = if neg && !zero { "-" } else { "" };
    if scale == 0 {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{}", text(&all[int_len..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(v: Value, class: Class) -> Option<String> {
        canonical(Some(&v), class, &[])
    }

    #[test]
    fn json_values_render_as_the_databases_do() {
        assert_eq!(c(json!(true), Class::Bool).as_deref(), Some("1"));
        assert_eq!(c(json!("false"), Class::Bool).as_deref(), Some("0"));
        assert_eq!(c(json!(12.5), Class::Decimal(2)).as_deref(), Some("12.50"));
        assert_eq!(c(json!(2.675), Class::Decimal(2)).as_deref(), Some("2.68"));
        assert_eq!(c(json!(-0.004), Class::Decimal(2)).as_deref(), Some("0.00"));
        assert_eq!(
            c(json!(99.995), Class::Decimal(2)).as_deref(),
            Some("100.00")
        );
        assert_eq!(c(json!(1e-7), Class::Float).as_deref(), Some("0.000000"));
        assert_eq!(c(json!(7), Class::Int).as_deref(), Some("7"));
        assert_eq!(
            c(json!("1980-05-02"), Class::Date).as_deref(),
            Some("1980-05-02")
        );
        assert_eq!(c(json!("1980-05"), Class::Date).as_deref(), Some("1980-05"));
        assert_eq!(
            c(
                json!("2024-05-01T12:00:00.123456+02:00"),
                Class::Timestamp(3)
            )
            .as_deref(),
            Some("2024-05-01 10:00:00.123")
        );
        assert_eq!(
            c(json!("2024-05-01T10:00:00Z"), Class::Timestamp(0)).as_deref(),
            Some("2024-05-01 10:00:00")
        );
        assert_eq!(
            c(json!("ABCDEF00-0000-4000-8000-000000000001"), Class::Uuid).as_deref(),
            Some("abcdef00-0000-4000-8000-000000000001")
        );
        assert_eq!(c(json!("MRN1  "), Class::Char).as_deref(), Some("MRN1"));
        assert_eq!(canonical(None, Class::Text, &[]), None);
        assert_eq!(canonical(Some(&Value::Null), Class::Text, &[]), None);
        assert_eq!(
            canonical(
                Some(&json!(" Ng ")),
                Class::Text,
                &[ColumnRule::Trim, ColumnRule::Lower]
            )
            .as_deref(),
            Some("ng")
        );
    }

    #[test]
    fn huge_exponents_are_not_written_out() {
        // Without the bound these allocate gigabytes of zeros.
        let huge = c(json!("1e2147483647"), Class::Decimal(2));
        assert_eq!(huge.as_deref(), Some("1e2147483647"));
        let tiny = c(json!("-1E-2147483648"), Class::Decimal(2));
        assert_eq!(tiny.as_deref(), Some("0.00"));
        assert_eq!(
            c(json!("0.005"), Class::Decimal(2)).as_deref(),
            Some("0.01")
        );
        assert_eq!(
            c(json!("00012.5e1"), Class::Decimal(0)).as_deref(),
            Some("125")
        );
        assert_eq!(
            c(json!("0.000e99"), Class::Decimal(1)).as_deref(),
            Some("0.0")
        );
        assert_eq!(c(json!("5e-3"), Class::Decimal(2)).as_deref(), Some("0.01"));
        assert_eq!(
            c(json!("4.9e-3"), Class::Decimal(2)).as_deref(),
            Some("0.00")
        );
    }
}
