//! A few staff reports for the demo, so the triage pages have something to
//! show: spread over the last days, some acknowledged or resolved, one with
//! an MRN the guard removed. Inserted only into a store that has none.

use anyhow::Context;
use chrono::Utc;

use crate::config::Config;
use crate::feedback::PhiGuard;
use crate::store::{NewFeedbackRow, StatusChange, Store};

/// (hours ago, clinic, role, category, severity, workaround, text, then status)
type Seed = (
    i64,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
    &'static str,
);

const SEEDS: &[Seed] = &[
    (
        70,
        "east",
        "front_desk",
        "cannot_find_records",
        "blocks_work",
        true,
        "Several patients from the old system do not come up by name or MRN 10000007. Had to look them up in the legacy read-only screen.",
        "resolved",
    ),
    (
        52,
        "south",
        "physician",
        "notes_slow",
        "slows_work",
        false,
        "Progress notes take twice as long: the template asks for the visit reason three times.",
        "acknowledged",
    ),
    (
        47,
        "east",
        "nurse",
        "wrong_data",
        "blocks_work",
        true,
        "Encounters from 2019 are missing in the history tab for some patients.",
        "acknowledged",
    ),
    (
        30,
        "north",
        "billing",
        "billing_handoff",
        "blocks_work",
        true,
        "Claims for yesterday's visits did not reach the clearinghouse. Re-entered them by hand.",
        "new",
    ),
    (
        20,
        "pediatrics",
        "nurse",
        "integration",
        "slows_work",
        false,
        "Lab results from the reference lab arrive but are not attached to the order.",
        "new",
    ),
    (
        9,
        "west",
        "front_desk",
        "scheduling_slow",
        "annoyance",
        false,
        "Recurring appointments show as separate visits; rescheduling one asks about each.",
        "new",
    ),
    (
        3,
        "east",
        "physician",
        "document_problem",
        "slows_work",
        true,
        "Scanned referral letters open as blank pages. Asked the patient to bring paper copies.",
        "new",
    ),
    // East's front desk asks more training questions this week (3) than
    // the week before (1): the status page and digest show it.
    (
        200,
        "east",
        "front_desk",
        "training",
        "annoyance",
        false,
        "Unsure which screen replaced the old insurance eligibility tab.",
        "resolved",
    ),
    (
        50,
        "east",
        "front_desk",
        "training",
        "slows_work",
        false,
        "How do we merge a double-booked appointment in the new scheduler?",
        "acknowledged",
    ),
    (
        26,
        "east",
        "front_desk",
        "training",
        "annoyance",
        false,
        "The check-in screen asks for a visit reason code we never used before.",
        "new",
    ),
    (
        5,
        "east",
        "front_desk",
        "training",
        "slows_work",
        true,
        "Not sure where scanned referral letters go now; kept them on paper.",
        "new",
    ),
    (
        1,
        "north",
        "nurse",
        "training",
        "annoyance",
        false,
        "Not sure where to record the interpreter needed flag now.",
        "new",
    ),
];

/// Adds the demo reports unless the store already holds any.
pub async fn seed(config: &Config) -> anyhow::Result<()> {
    let store = Store::open(&config.store)
        .await
        .context("cannot open the demo store")?;
    let result = insert(&store, config).await;
    store.close().await;
    result
}

async fn insert(store: &Store, config: &Config) -> anyhow::Result<()> {
    if store.count_feedback().await? > 0 {
        return Ok(());
    }
    let guard = PhiGuard::new(config.feedback.mrn_pattern.as_ref());
    let now = Utc::now().timestamp_millis();
    for (n, (hours, clinic, role, category, severity, workaround, text, status)) in
        SEEDS.iter().enumerate()
    {
        let created_ms = now - hours * 3_600_000;
        let redacted = guard.redact(text);
        let kinds: Vec<&str> = redacted.kinds.iter().map(|k| k.as_str()).collect();
        let submission_id = format!("demo-seed-{n:04}");
        let row = NewFeedbackRow {
            submission_id: &submission_id,
            created_ms,
            clinic: Some(clinic),
            role,
            category,
            severity,
            workaround: *workaround,
            text: &redacted.text,
            redactions: &kinds.join(","),
            contact: None,
            source: "form",
            actor: "reporter",
        };
        let id = store.insert_feedback(&row).await?.id();
        if *status == "new" {
            continue;
        }
        let ack = StatusChange {
            id,
            from: "new",
            to: "acknowledged",
            at_ms: created_ms + 1_800_000,
            actor: "command-center",
            note: "Looking into it with the vendor.",
        };
        store.change_feedback_status(&ack).await?;
        if *status == "resolved" {
            let done = StatusChange {
                id,
                from: "acknowledged",
                to: "resolved",
                at_ms: created_ms + 20 * 3_600_000,
                actor: "command-center",
                note: "Re-ran the patient index import; names and MRNs search again.",
            };
            store.change_feedback_status(&done).await?;
        }
    }
    Ok(())
}
