//! Staff signals on the status page, per clinic: training reports and taps
//! on training issues this week against the week before, and fixed known
//! issues the clinic still works around. The words are the digest's
//! (`derive::staff`); counts, config names and redacted titles only.

use maud::{Markup, html};

use crate::derive::scorecard::Scorecard;

/// The section, or nothing when no clinic has a signal.
pub fn section(card: &Scorecard) -> Markup {
    let clinics: Vec<_> = card
        .clinics
        .iter()
        .filter(|c| !c.signals.is_empty())
        .collect();
    html! {
        @if !clinics.is_empty() {
            h3 { "Staff signals" }
            div class="fit" { table class="signals" {
                thead { tr { th { "clinic" } th { "training (last 7 days against the 7 before)" } th { "fixed, but staff still work around it" } } }
                tbody {
                    @for c in &clinics {
                        tr {
                            td class="name" { (c.clinic_name) }
                            td { @for t in &c.signals.training { div { (t.words(&c.clinic)) } } }
                            td class=(if c.signals.worked_around.is_empty() { "" } else { "fail" }) {
                                @for w in &c.signals.worked_around { div { (w.words(card.at_ms)) } }
                            }
                        }
                    }
                }
            } }
            p class="legend" { "Training: reports in the training category and “affects me too” taps on known issues marked as training, per role. Still worked around: taps or workaround reports from the clinic after the fix and its grace — usually a training gap." }
        }
    }
}
