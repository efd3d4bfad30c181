//! The facts written once on the result types.

use super::*;

fn reconcile(json: serde_json::Value) -> Details {
    Details::Reconcile(serde_json::from_value(json).unwrap())
}

#[test]
fn discrepancies_are_read_from_each_kind_of_details() {
    let keyed = serde_json::json!({"missing": 2, "extra": 1, "changed": 4, "source_count": 9});
    assert_eq!(reconcile(keyed).discrepancies(), Some(7));
    let groups = serde_json::json!({"groups": {
        "a": {"source": 5, "target": 2, "difference": -3, "beyond_tolerance": true},
        "b": {"source": 1, "target": 3, "difference": 2, "beyond_tolerance": true}}});
    assert_eq!(reconcile(groups).discrepancies(), Some(5));
    let counts = serde_json::json!({"source_count": 10, "target_count": 7});
    assert_eq!(reconcile(counts).discrepancies(), Some(3));
    let mut rules = Vec::new();
    for problems in [Some(2), None, Some(5)] {
        let mut r = RuleResult::new("r", RuleKind::Duplicates, "0".into());
        r.problems = problems;
        rules.push(r);
    }
    let integrity = Details::Integrity(IntegrityDetails {
        rules,
        ..Default::default()
    });
    assert_eq!(integrity.discrepancies(), Some(7));
    assert_eq!(reconcile(serde_json::json!({})).discrepancies(), None);
    assert_eq!(Details::None {}.discrepancies(), None);
}

/// The one definition of a good run: a pass that did not miss its SLO.
/// A passing run with no SLO verdict is good (nothing it measured broke
/// the objective); anything but a pass is bad.
#[test]
fn a_run_is_bad_when_it_failed_or_missed_its_slo() {
    let slo = |good: Option<bool>| {
        Details::Workflow(WorkflowDetails {
            slo_good: good,
            ..Default::default()
        })
    };
    assert!(!Details::None {}.good_for_slo(Outcome::Fail));
    assert!(!slo(Some(true)).good_for_slo(Outcome::Error));
    assert!(!slo(Some(false)).good_for_slo(Outcome::Pass));
    assert!(slo(Some(true)).good_for_slo(Outcome::Pass));
    assert!(slo(None).good_for_slo(Outcome::Pass));
    assert!(Details::None {}.good_for_slo(Outcome::Pass));
    assert!(!Details::None {}.good_for_slo(Outcome::Skipped));
}

#[test]
fn enum_names_are_serdes_names() {
    for &o in Outcome::ALL {
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(json, format!("\"{}\"", o.as_str()));
        assert_eq!(
            o.as_str()
                .parse::<RunStatus>()
                .ok()
                .and_then(RunStatus::outcome),
            Some(o)
        );
    }
    for &r in Reason::ALL {
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            format!("\"{}\"", r.as_str())
        );
    }
    for &s in StepOutcome::ALL {
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
}
