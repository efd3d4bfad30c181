//! The state machine of one alert instance, as a pure function:
//! inactive → pending → firing → resolved (→ pending again).
//!
//! `step` takes the stored row (if any) and this round's verdict and says
//! what the row becomes and which notices to send. The caller writes the
//! row with a conditional update, so among replicas one step wins.

use std::time::Duration;

use crate::store::AlertRow;
pub use crate::store::AlertState;
// Short names for the states, as the state machine below reads them.
pub use AlertState::{
    Firing as FIRING, Inactive as INACTIVE, Pending as PENDING, Resolved as RESOLVED,
};

/// Something to tell the notifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The alert fired (or, fired while silenced, the silence ended).
    Firing,
    /// Still firing after the repeat interval: the n-th reminder.
    Repeat(i64),
    /// Still firing: the n-th re-post to Alertmanager before `endsAt`.
    Refresh(i64),
    Resolved,
}

impl Notice {
    /// The part of the idempotency key that tells notices of one episode apart.
    pub fn key(self) -> String {
        match self {
            Notice::Firing => "firing".into(),
            Notice::Repeat(n) => format!("repeat-{n}"),
            Notice::Refresh(n) => format!("refresh-{n}"),
            Notice::Resolved => "resolved".into(),
        }
    }

    /// `firing` or `resolved`, as receivers read it.
    pub fn status(self) -> &'static str {
        match self {
            Notice::Resolved => RESOLVED.as_str(),
            _ => FIRING.as_str(),
        }
    }
}

/// This round's inputs besides the stored row.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub active: bool,
    pub value: f64,
    pub now_ms: i64,
    pub pending_for: Duration,
    pub silenced: bool,
    pub repeat_interval: Duration,
    /// Zero when no Alertmanager is notified.
    pub resend_interval: Duration,
}

/// What a step decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub row: AlertRow,
    /// `(from, to)` when the state changed.
    pub transition: Option<(AlertState, AlertState)>,
    pub notices: Vec<Notice>,
    /// Whether the row differs from the stored one in anything but `value`.
    pub changed: bool,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Moves `prev` (a fresh inactive row when there is none) one round on.
pub fn step(prev: &AlertRow, v: &Verdict) -> Step {
    let mut row = prev.clone();
    row.value = v.value;
    let from = prev.state;
    let now = v.now_ms;
    let mut notices = Vec::new();
    let to = match (from, v.active) {
        (INACTIVE | RESOLVED, true) => {
            row.episode += 1;
            row.active_since_ms = Some(now);
            row.resolved_ms = None;
            if v.pending_for.is_zero() {
                FIRING
            } else {
                PENDING
            }
        }
        (PENDING, true) => {
            let since = row.active_since_ms.unwrap_or(now);
            if now - since >= ms(v.pending_for) {
                FIRING
            } else {
                PENDING
            }
        }
        (PENDING, false) => {
            row.active_since_ms = None;
            INACTIVE
        }
        (FIRING, false) => {
            row.resolved_ms = Some(now);
            if row.notified {
                notices.push(Notice::Resolved);
            }
            RESOLVED
        }
        (state, _) => state,
    };
    if to == FIRING && from != FIRING {
        row.fired_ms = Some(now);
        row.notified = false;
        row.last_notified_ms = None;
        row.repeats = 0;
        row.last_refresh_ms = None;
        row.refreshes = 0;
    }
    if to == FIRING && !v.silenced {
        if !row.notified {
            notices.push(Notice::Firing);
            row.notified = true;
            row.last_notified_ms = Some(now);
            row.last_refresh_ms = Some(now);
        } else {
            let since_notified = now - row.last_notified_ms.unwrap_or(now);
            if !v.repeat_interval.is_zero() && since_notified >= ms(v.repeat_interval) {
                row.repeats += 1;
                row.last_notified_ms = Some(now);
                notices.push(Notice::Repeat(row.repeats));
            }
            let since_refresh = now - row.last_refresh_ms.unwrap_or(now);
            if !v.resend_interval.is_zero() && since_refresh >= ms(v.resend_interval) {
                row.refreshes += 1;
                row.last_refresh_ms = Some(now);
                notices.push(Notice::Refresh(row.refreshes));
            }
        }
    }
    row.state = to;
    let mut compare = row.clone();
    compare.value = prev.value;
    let changed = compare != *prev;
    row.updated_ms = now;
    Step {
        transition: (from != to).then_some((from, to)),
        row,
        notices,
        changed,
    }
}

/// A row for an instance seen for the first time.
pub fn fresh(
    fingerprint: &str,
    rule: &str,
    labels: &str,
    annotations: &str,
    now_ms: i64,
) -> AlertRow {
    AlertRow {
        fingerprint: fingerprint.to_string(),
        rule: rule.to_string(),
        labels: labels.to_string(),
        annotations: annotations.to_string(),
        state: INACTIVE,
        value: 0.0,
        active_since_ms: None,
        fired_ms: None,
        resolved_ms: None,
        episode: 0,
        notified: false,
        last_notified_ms: None,
        repeats: 0,
        last_refresh_ms: None,
        refreshes: 0,
        updated_ms: now_ms,
        version: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(active: bool, now_ms: i64, pending_s: u64) -> Verdict {
        Verdict {
            active,
            value: 1.0,
            now_ms,
            pending_for: Duration::from_secs(pending_s),
            silenced: false,
            repeat_interval: Duration::from_secs(3600),
            resend_interval: Duration::from_secs(60),
        }
    }

    #[test]
    fn an_alert_goes_pending_then_firing_then_resolved_with_one_notice_each() {
        let r0 = fresh("f", "r", "{}", "{}", 0);
        let s1 = step(&r0, &verdict(true, 1_000, 60));
        assert_eq!(s1.row.state, PENDING);
        assert_eq!(s1.transition, Some((INACTIVE, PENDING)));
        assert!(s1.notices.is_empty());
        let s2 = step(&s1.row, &verdict(true, 30_000, 60));
        assert_eq!(s2.row.state, PENDING);
        assert!(!s2.changed);
        let s3 = step(&s2.row, &verdict(true, 61_000, 60));
        assert_eq!(
            (s3.row.state, s3.notices.as_slice()),
            (FIRING, &[Notice::Firing][..])
        );
        let s4 = step(&s3.row, &verdict(true, 62_000, 60));
        assert!(s4.notices.is_empty() && !s4.changed);
        let s5 = step(&s4.row, &verdict(true, 121_000, 60));
        assert_eq!(s5.notices, vec![Notice::Refresh(1)]);
        let s6 = step(&s5.row, &verdict(false, 130_000, 60));
        assert_eq!(
            (s6.row.state, s6.notices.as_slice()),
            (RESOLVED, &[Notice::Resolved][..])
        );
        let s7 = step(&s6.row, &verdict(true, 140_000, 0));
        assert_eq!(s7.row.episode, 2);
        assert_eq!(s7.notices, vec![Notice::Firing]);
    }

    #[test]
    fn a_pending_alert_that_clears_sends_nothing() {
        let r0 = fresh("f", "r", "{}", "{}", 0);
        let s1 = step(&r0, &verdict(true, 0, 60));
        let s2 = step(&s1.row, &verdict(false, 10_000, 60));
        assert_eq!(s2.row.state, INACTIVE);
        assert!(s2.notices.is_empty());
    }

    #[test]
    fn a_silenced_alert_fires_quietly_and_notifies_when_the_silence_ends() {
        let r0 = fresh("f", "r", "{}", "{}", 0);
        let mut v = verdict(true, 0, 0);
        v.silenced = true;
        let s1 = step(&r0, &v);
        assert_eq!(s1.row.state, FIRING);
        assert!(s1.notices.is_empty());
        let s2 = step(&s1.row, &verdict(true, 5_000, 0));
        assert_eq!(s2.notices, vec![Notice::Firing]);
        // Resolved while silenced before anything was sent: nothing to take back.
        let mut quiet = verdict(false, 6_000, 0);
        quiet.silenced = true;
        let s3 = step(&s1.row, &quiet);
        assert!(s3.notices.is_empty());
    }

    #[test]
    fn a_long_firing_alert_repeats_after_the_interval() {
        let r0 = fresh("f", "r", "{}", "{}", 0);
        let mut v = verdict(true, 0, 0);
        v.resend_interval = Duration::ZERO;
        let s1 = step(&r0, &v);
        v.now_ms = 3_600_000;
        let s2 = step(&s1.row, &v);
        assert_eq!(s2.notices, vec![Notice::Repeat(1)]);
        v.now_ms = 3_700_000;
        assert!(step(&s2.row, &v).notices.is_empty());
    }
}
