//! How alert instances are shown: the status page, the admin page, the API
//! and the `hypercare_alerts` gauge read the stored rows, marked with the
//! silences covering them now.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Alerts, Ruleset, Silence, silence};
use crate::store::{AlertState, StoreError};

/// An alert instance as the status page, admin page and API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Alert)]
pub struct AlertView {
    pub fingerprint: String,
    pub alertname: String,
    pub severity: String,
    pub state: AlertState,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub value: f64,
    pub active_since: Option<DateTime<Utc>>,
    pub fired_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Ids of the silences that cover it now; empty when none does.
    pub silenced_by: Vec<String>,
}

impl Alerts {
    pub(super) async fn show_gauges(
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
            let state = match v.state {
                AlertState::Firing if !v.silenced_by.is_empty() => "silenced",
                AlertState::Firing => AlertState::Firing.as_str(),
                AlertState::Pending => AlertState::Pending.as_str(),
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
}
