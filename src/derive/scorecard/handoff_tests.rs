//! The `handoffs` criterion and the `handoff_stuck` trigger on a hand-built
//! history: south and east went live on 10 November; judged at noon on
//! 20 November; `visits_billed` attributes its events to clinics.

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::json;

use super::{Facts, State, scorecard};
use crate::config::checks::CheckKind;
use crate::config::stabilization::{
    Criterion, CriterionKind, RollbackTrigger, StabilizationConfig, TriggerKind, Wave,
};
use crate::config::{Clinic, Name};
use crate::results::Details;
use crate::store::StoredRun;

fn n(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn at(day: u32, hour: u32) -> i64 {
    NaiveDate::from_ymd_opt(2026, 11, day)
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn run(check: &str, ms: i64, details: serde_json::Value) -> StoredRun {
    StoredRun {
        id: 0,
        check_name: check.into(),
        kind: CheckKind::Handoff,
        slot_ms: ms,
        status: crate::results::RunStatus::Pass,
        owner: "test".into(),
        attempt: 1,
        started_ms: ms,
        finished_ms: Some(ms),
        lease_expires_ms: None,
        duration_ms: Some(0),
        summary: String::new(),
        details: Details::Handoff(serde_json::from_value(details).unwrap()),
    }
}

/// A run of `visits_billed`: (events, stuck) at south and at east.
fn billed(south: (u64, u64), east: (u64, u64)) -> serde_json::Value {
    let slice = |(events, stuck): (u64, u64)| json!({"events": events, "completed": events - stuck, "stuck": stuck});
    json!({
        "events": south.0 + east.0, "completed": south.0 + east.0 - south.1 - east.1,
        "stuck": south.1 + east.1, "unexpected": 4, "stuck_keys": ["K4711"],
        "by_clinic": {"south": slice(south), "east": slice(east)}
    })
}

fn config(days: u32) -> (StabilizationConfig, Vec<Clinic>) {
    let cfg = StabilizationConfig {
        waves: vec![Wave {
            name: n("wave1"),
            go_live: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            clinics: vec![n("south"), n("east")],
            checks: Vec::new(),
            baseline_days: 3,
        }],
        criteria: vec![Criterion {
            name: n("claims_flow"),
            kind: CriterionKind::Handoffs { days, max_stuck: 2 },
        }],
        rollback: vec![RollbackTrigger {
            name: n("claims_stuck"),
            kind: TriggerKind::HandoffStuck { above: 0.02 },
            within: Duration::from_secs(30 * 86_400),
        }],
        ..Default::default()
    };
    let clinic = |id: &str| Clinic {
        id: n(id),
        name: id.to_uppercase(),
        codes: Vec::new(),
    };
    (cfg, vec![clinic("south"), clinic("east")])
}

/// Days 17 to 20: south never more than 2 stuck; east 12 stuck on the
/// 19th (one run), then 9 of 300 in the latest run; an errored run on the
/// 18th that judged nothing.
fn history() -> Facts {
    let mut runs = Vec::new();
    for day in 17..=20 {
        runs.push(run("visits_billed", at(day, 1), billed((600, 2), (300, 0))));
    }
    runs.push(run("visits_billed", at(19, 7), billed((600, 1), (300, 12))));
    runs.push(run("visits_billed", at(20, 7), billed((600, 0), (300, 9))));
    runs.push(run(
        "visits_billed",
        at(18, 9),
        json!({"error": "billing: connection refused", "stuck": 99}),
    ));
    runs.sort_by_key(|r| r.finished_ms);
    Facts {
        now_ms: at(20, 12),
        runs,
        checks: vec![("visits_billed".into(), CheckKind::Handoff)],
        ..Default::default()
    }
}

#[test]
fn stuck_items_are_judged_per_clinic_day_by_day() {
    let (cfg, clinics) = config(3);
    let s = scorecard(&cfg, &clinics, &history());
    let card = |id: &str| s.clinics.iter().find(|c| c.clinic == id).unwrap();
    let south = &card("south").criteria[0];
    assert_eq!(south.state, State::Met);
    assert_eq!(south.value, Some(3.0));
    assert_eq!(
        south.detail,
        "3 days in a row with at most 2 stuck handoff item(s)"
    );
    let east = &card("east").criteria[0];
    // The 20th's worst run had 9 stuck: not a good day either.
    assert_eq!(east.state, State::NotMet);
    assert_eq!(east.value, Some(0.0));
    assert_eq!(
        east.detail,
        "9 handoff item(s) stuck on 2026-11-20 (visits_billed), at most 2 allowed; \
         0 good day(s) since, 3 needed"
    );
    assert_eq!(s.overall[0].state, State::NotMet);
}

#[test]
fn days_without_a_handoff_run_are_unknown() {
    let (cfg, clinics) = config(5);
    let mut facts = history();
    // Only the runs of the 17th and 18th.
    facts.runs.retain(|r| r.finished_ms < Some(at(19, 0)));
    facts.now_ms = at(18, 12);
    let s = scorecard(&cfg, &clinics, &facts);
    let south = &s.clinics[0].criteria[0];
    assert_eq!(s.clinics[0].clinic, "south");
    assert_eq!(south.state, State::Unknown);
    assert_eq!(south.value, Some(2.0));
    assert_eq!(
        south.detail,
        "2 of 5 days with at most 2 stuck handoff item(s); 3 day(s) without a handoff check"
    );
}

#[test]
fn the_trigger_reads_the_latest_run_of_the_clinics_slice() {
    let (cfg, clinics) = config(3);
    let s = scorecard(&cfg, &clinics, &history());
    let trig = |id: &str| &s.clinics.iter().find(|c| c.clinic == id).unwrap().triggers[0];
    assert!(trig("east").breached);
    assert_eq!(trig("east").value, Some(0.03));
    assert_eq!(
        trig("east").evidence,
        "check visits_billed: 9 of 300 events stuck past the deadline (3.0 %); trigger above 2.0 %"
    );
    assert!(!trig("south").breached);
    assert_eq!(trig("south").value, Some(0.0));
}

#[test]
fn a_shared_check_judges_every_clinic_on_the_whole_run() {
    let (cfg, clinics) = config(1);
    let mut facts = history();
    facts.runs = vec![run(
        "visits_billed",
        at(20, 7),
        json!({"events": 1000, "completed": 950, "stuck": 50}),
    )];
    let s = scorecard(&cfg, &clinics, &facts);
    for c in &s.clinics {
        assert!(c.triggers[0].breached, "{}", c.clinic);
        assert_eq!(
            c.triggers[0].evidence,
            "check visits_billed: 50 of 1000 events stuck past the deadline (5.0 %) \
             (shared by all clinics of wave1); trigger above 2.0 %"
        );
        assert_eq!(c.criteria[0].state, State::NotMet);
    }
}

#[test]
fn each_clinic_gets_its_handoff_line_in_plain_words() {
    let (cfg, clinics) = config(3);
    let mut facts = history();
    let words = ("visits".to_string(), "claim".to_string());
    facts.handoff_words.insert("visits_billed".into(), words);
    if let Some(Details::Handoff(d)) = facts.runs.last_mut().map(|r| &mut r.details) {
        d.within_seconds = 172_800;
        let east = d.by_clinic.get_mut("east").unwrap();
        (east.late, east.pending, east.completed) = (3, 40, 248);
    }
    let s = scorecard(&cfg, &clinics, &facts);
    let line = |id: &str| -> Vec<String> {
        let card = s.clinics.iter().find(|c| c.clinic == id).unwrap();
        card.figures.handoffs.iter().map(|h| h.line()).collect()
    };
    assert_eq!(
        line("east"),
        [
            "9 visits have no claim after 48 h; 3 got their claim late; \
          40 are still within 48 h (visits_billed, 300 visits judged)"
        ]
    );
    assert_eq!(
        line("south"),
        ["no visits without a claim after 48 h (visits_billed, 600 visits judged)"]
    );
    let text = serde_json::to_string(&s).unwrap();
    assert!(!text.contains("K4711"), "no keys in figures: {text}");
}
