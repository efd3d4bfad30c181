//! Alerts: rules over check results and feedback, a state machine per alert
//! instance persisted in the store, silences, and notices to the outbox.
//!
//! Every replica evaluates every rule each `evaluation_interval` from the
//! store (the single source of truth), then moves each instance with a
//! conditional update on its version. The winning update writes the
//! transition and its outbox messages in the same transaction (with unique
//! idempotency keys), so each transition is notified once however many
//! replicas run, and a restart neither loses a firing alert nor sends it again.

mod conditions;
pub mod message;
mod metrics;
pub mod rules;
pub mod silence;
pub mod state;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use conditions::discrepancies;
pub use metrics::AlertMetrics;
pub use silence::{Silence, SilenceView};

use crate::checks::Check;
use crate::config::Config;
use crate::config::Name;
use crate::config::alerts::{
    AlertRuleConfig, AlertingConfig, Condition, NotifierConfig, NotifierKind,
};
use crate::store::{AlertRow, NewOutbox, SilenceRow, Store, StoreError, TransitionRow};
use message::AlertMessage;
use rules::{CheckRef, Target};
use state::{Notice, Verdict};

/// The rules, notifiers and config silences in force; replaced on reload.
struct Ruleset {
    general: AlertingConfig,
    rules: Vec<Arc<AlertRuleConfig>>,
    notifiers: BTreeMap<Name, NotifierConfig>,
    silences: Vec<Silence>,
}

impl Ruleset {
    fn from_config(config: &Config) -> Ruleset {
        let a = &config.alerting;
        Ruleset {
            general: a.general.clone(),
            rules: rules::all_rules(&a.general, &a.rules),
            notifiers: a.notifiers.clone(),
            silences: a
                .silences
                .iter()
                .enumerate()
                .map(|(i, s)| Silence::from_config(i, s))
                .collect(),
        }
    }
}

/// An alert instance as the status page, admin page and API show it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub fingerprint: String,
    pub alertname: String,
    pub severity: String,
    /// `pending`, `firing`, `resolved` (or `inactive`).
    pub state: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub value: f64,
    pub active_since: Option<DateTime<Utc>>,
    pub fired_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Ids of the silences that cover it now; empty when none does.
    pub silenced_by: Vec<String>,
}

pub struct Alerts {
    store: Store,
    ruleset: RwLock<Arc<Ruleset>>,
    metrics: Option<AlertMetrics>,
    public_url: Option<String>,
    /// Transitions and ended API silences are kept this long (`[store] retention`).
    retention: Duration,
    /// When this process last purged them (epoch ms); purges run hourly.
    last_purge_ms: std::sync::atomic::AtomicI64,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn threshold_and_window(c: &Condition) -> (String, String) {
    let h = |d: &Duration| humantime::format_duration(*d).to_string();
    match c {
        Condition::Status => (String::new(), String::new()),
        Condition::Discrepancy { above } => (above.to_string(), String::new()),
        Condition::FailureRatio { above, window } => (above.to_string(), h(window)),
        Condition::BurnRate {
            threshold,
            long_window,
            short_window,
            ..
        } => (
            threshold.to_string(),
            format!("{} and {}", h(long_window), h(short_window)),
        ),
        Condition::FeedbackBlockers { at_least, window } => (at_least.to_string(), h(window)),
        Condition::Stale { after, .. } => {
            (String::new(), after.as_ref().map(h).unwrap_or_default())
        }
    }
}

fn annotations(t: &Target, value: f64) -> BTreeMap<String, String> {
    let (threshold, window) = threshold_and_window(&t.rule.condition);
    let a = &t.rule.annotations;
    [
        ("summary", &a.summary),
        ("description", &a.description),
        ("runbook_url", &a.runbook_url),
        ("dashboard_url", &a.dashboard_url),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        Some((
            k.to_string(),
            message::fill(v.as_ref()?, &t.labels, value, &threshold, &window),
        ))
    })
    .collect()
}

impl Alerts {
    pub fn new(store: Store, config: &Config, registry: &prometheus::Registry) -> Alerts {
        let metrics = AlertMetrics::new(registry)
            .map_err(|e| tracing::error!(error = %e, "alert metrics not registered"))
            .ok();
        Alerts {
            store,
            ruleset: RwLock::new(Arc::new(Ruleset::from_config(config))),
            metrics,
            public_url: config.server.public_url.as_ref().map(|u| u.to_string()),
            retention: config.store.retention,
            last_purge_ms: std::sync::atomic::AtomicI64::new(0),
        }
    }

    fn ruleset(&self) -> Arc<Ruleset> {
        self.ruleset
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Takes the rules, `[alerting]` and config silences of a reloaded config.
    pub fn reload(&self, config: &Config) {
        let mut new = Ruleset::from_config(config);
        // The outbox senders are built at start: notifier changes wait for a restart.
        new.notifiers = self.ruleset().notifiers.clone();
        let new = Arc::new(new);
        match self.ruleset.write() {
            Ok(mut r) => *r = new,
            Err(e) => *e.into_inner() = new,
        }
    }

    pub fn evaluation_interval(&self) -> Duration {
        self.ruleset().general.evaluation_interval
    }

    /// Config silences and the API's (not expired), in that order.
    pub async fn silences(&self) -> Result<Vec<Silence>, StoreError> {
        let mut out = self.ruleset().silences.clone();
        out.extend(
            self.store
                .silences(false)
                .await?
                .iter()
                .filter_map(Silence::from_row),
        );
        Ok(out)
    }

    /// Stores a silence made through the API.
    pub async fn add_silence(&self, row: &SilenceRow) -> Result<(), StoreError> {
        self.store.insert_silence(row).await
    }

    /// Ends an API silence now; false when there is no such active silence.
    pub async fn expire_silence(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.store.expire_silence(id, now.timestamp_millis()).await
    }

    /// Evaluates every rule once, at `now`, over these checks.
    pub async fn evaluate(
        &self,
        checks: &[CheckRef],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let rs = self.ruleset();
        let now_ms = now.timestamp_millis();
        let targets = rules::targets(&rs.rules, checks);
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
            if prev.state == state::PENDING || prev.state == state::FIRING {
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
        let has_am = notifiers
            .iter()
            .any(|n| matches!(n.kind, NotifierKind::Alertmanager { .. }));
        let verdict = Verdict {
            active,
            value,
            now_ms,
            pending_for: target.map_or(Duration::ZERO, |t| t.rule.pending_for),
            silenced: !silence::covering(silences, &labels, now).is_empty(),
            repeat_interval: rs.general.repeat_interval,
            resend_interval: if has_am {
                rs.general.resend_interval
            } else {
                Duration::ZERO
            },
        };
        let step = state::step(&base, &verdict);
        let value_moved = prev
            .as_ref()
            .is_some_and(|p| p.value != value && p.state != state::INACTIVE);
        let meta_moved = prev
            .as_ref()
            .is_some_and(|p| p.labels != base.labels || p.annotations != base.annotations);
        if prev.is_some() && !step.changed && !value_moved && !meta_moved {
            return Ok(());
        }
        let ann: BTreeMap<String, String> =
            serde_json::from_str(&step.row.annotations).unwrap_or_default();
        let msg = AlertMessage {
            fingerprint: &step.row.fingerprint,
            labels: &labels,
            annotations: &ann,
            value,
            fired_ms: step.row.fired_ms,
            resolved_ms: step.row.resolved_ms,
            public_url: self.public_url.as_deref(),
        };
        let ends_in = ms(rs.general.resend_interval) * 4;
        let mut queued: Vec<(String, String, String)> = Vec::new();
        let send_resolved = rs.general.send_resolved;
        for notice in step
            .notices
            .iter()
            .filter(|n| send_resolved || **n != Notice::Resolved)
        {
            for n in &notifiers {
                if let Some(payload) = msg.payload(*notice, n, ends_in) {
                    let key = format!(
                        "alert:{}:{}:{}:{}",
                        step.row.fingerprint,
                        step.row.episode,
                        notice.key(),
                        n.name
                    );
                    queued.push((n.channel(), key, payload));
                }
            }
        }
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
            .save_alert(
                &step.row,
                prev.as_ref().map(|p| p.version),
                transition.as_ref(),
                &outbox,
            )
            .await?;
        if saved && let Some((from, to)) = step.transition {
            let name = labels.get("alertname").map_or("", String::as_str);
            if let Some(m) = &self.metrics {
                m.count_transition(name, to);
            }
            tracing::info!(alert = %step.row.fingerprint, from, to, notices = outbox.len(), "alert state changed");
        }
        if saved && !step.notices.is_empty() && step.transition.is_none() {
            tracing::info!(alert = %step.row.fingerprint, notices = outbox.len(), "alert notice queued");
        }
        Ok(())
    }

    async fn show_gauges(
        &self,
        rs: &Ruleset,
        silences: &[Silence],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let Some(m) = &self.metrics else {
            return Ok(());
        };
        let views = self.views(silences, now).await?;
        let mut counts: BTreeMap<(String, String, &'static str), i64> = BTreeMap::new();
        for v in views {
            let state = match v.state.as_str() {
                state::FIRING if !v.silenced_by.is_empty() => "silenced",
                state::FIRING => "firing",
                state::PENDING => "pending",
                _ => continue,
            };
            *counts.entry((v.alertname, v.severity, state)).or_default() += 1;
        }
        let rules: Vec<(String, String)> = rs
            .rules
            .iter()
            .map(|r| (r.name.to_string(), r.severity.as_str().to_string()))
            .collect();
        m.show(&rules, &counts.into_iter().collect::<Vec<_>>());
        Ok(())
    }

    async fn views(
        &self,
        silences: &[Silence],
        now: DateTime<Utc>,
    ) -> Result<Vec<AlertView>, StoreError> {
        let rows = self.store.alert_instances().await?;
        let t = |ms: Option<i64>| ms.and_then(DateTime::<Utc>::from_timestamp_millis);
        Ok(rows
            .into_iter()
            .map(|r| {
                let labels: BTreeMap<String, String> =
                    serde_json::from_str(&r.labels).unwrap_or_default();
                let annotations = serde_json::from_str(&r.annotations).unwrap_or_default();
                let silenced_by = silence::covering(silences, &labels, now)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                AlertView {
                    fingerprint: r.fingerprint,
                    alertname: labels.get("alertname").cloned().unwrap_or(r.rule),
                    severity: labels.get("severity").cloned().unwrap_or_default(),
                    state: r.state,
                    annotations,
                    value: r.value,
                    active_since: t(r.active_since_ms),
                    fired_at: t(r.fired_ms),
                    resolved_at: t(r.resolved_ms),
                    silenced_by,
                    labels,
                }
            })
            .collect())
    }

    /// Every stored instance, marked with the silences covering it.
    pub async fn list(&self, now: DateTime<Utc>) -> Result<Vec<AlertView>, StoreError> {
        let silences = self.silences().await?;
        self.views(&silences, now).await
    }

    /// Evaluates every `evaluation_interval` until cancelled.
    pub async fn run(
        self: Arc<Self>,
        checks: watch::Receiver<Arc<Vec<Arc<dyn Check>>>>,
        cancel: CancellationToken,
    ) {
        loop {
            let now = Utc::now();
            let refs: Vec<CheckRef> = checks
                .borrow()
                .iter()
                .filter(|c| c.meta().enabled)
                .map(|c| {
                    let m = c.meta();
                    CheckRef::new(m.name.as_str(), m.kind.as_str(), &m.schedule.schedule, now)
                })
                .collect();
            if let Some(m) = &self.metrics {
                let shown: Vec<_> = refs
                    .iter()
                    .map(|c| (c.name.clone(), c.kind.clone(), c.interval_ms))
                    .collect();
                m.show_intervals(&shown);
            }
            if let Err(e) = self.evaluate(&refs, now).await {
                tracing::warn!(error = %e, "alert evaluation failed; trying again next round");
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(self.evaluation_interval()) => {}
            }
        }
    }
}
