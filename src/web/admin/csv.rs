//! CSV export of reports (RFC 4180), safe to open in a spreadsheet: every
//! field is quoted, and a field that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or carriage return) is prefixed
//! with `'` so it shows as text.

use std::sync::Arc;

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};

use crate::feedback::{Feedback, Item};
use crate::store::FeedbackFilter;

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

/// The export as a stream of chunks, one page of reports each: memory holds
/// one page however many reports match. `first` is the first page, read
/// before the response starts so a store that is down still gets a 503;
/// a later page the store fails to give ends the download early (the
/// client sees a truncated transfer, never a short file that looks whole).
pub fn stream(
    feedback: Arc<Feedback>,
    filter: FeedbackFilter,
    first: Vec<Item>,
    max: usize,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let pages = Pages {
        feedback,
        filter,
        sent: 0,
        max,
        next: Some(first),
        done: false,
    };
    let body = futures_util::stream::unfold(pages, |mut p| async move {
        if p.done {
            return None;
        }
        let page = match p.next.take() {
            Some(page) => page,
            None => match p.feedback.list(&p.filter).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(error = %e, "CSV export cut short: the store failed");
                    p.done = true;
                    return Some((Err(std::io::Error::other("store failed")), p));
                }
            },
        };
        p.sent += page.len();
        p.done = (page.len() as i64) < p.filter.limit || p.sent >= p.max;
        p.filter.before = page.last().map(|i| i.id);
        Some((Ok(Bytes::from(lines(&page))), p))
    });
    futures_util::stream::once(async { Ok(Bytes::from(header())) }).chain(body)
}

struct Pages {
    feedback: Arc<Feedback>,
    filter: FeedbackFilter,
    sent: usize,
    max: usize,
    next: Option<Vec<Item>>,
    done: bool,
}

/// A byte-order mark first, so spreadsheets read the file as UTF-8.
fn header() -> String {
    let mut out = String::from("\u{feff}");
    line(&mut out, HEADER.iter().map(|h| h.to_string()));
    out
}

/// One line per report.
pub fn lines(items: &[Item]) -> String {
    let mut out = String::new();
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
