//! The `known_issues` criterion and the staff signals on the card: east
//! and south went live on 19 November, judged at noon on 20 November.

use std::time::Duration;

use chrono::NaiveDate;

use super::{Facts, State, scorecard};
use crate::config::stabilization::{Criterion, CriterionKind, StabilizationConfig, Wave};
use crate::config::{Clinic, Name};
use crate::derive::staff::StaffFacts;
use crate::store::{InvestigatingRow, LateRow, TrainingRow};

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

fn config(older_than: Duration) -> (StabilizationConfig, Vec<Clinic>) {
    let cfg = StabilizationConfig {
        waves: vec![Wave {
            name: n("wave2"),
            go_live: NaiveDate::from_ymd_opt(2026, 11, 19).unwrap(),
            clinics: vec![n("east"), n("south")],
            checks: vec![],
            baseline_days: 3,
        }],
        criteria: vec![Criterion {
            name: n("told_staff"),
            kind: CriterionKind::KnownIssues { older_than },
        }],
        ..StabilizationConfig::default()
    };
    (cfg, Vec::new())
}

fn issue(id: i64, clinics: &str, since_ms: i64) -> InvestigatingRow {
    InvestigatingRow {
        id,
        clinics: clinics.into(),
        since_ms,
    }
}

fn judged(facts: &Facts, older_than: Duration, clinic: &str) -> (State, Option<f64>, String) {
    let (cfg, clinics) = config(older_than);
    let s = scorecard(&cfg, &clinics, facts);
    let card = s.clinics.iter().find(|c| c.clinic == clinic).unwrap();
    let c = &card.criteria[0];
    (c.state, c.value, c.detail.clone())
}

#[test]
fn an_issue_looked_into_too_long_fails_only_the_clinics_it_affects() {
    let facts = Facts {
        now_ms: at(20, 12),
        investigating: vec![
            // Three days and one hour at east.
            issue(1, ",east,", at(17, 11)),
            // A day and a half at north and south.
            issue(2, ",north,south,", at(19, 0)),
            // Stored without clinics: every clinic's, two hours old.
            issue(3, ",", at(20, 10)),
            // Affects `eastern` only: not east's.
            issue(4, ",eastern,", at(1, 0)),
        ],
        ..Facts::default()
    };
    let two_days = Duration::from_secs(2 * 86_400);
    assert_eq!(
        judged(&facts, two_days, "east"),
        (
            State::NotMet,
            Some(1.0),
            "1 known issue(s) being looked into for longer than 2 day(s) (oldest #1, 3 day(s)); staff have no workaround".into()
        )
    );
    assert_eq!(
        judged(&facts, two_days, "south"),
        (
            State::Met,
            Some(0.0),
            "no known issue being looked into for longer than 2 day(s); 2 newer".into()
        )
    );
    // 36 hours: issue 2 (exactly 36 hours old) is not older than it; 35 hours: it is.
    let (state, value, _) = judged(&facts, Duration::from_secs(36 * 3_600), "south");
    assert_eq!((state, value), (State::Met, Some(0.0)));
    let (state, value, detail) = judged(&facts, Duration::from_secs(35 * 3_600), "south");
    assert_eq!((state, value), (State::NotMet, Some(1.0)));
    assert!(
        detail.contains("longer than 35 hour(s) (oldest #2, 1 day(s))"),
        "{detail}"
    );
}

#[test]
fn no_known_issue_is_met_from_go_live_and_unknown_before() {
    let facts = Facts {
        now_ms: at(18, 12),
        investigating: vec![issue(1, ",east,", at(1, 0))],
        ..Facts::default()
    };
    let (state, _, detail) = judged(&facts, Duration::from_secs(86_400), "east");
    assert_eq!(
        (state, detail.as_str()),
        (State::Unknown, "goes live on 2026-11-19")
    );
    let facts = Facts {
        now_ms: at(20, 12),
        ..Facts::default()
    };
    assert_eq!(
        judged(&facts, Duration::from_secs(86_400), "east"),
        (
            State::Met,
            Some(0.0),
            "no known issue being looked into".into()
        )
    );
}

#[test]
fn the_card_carries_each_clinics_own_staff_signals() {
    let training = |clinic: &str, this_week, reports| TrainingRow {
        clinic: Some(clinic.into()),
        role: "front_desk".into(),
        this_week,
        reports,
        taps: 0,
    };
    let facts = Facts {
        now_ms: at(20, 12),
        staff: StaffFacts {
            training: vec![training("east", 0, 2), training("east", 1, 6)],
            late: vec![LateRow {
                issue_id: 7,
                title: "Claims did not reach the clearinghouse".into(),
                clinic: "south".into(),
                fixed_ms: at(10, 12),
                signals: 3,
                last_ms: at(20, 11),
            }],
        },
        ..Facts::default()
    };
    let (cfg, clinics) = config(Duration::from_secs(86_400));
    let s = scorecard(&cfg, &clinics, &facts);
    let east = &s.clinics[0].signals;
    assert_eq!(
        east.training[0].words("east"),
        "front desk at east: 6 training reports this week, up from 2"
    );
    assert!(east.worked_around.is_empty());
    let south = &s.clinics[1].signals;
    assert!(south.training.is_empty());
    assert_eq!(
        south.worked_around[0].words(s.at_ms),
        "#7 Claims did not reach the clearinghouse: fixed 10 days ago; 3 taps or workaround reports since"
    );
}

#[test]
fn the_criterion_reads_older_than_from_the_config() {
    let c: Criterion =
        toml::from_str("name = \"told_staff\"\nkind = \"known_issues\"\nolder_than = \"36h\"")
            .unwrap();
    assert_eq!(
        c.kind,
        CriterionKind::KnownIssues {
            older_than: Duration::from_secs(36 * 3_600)
        }
    );
    let d: Criterion = toml::from_str("name = \"k\"\nkind = \"known_issues\"").unwrap();
    assert_eq!(
        d.kind,
        CriterionKind::KnownIssues {
            older_than: Duration::from_secs(86_400)
        }
    );
}
