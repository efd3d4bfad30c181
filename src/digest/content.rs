//! What a digest says, gathered from the store: the scorecard of its
//! clinics, the change since the previous digest, feedback by category,
//! the oldest open blockers (their stored, redacted text), active alerts
//! and the 14-day trend. Counts, shares and config names; never a record key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::chart::Bar;
use crate::config::stabilization::{DigestConfig, Wave};
use crate::derive::scorecard::{ClinicCard, DAY_MS, Figures, Scorecards, Trend, Unowned, today};
use crate::store::{AlertRow, AlertState, OpenReport, Store, StoreError};

/// Days in the trend chart.
pub const TREND_DAYS: i64 = 14;
/// Oldest open blockers shown per clinic.
pub const BLOCKERS_SHOWN: usize = 3;
/// Characters of a blocker's (redacted) text shown.
pub const BLOCKER_CHARS: usize = 160;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blocker {
    pub opened: String,
    pub age_days: i64,
    pub category: String,
    /// The redacted text, only where the digest sets `blocker_text`.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveAlert {
    pub alertname: String,
    pub severity: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClinicDigest {
    pub card: ClinicCard,
    pub previous: Option<Figures>,
    /// Reports received since the previous digest (or the last day), by category label.
    pub feedback: Vec<(String, i64)>,
    pub blockers: Vec<Blocker>,
    pub open_blockers: usize,
    pub alerts: Vec<ActiveAlert>,
    /// Oldest first, one per day, `TREND_DAYS` long.
    pub trend: Vec<Bar>,
    pub trend_days: Vec<String>,
    /// Open known issues affecting the clinic (`digest::known`).
    pub known: Vec<super::known::KnownLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DigestData {
    pub name: String,
    pub subject: String,
    pub period: String,
    pub at_ms: i64,
    pub since_label: String,
    pub clinics: Vec<ClinicDigest>,
    pub contingency_owner: String,
    pub escalation: Vec<String>,
    pub public_url: Option<String>,
    /// Findings no clinic owns, shown once after the clinics.
    pub unowned: Option<Unowned>,
    /// Firing alerts about no clinic in particular (a check's status, a
    /// check shared by the clinics), once for all clinics in a digest of
    /// several; a one-clinic digest shows them in its clinic's part.
    pub shared_alerts: Vec<ActiveAlert>,
}

impl DigestData {
    /// The figures stored with the period, for the next digest's changes.
    pub fn figures(&self) -> BTreeMap<String, Figures> {
        self.clinics
            .iter()
            .map(|c| (c.card.clinic.clone(), c.card.figures.clone()))
            .collect()
    }
}

fn short(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= BLOCKER_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(BLOCKER_CHARS).collect();
    format!("{cut}…")
}

/// What the previous digest of the same name left: since when to count
/// feedback, how to say it, and its figures by clinic.
async fn previous(
    store: &Store,
    d: &DigestConfig,
    period: &str,
    now_ms: i64,
) -> Result<(i64, String, BTreeMap<String, Figures>), StoreError> {
    Ok(
        match store
            .previous_digest_figures(d.name.as_str(), period)
            .await?
        {
            Some((p, figures)) => (
                chrono::DateTime::parse_from_rfc3339(&p)
                    .map(|t| t.timestamp_millis())
                    .unwrap_or(now_ms - DAY_MS),
                format!("since the previous digest ({p})"),
                serde_json::from_str(&figures).unwrap_or_default(),
            ),
            None => (
                now_ms - DAY_MS,
                "in the last 24 hours".to_string(),
                BTreeMap::new(),
            ),
        },
    )
}

/// What every clinic's part of one digest is cut from.
struct Shared<'a> {
    now_ms: i64,
    blocker_text: bool,
    categories: &'a BTreeMap<String, String>,
    by_category: Vec<(Option<String>, String, i64)>,
    open: Vec<OpenReport>,
    alerts: Vec<AlertRow>,
    trend: Trend,
    days: Vec<String>,
    previous: BTreeMap<String, Figures>,
    /// Alerts about no clinic go to "all clinics" once, not to each clinic.
    pooled: bool,
}

impl Shared<'_> {
    fn label(&self, id: &str) -> String {
        self.categories
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn blockers(&self, clinic: &str) -> Vec<&OpenReport> {
        self.open
            .iter()
            .filter(|r| r.severity == "blocks_work" && r.clinic.as_deref() == Some(clinic))
            .collect()
    }

    /// Firing alerts about this clinic, its wave's checks, or no check at all.
    fn alerts(&self, clinic: &str, wave: Option<&Wave>) -> Vec<ActiveAlert> {
        self.alerts
            .iter()
            .filter(|a| a.state == AlertState::Firing)
            .filter_map(|a| {
                let labels: BTreeMap<String, String> = serde_json::from_str(&a.labels).ok()?;
                let about = match (labels.get("clinic"), labels.get("check")) {
                    (Some(cl), _) => cl == clinic,
                    (None, _) if self.pooled => false,
                    (None, Some(check)) => wave.is_none_or(|w| w.watches(check)),
                    (None, None) => true,
                };
                let ann: BTreeMap<String, String> =
                    serde_json::from_str(&a.annotations).unwrap_or_default();
                about.then(|| ActiveAlert {
                    alertname: a.rule.clone(),
                    severity: labels.get("severity").cloned().unwrap_or_default(),
                    summary: ann.get("summary").cloned().unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Firing alerts without a clinic, about a check some covered clinic's
    /// wave watches (or no check), each once.
    fn shared_alerts(&self, waves: &[&Wave]) -> Vec<ActiveAlert> {
        let mut out: Vec<ActiveAlert> = Vec::new();
        for a in self.alerts.iter().filter(|a| a.state == AlertState::Firing) {
            let Ok(labels) = serde_json::from_str::<BTreeMap<String, String>>(&a.labels) else {
                continue;
            };
            let watched = labels
                .get("check")
                .is_none_or(|c| waves.is_empty() || waves.iter().any(|w| w.watches(c)));
            if labels.contains_key("clinic") || !watched {
                continue;
            }
            let ann: BTreeMap<String, String> =
                serde_json::from_str(&a.annotations).unwrap_or_default();
            let alert = ActiveAlert {
                alertname: a.rule.clone(),
                severity: labels.get("severity").cloned().unwrap_or_default(),
                summary: ann.get("summary").cloned().unwrap_or_default(),
            };
            if !out.contains(&alert) {
                out.push(alert);
            }
        }
        out
    }

    fn clinic(&self, c: ClinicCard, wave: Option<&Wave>) -> ClinicDigest {
        let mine = self.blockers(&c.clinic);
        let blockers = mine
            .iter()
            .take(BLOCKERS_SHOWN)
            .map(|r| Blocker {
                opened: chrono::DateTime::from_timestamp_millis(r.created_ms)
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                age_days: (self.now_ms - r.created_ms) / DAY_MS,
                category: self.label(&r.category),
                text: self.blocker_text.then(|| short(&r.text)),
            })
            .collect();
        let per_day: BTreeMap<&str, (u32, u32)> = self
            .trend
            .get(&c.clinic)
            .map(|v| v.iter().map(|(d, m, n)| (d.as_str(), (*m, *n))).collect())
            .unwrap_or_default();
        ClinicDigest {
            previous: self.previous.get(&c.clinic).cloned(),
            feedback: self
                .by_category
                .iter()
                .filter(|(cl, _, _)| cl.as_deref() == Some(c.clinic.as_str()))
                .map(|(_, cat, n)| (self.label(cat), *n))
                .collect(),
            open_blockers: mine.len(),
            blockers,
            alerts: self.alerts(&c.clinic, wave),
            trend: self
                .days
                .iter()
                .map(|d| per_day.get(d.as_str()).copied().unwrap_or((0, 0)))
                .collect(),
            trend_days: self.days.clone(),
            known: Vec::new(),
            card: c,
        }
    }
}

/// Gathers a digest at `now_ms` for `period`.
pub async fn gather(
    cards: &Scorecards,
    d: &DigestConfig,
    categories: &BTreeMap<String, String>,
    public_url: Option<String>,
    period: &str,
    now_ms: i64,
) -> Result<DigestData, StoreError> {
    let store = cards.store();
    let setup = cards.setup();
    let card = cards.scorecard(now_ms).await?;
    let (since_ms, since_label, previous) = previous(store, d, period, now_ms).await?;
    let today = today(now_ms);
    let covered = card
        .clinics
        .iter()
        .filter(|c| d.clinics.is_empty() || d.clinics.iter().any(|x| x.as_str() == c.clinic))
        .count();
    let shared = Shared {
        now_ms,
        blocker_text: d.blocker_text,
        categories,
        by_category: store.reports_by_category_since(since_ms).await?,
        open: store.open_reports().await?,
        alerts: store.alert_instances().await?,
        trend: cards.trend(now_ms, TREND_DAYS).await?,
        days: (0..TREND_DAYS)
            .rev()
            .map(|b| (today - chrono::Duration::days(b)).to_string())
            .collect(),
        previous,
        pooled: covered > 1,
    };
    // Only a digest of every clinic: a clinic's own digest is its figures.
    let unowned = card.unowned.clone().filter(|_| d.clinics.is_empty());
    let mut clinics: Vec<ClinicDigest> = card
        .clinics
        .into_iter()
        .filter(|c| d.clinics.is_empty() || d.clinics.iter().any(|x| x.as_str() == c.clinic))
        .map(|c| {
            let wave = setup.cfg.wave_of(&c.clinic);
            shared.clinic(c, wave)
        })
        .collect();
    for c in &mut clinics {
        c.known = super::known::lines(store, &c.card.clinic).await?;
    }
    let waves: Vec<&Wave> = clinics
        .iter()
        .filter_map(|c| setup.cfg.wave_of(&c.card.clinic))
        .collect();
    let shared_alerts = match shared.pooled {
        true => shared.shared_alerts(&waves),
        false => Vec::new(),
    };
    Ok(DigestData {
        name: d.name.to_string(),
        subject: d.subject.clone(),
        period: period.to_string(),
        at_ms: now_ms,
        since_label,
        clinics,
        contingency_owner: setup.cfg.contingency_owner.clone(),
        escalation: setup.cfg.escalation.clone(),
        public_url,
        unowned,
        shared_alerts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> ClinicCard {
        ClinicCard {
            clinic: "north".into(),
            clinic_name: "North".into(),
            wave: "wave1".into(),
            go_live: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
            day: 3,
            criteria: Vec::new(),
            exit_ready: false,
            triggers: Vec::new(),
            figures: Figures::default(),
            signals: Default::default(),
        }
    }

    #[test]
    fn blocker_text_is_quoted_only_where_the_digest_opts_in() {
        let categories = BTreeMap::new();
        let report = OpenReport {
            id: 1,
            created_ms: 0,
            clinic: Some("north".into()),
            category: "orders".into(),
            severity: "blocks_work".into(),
            text: "Cannot sign orders on ward 4B".into(),
        };
        let digest = |blocker_text| {
            let shared = Shared {
                now_ms: 2 * DAY_MS,
                blocker_text,
                categories: &categories,
                by_category: Vec::new(),
                open: vec![report.clone()],
                alerts: Vec::new(),
                trend: Trend::new(),
                days: Vec::new(),
                previous: BTreeMap::new(),
                pooled: false,
            };
            shared.clinic(card(), None)
        };
        let plain = digest(false);
        assert_eq!(plain.open_blockers, 1);
        assert_eq!(plain.blockers[0].text, None);
        assert_eq!(plain.blockers[0].age_days, 2);
        let quoted = digest(true);
        assert_eq!(
            quoted.blockers[0].text.as_deref(),
            Some("Cannot sign orders on ward 4B")
        );
    }
}
