//! The clinic scorecard: per clinic of a go-live wave (and overall), the
//! day since go-live, each exit criterion's state, the rollback triggers
//! and the figures, judged from the store. Pure over [`Facts`] (the same
//! facts give the same scorecard on every replica); [`Scorecards`] reads
//! the facts, keeps the latest round's card and the day-by-day trend.
//!
//! The stabilization room records each round and shows its gauges; the
//! status page and the digests read the same cards from here.

mod criteria;
mod facts;
mod figures;
mod handoffs;
mod triggers;
mod types;
mod unowned;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;

pub use facts::{DAY_MS, Facts, ROLLBACK_ALERT, day_start_ms, today};
pub use types::{
    ClinicCard, CriterionState, Figures, HandoffFigure, Scorecard, State, TriggerState,
    WorkflowFigure,
};
pub use unowned::Unowned;

use crate::config::checks::{self, CheckMeta};
use crate::config::stabilization::{Criterion, StabilizationConfig, Wave};
use crate::config::{Clinic, Config};
use crate::store::{Store, StoreError};

/// The `clinic` of the overall figures.
pub const ALL: &str = "_all";

/// The parts of the config a scorecard reads; replaced on reload.
#[derive(Debug, Clone)]
pub struct Setup {
    pub cfg: StabilizationConfig,
    pub clinics: Vec<Clinic>,
    pub checks: Vec<CheckMeta>,
    /// `[feedback] known_fixed_grace`: when a fixed issue still worked
    /// around becomes a staff signal.
    pub known_fixed_grace: std::time::Duration,
    /// Per handoff check: what its events and one arrival are called.
    pub handoff_words: BTreeMap<String, (String, String)>,
}

impl Setup {
    pub fn from_config(config: &Config) -> Setup {
        Setup {
            cfg: config.stabilization.clone(),
            clinics: config.clinics.clone(),
            checks: checks::checks(config),
            known_fixed_grace: config.feedback.known_fixed_grace,
            handoff_words: (config.handoffs.iter())
                .map(|h| {
                    let words = (h.events_called.clone(), h.arrival_called.clone());
                    (h.name.to_string(), words)
                })
                .collect(),
        }
    }

    pub fn grace_ms(&self) -> i64 {
        i64::try_from(self.known_fixed_grace.as_millis()).unwrap_or(i64::MAX)
    }
}

/// One clinic's criteria on `day` (all unknown before its go-live).
fn clinic_criteria(
    criteria: &[Criterion],
    facts: &Facts,
    wave: &Wave,
    clinic: &str,
    day: NaiveDate,
) -> Vec<CriterionState> {
    let day_n = (day - wave.go_live).num_days();
    criteria
        .iter()
        .map(|c| {
            let (state, value, detail) = if day_n < 0 {
                (
                    State::Unknown,
                    None,
                    format!("goes live on {}", wave.go_live),
                )
            } else {
                criteria::criterion(facts, wave, clinic, c.kind, day)
            };
            CriterionState {
                name: c.name.to_string(),
                state,
                value,
                detail,
            }
        })
        .collect()
}

/// One clinic's card.
fn card(
    cfg: &StabilizationConfig,
    clinics: &[Clinic],
    facts: &Facts,
    wave: &Wave,
    id: &str,
) -> ClinicCard {
    let day = today(facts.now_ms);
    let day_n = (day - wave.go_live).num_days();
    let criteria = clinic_criteria(&cfg.criteria, facts, wave, id, day);
    ClinicCard {
        clinic: id.to_string(),
        clinic_name: clinics
            .iter()
            .find(|c| c.id.as_str() == id)
            .map_or_else(|| id.to_string(), |c| c.name.clone()),
        wave: wave.name.to_string(),
        go_live: wave.go_live,
        day: day_n,
        triggers: cfg
            .rollback
            .iter()
            .map(|t| triggers::trigger(facts, (wave, id), t, day_n))
            .collect(),
        figures: figures::figures(facts, wave, id, day),
        signals: facts.staff.clinic(id),
        exit_ready: !criteria.is_empty() && criteria.iter().all(|c| c.state == State::Met),
        criteria,
    }
}

/// The scorecard of every clinic in a wave, and overall, at `facts.now_ms`.
pub fn scorecard(cfg: &StabilizationConfig, clinics: &[Clinic], facts: &Facts) -> Scorecard {
    let day = today(facts.now_ms);
    let cards: Vec<ClinicCard> = cfg
        .waves
        .iter()
        .flat_map(|wave| wave.clinics.iter().map(move |id| (wave, id)))
        .map(|(wave, id)| card(cfg, clinics, facts, wave, id.as_str()))
        .collect();
    let overall: Vec<CriterionState> = cfg
        .criteria
        .iter()
        .map(|c| {
            let states: Vec<State> = cards
                .iter()
                .filter_map(|card| card.criteria.iter().find(|s| s.name == c.name.as_str()))
                .map(|s| s.state)
                .collect();
            let met = states.iter().filter(|s| **s == State::Met).count();
            CriterionState {
                name: c.name.to_string(),
                state: State::combine(states.iter().copied()),
                value: Some(met as f64),
                detail: format!("met in {met} of {} clinics", states.len()),
            }
        })
        .collect();
    let first = cfg.waves.iter().map(|w| w.go_live).min();
    Scorecard {
        at_ms: facts.now_ms,
        exit_ready: !cards.is_empty() && cards.iter().all(|c| c.exit_ready),
        day: first.map_or(0, |f| (day - f).num_days()),
        clinics: cards,
        overall,
        unowned: unowned::unowned(facts),
    }
}

/// Per clinic (and `_all`), per day: criteria met and judged.
pub type Trend = BTreeMap<String, Vec<(String, u32, u32)>>;

/// Scorecards judged from the store, and the latest round's.
pub struct Scorecards {
    store: Store,
    setup: RwLock<Arc<Setup>>,
    /// The latest round's scorecard, for the status page (a wall screen
    /// refreshing every 30 s should not re-read days of runs each time).
    last: RwLock<Option<Arc<Scorecard>>>,
}

impl Scorecards {
    pub fn new(store: Store, config: &Config) -> Scorecards {
        Scorecards {
            store,
            setup: RwLock::new(Arc::new(Setup::from_config(config))),
            last: RwLock::new(None),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn setup(&self) -> Arc<Setup> {
        self.setup
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    pub fn reload(&self, config: &Config) {
        if let Ok(mut s) = self.setup.write() {
            *s = Arc::new(Setup::from_config(config));
        }
    }

    /// The scorecard now, from the store.
    pub async fn scorecard(&self, now_ms: i64) -> Result<Scorecard, StoreError> {
        let setup = self.setup();
        let facts = Facts::load(&self.store, &setup, now_ms).await?;
        Ok(scorecard(&setup.cfg, &setup.clinics, &facts))
    }

    /// Keeps a round's scorecard for [`Scorecards::current`].
    pub fn remember(&self, s: Scorecard) {
        if let Ok(mut last) = self.last.write() {
            *last = Some(Arc::new(s));
        }
    }

    /// The latest round's scorecard if it is at most two evaluation
    /// intervals old, else a fresh one from the store.
    pub async fn current(&self, now_ms: i64) -> Result<Arc<Scorecard>, StoreError> {
        let max_age = 2 * i64::try_from(self.setup().cfg.evaluation_interval.as_millis())
            .unwrap_or(i64::MAX / 4);
        let cached = self.last.read().ok().and_then(|l| l.clone());
        match cached {
            Some(s) if now_ms - s.at_ms <= max_age => Ok(s),
            _ => Ok(Arc::new(self.scorecard(now_ms).await?)),
        }
    }

    /// Per clinic (and `_all`), per day from `days` ago: criteria met and
    /// judged, from the history the stabilization rounds recorded.
    pub async fn trend(&self, now_ms: i64, days: i64) -> Result<Trend, StoreError> {
        let from = (today(now_ms) - chrono::Duration::days(days - 1)).to_string();
        let mut out: BTreeMap<String, BTreeMap<String, (u32, u32)>> = BTreeMap::new();
        for r in self.store.days_since(&from).await? {
            let e = out.entry(r.clinic).or_default().entry(r.day).or_default();
            e.1 += 1;
            if r.state.parse::<State>() == Ok(State::Met) {
                e.0 += 1;
            }
        }
        Ok(out
            .into_iter()
            .map(|(c, days)| (c, days.into_iter().map(|(d, (m, n))| (d, m, n)).collect()))
            .collect())
    }
}

#[cfg(test)]
mod handoff_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_known;
