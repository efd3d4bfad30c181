//! One evaluation round: judge every instance, move each a step, store
//! the step with its notices; resolve instances no rule makes any more.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::rules::{self, CheckRef, Target};
use super::state::{self, Verdict};
use super::{Alerts, Ruleset, Silence, annotations, conditions, ms, notices, silence};
use crate::config::alerts::{NotifierConfig, NotifierKind};
use crate::store::{AlertRow, NewOutbox, StoreError, TransitionRow};

impl Alerts {
    /// Evaluates every rule once, at `now`, over these checks.
    pub async fn evaluate(
        &self,
        checks: &[CheckRef],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let rs = self.ruleset();
        let now_ms = now.timestamp_millis();
        let mut targets = rules::targets(&rs.rules, checks);
        targets.extend(rs.rollback.iter().cloned());
        let snap = conditions::Snapshot::load(&self.store).await?;
        let mut rows: HashMap<String, AlertRow> = self
            .store
            .alert_instances()
            .await?
            .into_iter()
            .map(|r| (r.fingerprint.clone(), r))
            .collect();
        let silences = self.silences().await?;
        for t in &targets {
            let judged = match conditions::judge(&self.store, t, &snap, now_ms).await {
                Ok(j) => j,
                Err(e) => {
                    tracing::warn!(alert = %t.fingerprint, error = %e, "alert not evaluated this round");
                    rows.remove(&t.fingerprint);
                    continue;
                }
            };
            let prev = rows.remove(&t.fingerprint);
            if prev.is_none() && !judged.active {
                continue;
            }
            self.advance(
                &rs,
                Some(t),
                prev,
                judged.active,
                judged.value,
                &silences,
                now,
            )
            .await?;
        }
        // Instances no rule makes any more (a check or rule was removed).
        for (_, prev) in rows {
            if matches!(prev.state, state::PENDING | state::FIRING) {
                self.advance(&rs, None, Some(prev), false, 0.0, &silences, now)
                    .await?;
            } else {
                self.store
                    .delete_alert(&prev.fingerprint, prev.version)
                    .await?;
            }
        }
        self.purge(now_ms).await;
        self.show_gauges(&rs, &silences, now).await
    }

    /// Deletes old transitions and ended API silences, at most hourly.
    async fn purge(&self, now_ms: i64) {
        use std::sync::atomic::Ordering;
        if now_ms - self.last_purge_ms.load(Ordering::Relaxed) < 3_600_000 {
            return;
        }
        self.last_purge_ms.store(now_ms, Ordering::Relaxed);
        if let Err(e) = self
            .store
            .purge_alert_history(now_ms - ms(self.retention))
            .await
        {
            tracing::warn!(error = %e, "cannot purge old alert transitions");
        }
    }

    /// Moves one instance a step and stores it with its notices.
    #[allow(clippy::too_many_arguments)]
    async fn advance(
        &self,
        rs: &Ruleset,
        target: Option<&Target>,
        prev: Option<AlertRow>,
        active: bool,
        value: f64,
        silences: &[Silence],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now_ms = now.timestamp_millis();
        let mut base = match (&prev, target) {
            (Some(p), _) => p.clone(),
            (None, Some(t)) => {
                state::fresh(&t.fingerprint, t.rule.name.as_str(), "{}", "{}", now_ms)
            }
            (None, None) => return Ok(()),
        };
        let labels: BTreeMap<String, String> = match target {
            Some(t) => t.labels.clone(),
            None => serde_json::from_str(&base.labels).unwrap_or_default(),
        };
        let notifiers: Vec<&NotifierConfig> = target
            .map(|t| {
                t.rule
                    .notify
                    .iter()
                    .filter_map(|n| rs.notifiers.get(n))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(t) = target {
            base.labels = serde_json::to_string(&labels).unwrap_or_default();
            base.annotations = serde_json::to_string(&annotations(t, value)).unwrap_or_default();
        }
        let silenced = !silence::covering(silences, &labels, now).is_empty();
        let v = verdict(rs, target, &notifiers, active, value, silenced, now_ms);
        let step = state::step(&base, &v);
        let value_moved = prev
            .as_ref()
            .is_some_and(|p| p.value != value && p.state != state::INACTIVE);
        let meta_moved = prev
            .as_ref()
            .is_some_and(|p| p.labels != base.labels || p.annotations != base.annotations);
        if prev.is_some() && !step.changed && !value_moved && !meta_moved {
            return Ok(());
        }
        let version = prev.as_ref().map(|p| p.version);
        self.save_step(rs, &step, version, &labels, &notifiers, now_ms)
            .await
    }

    /// Stores a step with its transition and outbox messages, in one
    /// transaction; logs and counts it when this replica's update won.
    async fn save_step(
        &self,
        rs: &Ruleset,
        step: &state::Step,
        version: Option<i64>,
        labels: &BTreeMap<String, String>,
        notifiers: &[&NotifierConfig],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let queued = notices::queue(
            step,
            labels,
            notifiers,
            &rs.general,
            self.public_url.as_deref(),
        );
        let outbox: Vec<NewOutbox> = queued
            .iter()
            .map(|(channel, key, payload)| NewOutbox {
                channel,
                idempotency_key: key,
                ordering_key: &step.row.fingerprint,
                payload,
                created_ms: now_ms,
            })
            .collect();
        let transition = step.transition.map(|(from, to)| TransitionRow {
            from,
            to,
            at_ms: now_ms,
        });
        let saved = self
            .store
            .save_alert(&step.row, version, transition.as_ref(), &outbox)
            .await?;
        if saved && let Some((from, to)) = step.transition {
            let name = labels.get("alertname").map_or("", String::as_str);
            if let Some(m) = &self.metrics {
                m.count_transition(name, to.as_str());
            }
            tracing::info!(alert = %step.row.fingerprint, from = from.as_str(), to = to.as_str(),
                notices = outbox.len(), "alert state changed");
        }
        if saved && !step.notices.is_empty() && step.transition.is_none() {
            tracing::info!(alert = %step.row.fingerprint, notices = outbox.len(), "alert notice queued");
        }
        Ok(())
    }
}

/// This round's inputs to the state machine besides the stored row.
fn verdict(
    rs: &Ruleset,
    target: Option<&Target>,
    notifiers: &[&NotifierConfig],
    active: bool,
    value: f64,
    silenced: bool,
    now_ms: i64,
) -> Verdict {
    let has_am = notifiers
        .iter()
        .any(|n| matches!(n.kind, NotifierKind::Alertmanager { .. }));
    Verdict {
        active,
        value,
        now_ms,
        pending_for: target.map_or(Duration::ZERO, |t| t.rule.pending_for),
        silenced,
        repeat_interval: rs.general.repeat_interval,
        resend_interval: if has_am {
            rs.general.resend_interval
        } else {
            Duration::ZERO
        },
    }
}
