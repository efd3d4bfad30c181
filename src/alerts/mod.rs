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
mod evaluate;
pub mod message;
mod metrics;
mod notices;
pub mod rules;
pub mod silence;
pub mod state;
mod views;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

pub use metrics::AlertMetrics;
pub use silence::{Silence, SilenceView};
pub use views::AlertView;

use crate::config::Config;
use crate::config::Name;
use crate::config::alerts::{AlertRuleConfig, AlertingConfig, Condition, NotifierConfig};
use crate::config::checks::{self, CheckMeta};
use crate::store::{SilenceRow, Store, StoreError};
use rules::{CheckRef, Target};

/// The rules, notifiers and config silences in force; replaced on reload.
struct Ruleset {
    general: AlertingConfig,
    rules: Vec<Arc<AlertRuleConfig>>,
    notifiers: BTreeMap<Name, NotifierConfig>,
    silences: Vec<Silence>,
    /// One `rollback_decision_needed` instance per clinic and rollback trigger.
    rollback: Vec<Target>,
    /// The configured checks, which per-check rules make instances for.
    checks: Vec<CheckMeta>,
    /// Keyed diffs attributed to clinics (`clinic =` on both sides).
    sliced: std::collections::BTreeSet<String>,
    /// The configured clinic ids and `_unassigned`.
    clinics: Vec<String>,
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
            rollback: rules::rollback_targets(&config.stabilization, &a.general),
            checks: checks::checks(config),
            sliced: sliced_checks(config),
            clinics: config
                .clinics
                .iter()
                .map(|c| c.id.to_string())
                .chain([crate::results::UNASSIGNED.to_string()])
                .collect(),
        }
    }
}

/// The keyed diffs whose findings are attributed to clinics: both sides
/// name a clinic and some clinic has codes.
fn sliced_checks(config: &Config) -> std::collections::BTreeSet<String> {
    if config.clinics.iter().all(|c| c.codes.is_empty()) {
        return Default::default();
    }
    config
        .reconcile
        .iter()
        .filter(|rc| match &rc.compare {
            crate::config::Comparison::Keyed(k) => {
                k.source.clinic.is_some() && k.target.clinic.is_some()
            }
            _ => false,
        })
        .map(|rc| rc.name.to_string())
        .collect()
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
        Condition::Rollback => (String::new(), String::new()),
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
        let ruleset = Ruleset::from_config(config);
        if let Some(m) = &metrics {
            m.known_rules(ruleset.rules.iter().map(|r| r.name.as_str()));
        }
        Alerts {
            store,
            ruleset: RwLock::new(Arc::new(ruleset)),
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
        if let Some(m) = &self.metrics {
            m.known_rules(new.rules.iter().map(|r| r.name.as_str()));
        }
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

    /// The enabled checks as rules see them, their intervals taken at `now`.
    fn check_refs(&self, now: DateTime<Utc>) -> Vec<CheckRef> {
        let rs = self.ruleset();
        rs.checks
            .iter()
            .filter(|c| c.enabled)
            .map(|c| {
                let mut r = CheckRef::new(c, now);
                if rs.sliced.contains(c.name.as_str()) {
                    r.clinics = rs.clinics.clone();
                }
                r
            })
            .collect()
    }

    /// Evaluates every `evaluation_interval` until cancelled.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        loop {
            let now = Utc::now();
            let refs = self.check_refs(now);
            if let Some(m) = &self.metrics {
                let shown: Vec<_> = refs
                    .iter()
                    .map(|c| (c.name.clone(), c.kind.as_str().to_string(), c.interval_ms))
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
