//! The digest's known-issue lines per clinic: what is open and what staff
//! can do meanwhile, and what was fixed but is still worked around. Kept
//! apart from the clinic text so the per-clinic layout can change freely.
//! Titles and workarounds are stored redacted (the PHI guard ran on them).

use maud::{Markup, html};

use crate::derive::scorecard::ClinicCard;
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

/// Training signals and fixed issues still worked around, in plain words
/// ("front desk at east: 6 training reports this week, up from 2").
pub fn signals_text(s: &mut String, card: &ClinicCard, at_ms: i64) {
    let sig = &card.signals;
    if sig.training.is_empty() {
        s.push_str("Training signals: none in the last two weeks.\n");
    } else {
        s.push_str("Training signals (last 7 days against the 7 before):\n");
    }
    for t in &sig.training {
        s.push_str(&format!("  {}\n", t.words(&card.clinic)));
    }
    if !sig.worked_around.is_empty() {
        s.push_str("Fixed, but staff still work around it:\n");
    }
    for w in &sig.worked_around {
        s.push_str(&format!("  {}\n", w.words(at_ms)));
    }
}

/// The HTML rows (inside the clinic's figures table).
pub fn signals_html(card: &ClinicCard, at_ms: i64, td: &str) -> Markup {
    let sig = &card.signals;
    html! {
        tr { td style={(td) "font-weight:bold;"} { "Training signals" } td style=(td) {
            @if sig.training.is_empty() { "none in the last two weeks" } @else {
                @for t in &sig.training { div { (t.words(&card.clinic)) } }
            }
        } }
        @if !sig.worked_around.is_empty() {
            tr { td style={(td) "font-weight:bold;"} { "Fixed, but still worked around" } td style={(td) "color:#a40e26;"} {
                @for w in &sig.worked_around { div { (w.words(at_ms)) } }
            } }
        }
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

    #[test]
    fn the_digest_says_training_signals_and_worked_around_issues_in_plain_words() {
        use crate::derive::scorecard::Figures;
        use crate::derive::staff::{StaffSignals, TrainingSignal, WorkedAround};
        let day = 86_400_000;
        let mut card = ClinicCard {
            clinic: "east".into(),
            clinic_name: "East".into(),
            wave: "wave2".into(),
            go_live: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            day: 3,
            criteria: vec![],
            exit_ready: false,
            triggers: vec![],
            figures: Figures::default(),
            signals: StaffSignals::default(),
        };
        let mut none = String::new();
        signals_text(&mut none, &card, 0);
        assert_eq!(none, "Training signals: none in the last two weeks.\n");
        card.signals = StaffSignals {
            training: vec![TrainingSignal {
                role: "front_desk".into(),
                reports: 6,
                reports_before: 2,
                taps: 0,
                taps_before: 0,
            }],
            worked_around: vec![WorkedAround {
                issue: 2,
                title: "Claims did not reach the clearinghouse".into(),
                fixed_ms: 0,
                signals: 1,
                last_ms: 9 * day,
            }],
        };
        let mut s = String::new();
        signals_text(&mut s, &card, 10 * day);
        assert_eq!(
            s,
            "Training signals (last 7 days against the 7 before):\n  front desk at east: 6 training reports this week, up from 2\nFixed, but staff still work around it:\n  #2 Claims did not reach the clearinghouse: fixed 10 days ago; 1 tap or workaround report since\n"
        );
        let h = signals_html(&card, 10 * day, "").into_string();
        assert!(
            h.contains("<div>front desk at east: 6 training reports this week, up from 2</div>"),
            "{h}"
        );
        assert!(h.contains("Fixed, but still worked around"), "{h}");
    }
}
