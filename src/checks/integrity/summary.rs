//! The verdict of an integrity check and its one-line summary: rule names
//! and counts only, never a key or a value.

use crate::results::{CheckResult, Details, IntegrityDetails, Outcome, RuleKind, RuleResult};

/// How many rules the summary names before "and N more".
const NAMED: usize = 5;

/// Error if a rule could not run, else fail if one is beyond its threshold.
/// `errors` holds (rule name, failure class) for the rules that errored.
pub fn verdict(details: IntegrityDetails, errors: &[(String, &'static str)]) -> CheckResult {
    let total = details.rules.len();
    let failing: Vec<&RuleResult> = details
        .rules
        .iter()
        .filter(|r| r.status == Outcome::Fail)
        .collect();
    let mut parts = Vec::new();
    if !errors.is_empty() {
        let named: Vec<String> = errors
            .iter()
            .map(|(name, class)| format!("{name} ({class})"))
            .collect();
        parts.push(format!(
            "{} of {total} rules could not run: {}",
            errors.len(),
            listed(named)
        ));
    }
    if !failing.is_empty() {
        let named: Vec<String> = failing.iter().map(|r| describe(r)).collect();
        parts.push(format!(
            "{} of {total} rules beyond threshold: {}",
            failing.len(),
            listed(named)
        ));
    }
    let outcome = if !errors.is_empty() {
        Outcome::Error
    } else if !failing.is_empty() {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    let summary = if parts.is_empty() {
        let problems: i64 = details
            .rules
            .iter()
            .filter(|r| r.kind != RuleKind::Freshness)
            .filter_map(|r| r.problems)
            .sum();
        match problems {
            0 => format!("all {total} rules pass with no problems"),
            n => format!("all {total} rules pass ({n} problems within thresholds)"),
        }
    } else {
        parts.join("; ")
    };
    CheckResult {
        outcome,
        summary,
        details: Details::Integrity(details),
    }
}

fn listed(mut named: Vec<String>) -> String {
    if named.len() > NAMED {
        let more = named.len() - NAMED;
        named.truncate(NAMED);
        named.push(format!("and {more} more"));
    }
    named.join(", ")
}

/// A failing rule in a few words: its name and what is wrong, in counts.
fn describe(r: &RuleResult) -> String {
    let n = r.problems.unwrap_or(0);
    let what = match r.kind {
        RuleKind::Duplicates => format!(
            "{n} duplicate clusters ({} records)",
            r.records_involved.unwrap_or(0)
        ),
        RuleKind::ProbableDuplicates => format!(
            "{n} probable duplicate clusters ({} records)",
            r.records_involved.unwrap_or(0)
        ),
        RuleKind::Orphans => format!("{n} orphans"),
        RuleKind::Validity => format!("{n} invalid"),
        RuleKind::Completeness => {
            let below: Vec<String> = r
                .fields
                .iter()
                .filter(|f| f.below_threshold)
                .map(|f| format!("{} {:.2}%", f.field, f.ratio * 100.0))
                .collect();
            format!("{} below {}", below.join(", "), r.threshold)
        }
        RuleKind::Freshness => match r.age_seconds {
            None => "no rows".to_string(),
            Some(age) => format!(
                "newest {} old",
                humantime::format_duration(std::time::Duration::from_secs(
                    age.max(0).unsigned_abs()
                ))
            ),
        },
    };
    format!("{} {what}", r.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, kind: RuleKind, status: Outcome, problems: i64) -> RuleResult {
        let mut r = RuleResult::new(name, kind, "0".into());
        r.status = status;
        r.problems = Some(problems);
        r
    }

    #[test]
    fn errors_outrank_failures_and_both_are_named() {
        let details = IntegrityDetails {
            by_clinic: Default::default(),
            rules: vec![
                rule("dups", RuleKind::Duplicates, Outcome::Fail, 3),
                rule("orphans", RuleKind::Orphans, Outcome::Error, 0),
                rule("zip", RuleKind::Validity, Outcome::Pass, 0),
            ],
        };
        let r = verdict(details, &[("orphans".into(), "query failed")]);
        assert_eq!(r.outcome, Outcome::Error);
        assert_eq!(
            r.summary,
            "1 of 3 rules could not run: orphans (query failed); \
             1 of 3 rules beyond threshold: dups 3 duplicate clusters (0 records)"
        );
    }

    #[test]
    fn passing_rules_report_problems_within_thresholds() {
        let details = IntegrityDetails {
            by_clinic: Default::default(),
            rules: vec![
                rule("zip", RuleKind::Validity, Outcome::Pass, 2),
                rule("fresh", RuleKind::Freshness, Outcome::Pass, 0),
            ],
        };
        let r = verdict(details, &[]);
        assert_eq!(r.outcome, Outcome::Pass);
        assert_eq!(r.summary, "all 2 rules pass (2 problems within thresholds)");
    }
}
