//! The digest's known-issue lines per clinic: what is open and what staff
//! can do meanwhile, and what was fixed but is still worked around. Kept
//! apart from the clinic text so the per-clinic layout can change freely.
//! Titles and workarounds are stored redacted (the PHI guard ran on them).

use maud::{Markup, html};

use crate::store::{Store, StoreError};

/// One known issue as the digest lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownLine {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub workaround: String,
    pub reporters: i64,
    pub taps: i64,
}

/// Open issues affecting a clinic (investigating or with a workaround), oldest first.
pub async fn lines(store: &Store, clinic: &str) -> Result<Vec<KnownLine>, StoreError> {
    let mut rows = store.list_known(Some(clinic), true).await?;
    rows.reverse();
    Ok(rows
        .into_iter()
        .map(|r| KnownLine {
            id: r.id,
            title: r.title,
            status: r.status,
            workaround: r.workaround,
            reporters: r.reporters,
            taps: r.taps,
        })
        .collect())
}

fn words(status: &str) -> &str {
    match status {
        "workaround_available" => "workaround available",
        "investigating" => "being looked into",
        other => other,
    }
}

/// The plain-text block.
pub fn text(s: &mut String, known: &[KnownLine]) {
    if known.is_empty() {
        s.push_str("Known issues: none open.\n");
        return;
    }
    s.push_str(&format!("Known issues open: {}\n", known.len()));
    for k in known {
        s.push_str(&format!(
            "  #{} {} ({}; {} report(s), {} \"affects me too\")\n",
            k.id,
            k.title,
            words(&k.status),
            k.reporters,
            k.taps
        ));
        if !k.workaround.is_empty() {
            s.push_str(&format!(
                "    Meanwhile: {}\n",
                k.workaround.replace('\n', " ")
            ));
        }
    }
}

/// The HTML row (inside the clinic's figures table).
pub fn html(known: &[KnownLine], td: &str) -> Markup {
    html! {
        tr { td style={(td) "font-weight:bold;"} { "Known issues" } td style=(td) {
            @if known.is_empty() { "none open" } @else {
                @for k in known {
                    div style="margin-top:4px;" {
                        strong { (k.title) } " (" (words(&k.status)) "; " (k.reporters) " report(s), " (k.taps) " “affects me too”)"
                        @if !k.workaround.is_empty() { br; "Meanwhile: " (k.workaround) }
                    }
                }
            }
        } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_names_each_open_issue_and_what_to_do_meanwhile() {
        let k = KnownLine {
            id: 3,
            title: "Chart search takes a minute".into(),
            status: "workaround_available".into(),
            workaround: "Search by visit date.\nThen open the chart.".into(),
            reporters: 4,
            taps: 9,
        };
        let mut s = String::new();
        text(&mut s, std::slice::from_ref(&k));
        assert_eq!(
            s,
            "Known issues open: 1\n  #3 Chart search takes a minute (workaround available; 4 report(s), 9 \"affects me too\")\n    Meanwhile: Search by visit date. Then open the chart.\n"
        );
        let mut none = String::new();
        text(&mut none, &[]);
        assert_eq!(none, "Known issues: none open.\n");
        let h = html(&[k], "").into_string();
        assert!(
            h.contains("<strong>Chart search takes a minute</strong>"),
            "{h}"
        );
    }
}
