//! Validating `[stabilization]` (waves, criteria, rollback triggers) and
//! `[[digests]]`: dates, ratios, durations, and the clinics and checks they name.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::NaiveDate;

use super::super::errors::Collector;
use super::super::feedback::Clinic;
use super::super::raw::{RawCriterion, RawDigest, RawRollback, RawStabilization, RawWave, S};
use super::super::stabilization::{
    Criterion, CriterionKind, DigestConfig, RollbackTrigger, StabilizationConfig, TriggerKind, Wave,
};
use super::{cron, duration, name_at};

fn known_clinic(c: &mut Collector, raw: &S<String>, clinics: &[Clinic]) -> bool {
    if clinics.iter().any(|k| k.id.as_str() == raw.get_ref()) {
        return true;
    }
    let list: Vec<&str> = clinics.iter().map(|k| k.id.as_str()).collect();
    c.at(
        raw.span(),
        format!("unknown clinic `{}`", raw.get_ref()),
        Some(&format!(
            "clinics are declared in [[clinics]]: {}",
            if list.is_empty() {
                "none are".to_string()
            } else {
                list.join(", ")
            }
        )),
    );
    false
}

fn ratio(c: &mut Collector, raw: &Option<S<f64>>, what: &str, default: Option<f64>) -> Option<f64> {
    match raw {
        None => default.or_else(|| {
            c.at(0..0, format!("`{what}` is required"), None);
            None
        }),
        Some(v) if !(0.0..=1.0).contains(v.get_ref()) => {
            c.at(
                v.span(),
                format!("`{what}` must be a share between 0 and 1"),
                Some("write 0.999 for 99.9 %"),
            );
            None
        }
        Some(v) => Some(*v.get_ref()),
    }
}

fn wave(
    c: &mut Collector,
    raw: RawWave,
    checks: &HashMap<String, ()>,
    clinics: &[Clinic],
    seen: &mut HashSet<String>,
) -> Option<Wave> {
    let name = name_at(c, &raw.name, "wave");
    let go_live = NaiveDate::parse_from_str(raw.go_live.get_ref(), "%Y-%m-%d")
        .map_err(|e| {
            c.at(
                raw.go_live.span(),
                format!("`{}` is not a date: {e}", raw.go_live.get_ref()),
                Some("write the go-live day as YYYY-MM-DD"),
            )
        })
        .ok();
    let mut ok = true;
    if raw.clinics.get_ref().is_empty() {
        c.at(raw.clinics.span(), "a wave needs at least one clinic", None);
        ok = false;
    }
    let mut wave_clinics = Vec::new();
    for cl in raw.clinics.get_ref() {
        if !known_clinic(c, cl, clinics) {
            ok = false;
            continue;
        }
        if !seen.insert(cl.get_ref().clone()) {
            c.at(
                cl.span(),
                format!("clinic `{}` is in two waves", cl.get_ref()),
                Some("a clinic goes live once: list it in one wave"),
            );
            ok = false;
        }
        wave_clinics.extend(name_at(c, cl, "clinic"));
    }
    let mut wave_checks = Vec::new();
    for ch in raw.checks.iter().flatten() {
        if !checks.contains_key(ch.get_ref()) {
            c.at(
                ch.span(),
                format!("unknown check `{}`", ch.get_ref()),
                Some("name a [[reconcile]], [[documents]], [[workflows]] or [[integrity]] check"),
            );
            ok = false;
        } else {
            wave_checks.extend(name_at(c, ch, "check"));
        }
    }
    let baseline_days = raw.baseline_days.as_ref().map_or(7, |d| *d.get_ref());
    (ok).then_some(())?;
    Some(Wave {
        name: name?,
        go_live: go_live?,
        clinics: wave_clinics,
        checks: wave_checks,
        baseline_days,
    })
}

/// The `days` of a criterion counted in days: at least 1, 3 when not set.
fn days(c: &mut Collector, raw: &RawCriterion) -> Option<u32> {
    match &raw.days {
        Some(d) if *d.get_ref() == 0 => {
            c.at(d.span(), "days must be at least 1", None);
            None
        }
        Some(d) => Some(*d.get_ref()),
        None => Some(3),
    }
}

fn criterion(c: &mut Collector, raw: RawCriterion) -> Option<Criterion> {
    let name = name_at(c, &raw.name, "criterion");
    let kind = match raw.kind.get_ref().as_str() {
        "no_drift" => Some(CriterionKind::NoDrift {
            days: days(c, &raw)?,
        }),
        "no_new_duplicates" => Some(CriterionKind::NoNewDuplicates {
            days: days(c, &raw)?,
        }),
        "document_accessibility" => Some(CriterionKind::DocumentAccessibility {
            at_least: ratio(c, &raw.at_least, "at_least", Some(0.999))?,
        }),
        "workflow_p95" => match &raw.max_ratio {
            Some(r) if *r.get_ref() < 1.0 => {
                c.at(
                    r.span(),
                    "max_ratio must be at least 1",
                    Some("1.2 allows 20 % slower than the baseline"),
                );
                None
            }
            r => Some(CriterionKind::WorkflowP95 {
                max_ratio: r.as_ref().map_or(1.2, |r| *r.get_ref()),
            }),
        },
        "no_open_blockers" => Some(CriterionKind::NoOpenBlockers),
        "no_page_alerts" => Some(CriterionKind::NoPageAlerts),
        other => {
            c.at(
                raw.kind.span(),
                format!("unknown criterion kind `{other}`"),
                Some(&format!("known kinds: {}", CriterionKind::NAMES)),
            );
            None
        }
    };
    Some(Criterion {
        name: name?,
        kind: kind?,
    })
}

fn trigger(c: &mut Collector, raw: RawRollback) -> Option<RollbackTrigger> {
    let name = name_at(c, &raw.name, "rollback trigger");
    let within = duration(c, &raw.within, Duration::from_secs(7 * 86_400));
    let kind = match raw.kind.get_ref().as_str() {
        "missing_records" => Some(TriggerKind::MissingRecords {
            above: ratio(c, &raw.above, "above", Some(0.01))?,
        }),
        "document_accessibility" => Some(TriggerKind::DocumentAccessibility {
            below: ratio(c, &raw.below, "below", Some(0.95))?,
        }),
        "workflow_failing" => Some(TriggerKind::WorkflowFailing {
            for_: duration(c, &raw.r#for, Duration::from_secs(1800))?,
        }),
        other => {
            c.at(
                raw.kind.span(),
                format!("unknown rollback trigger kind `{other}`"),
                Some(&format!("known kinds: {}", TriggerKind::NAMES)),
            );
            None
        }
    };
    Some(RollbackTrigger {
        name: name?,
        kind: kind?,
        within: within?,
    })
}

pub(super) fn stabilization(
    c: &mut Collector,
    raw: RawStabilization,
    checks: &HashMap<String, ()>,
    clinics: &[Clinic],
) -> Option<StabilizationConfig> {
    let mut ok = true;
    let mut seen = HashSet::new();
    let mut waves = Vec::new();
    let mut names = HashSet::new();
    for w in raw.waves.unwrap_or_default() {
        if !names.insert(w.name.get_ref().clone()) {
            c.at(
                w.name.span(),
                format!("wave `{}` is declared twice", w.name.get_ref()),
                None,
            );
            ok = false;
        }
        match wave(c, w, checks, clinics, &mut seen) {
            Some(w) => waves.push(w),
            None => ok = false,
        }
    }
    let mut criteria = Vec::new();
    let mut names = HashSet::new();
    for r in raw.criteria.unwrap_or_default() {
        if !names.insert(r.name.get_ref().clone()) {
            c.at(
                r.name.span(),
                format!("criterion `{}` is declared twice", r.name.get_ref()),
                None,
            );
            ok = false;
        }
        match criterion(c, r) {
            Some(r) => criteria.push(r),
            None => ok = false,
        }
    }
    let mut rollback = Vec::new();
    let mut names = HashSet::new();
    for r in raw.rollback.unwrap_or_default() {
        if !names.insert(r.name.get_ref().clone()) {
            c.at(
                r.name.span(),
                format!("rollback trigger `{}` is declared twice", r.name.get_ref()),
                None,
            );
            ok = false;
        }
        match trigger(c, r) {
            Some(r) => rollback.push(r),
            None => ok = false,
        }
    }
    let interval = duration(c, &raw.evaluation_interval, Duration::from_secs(60));
    if let (Some(i), Some(s)) = (interval, &raw.evaluation_interval)
        && i < Duration::from_secs(1)
    {
        c.at(s.span(), "evaluation_interval must be at least 1s", None);
        ok = false;
    }
    ok.then_some(())?;
    Some(StabilizationConfig {
        waves,
        criteria,
        rollback,
        contingency_owner: raw
            .contingency_owner
            .map(|o| o.into_inner())
            .unwrap_or_default(),
        escalation: raw
            .escalation
            .unwrap_or_default()
            .into_iter()
            .map(S::into_inner)
            .collect(),
        evaluation_interval: interval?,
    })
}

pub(super) fn digests(
    c: &mut Collector,
    raw: Vec<RawDigest>,
    clinics: &[Clinic],
    mail_route: bool,
) -> Option<Vec<DigestConfig>> {
    let mut ok = true;
    let mut out = Vec::new();
    let mut names = HashSet::new();
    for d in raw {
        if !names.insert(d.name.get_ref().clone()) {
            c.at(
                d.name.span(),
                format!("digest `{}` is declared twice", d.name.get_ref()),
                None,
            );
            ok = false;
        }
        if !mail_route {
            c.at(
                d.name.span(),
                "a digest needs a way to send mail",
                Some("configure [smtp], or set [outbox] mail_dir to write .eml files"),
            );
            ok = false;
        }
        let name = name_at(c, &d.name, "digest");
        let schedule = cron(c, &d.schedule);
        if d.recipients.get_ref().is_empty() {
            c.at(
                d.recipients.span(),
                "a digest needs at least one recipient",
                None,
            );
            ok = false;
        }
        for r in d.recipients.get_ref() {
            if r.get_ref().parse::<lettre::message::Mailbox>().is_err() {
                c.at(
                    r.span(),
                    format!("`{}` is not an e-mail address", r.get_ref()),
                    Some("write name@example.org or \"Name <name@example.org>\""),
                );
                ok = false;
            }
        }
        let mut dc = Vec::new();
        for cl in d.clinics.iter().flatten() {
            if known_clinic(c, cl, clinics) {
                dc.extend(name_at(c, cl, "clinic"));
            } else {
                ok = false;
            }
        }
        let window = duration(c, &d.send_window, Duration::from_secs(6 * 3600));
        match (name, schedule, window) {
            (Some(name), Some(schedule), Some(send_window)) => out.push(DigestConfig {
                subject: d
                    .subject
                    .map(|s| s.into_inner())
                    .unwrap_or_else(|| "Hypercare digest".to_string()),
                name,
                schedule,
                recipients: d
                    .recipients
                    .into_inner()
                    .into_iter()
                    .map(S::into_inner)
                    .collect(),
                clinics: dc,
                send_window,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}
