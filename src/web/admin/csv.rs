//! CSV export of reports (RFC 4180), safe to open in a spreadsheet: every
//! field is quoted, and a field that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or carriage return) is prefixed
//! with `'` so it shows as text.

use crate::feedback::Item;

const HEADER: [&str; 13] = [
    "id",
    "created_at",
    "clinic",
    "role",
    "category",
    "severity",
    "workaround",
    "status",
    "status_changed_at",
    "text",
    "redacted",
    "contact",
    "source",
];

/// A byte-order mark first, so spreadsheets read the file as UTF-8.
pub fn render(items: &[Item]) -> String {
    let mut out = String::from("\u{feff}");
    line(&mut out, HEADER.iter().map(|h| h.to_string()));
    for i in items {
        line(
            &mut out,
            [
                i.id.to_string(),
                i.created_at.clone(),
                i.clinic.clone().unwrap_or_default(),
                i.role.clone(),
                i.category.clone(),
                i.severity.clone(),
                i.workaround.to_string(),
                i.status.clone(),
                i.status_changed_at.clone(),
                i.text.clone(),
                i.redacted.join(" "),
                i.contact.clone().unwrap_or_default(),
                i.source.clone(),
            ]
            .into_iter(),
        );
    }
    out
}

fn line(out: &mut String, fields: impl Iterator<Item = String>) {
    for (n, f) in fields.enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&cell(&f));
    }
    out.push_str("\r\n");
}

/// One quoted field, defused if a spreadsheet would evaluate it.
pub fn cell(value: &str) -> String {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let value = if risky {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quotes_doubled() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(cell("+1"), "\"'+1\"");
        assert_eq!(cell("-2+3"), "\"'-2+3\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("line\nbreak, comma"), "\"line\nbreak, comma\"");
        assert_eq!(cell("plain"), "\"plain\"");
    }
}
