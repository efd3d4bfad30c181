//! The typed `[stabilization]` section (go-live waves, exit criteria,
//! rollback triggers, the contingency owner); `[[digests]]` are in `digests.rs`.

use std::time::Duration;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::Name;
use super::de::recover;
use super::refs::{self, check_refs};
use super::values::{self, count, duration, positive, secs};

pub use super::digests::DigestConfig;

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StabilizationConfig {
    #[serde(default, deserialize_with = "waves")]
    pub waves: Vec<Wave>,
    #[serde(default, deserialize_with = "criteria")]
    pub criteria: Vec<Criterion>,
    #[serde(default, deserialize_with = "triggers")]
    pub rollback: Vec<RollbackTrigger>,
    /// Who decides on a rollback (shown on the status page and in the alert).
    #[serde(default)]
    pub contingency_owner: String,
    /// Who to call, in order.
    #[serde(default)]
    pub escalation: Vec<String>,
    /// How often each replica re-evaluates criteria and triggers.
    #[serde(default = "secs::<60>", deserialize_with = "evaluation_interval")]
    pub evaluation_interval: Duration,
}

impl StabilizationConfig {
    pub fn is_empty(&self) -> bool {
        self.waves.is_empty()
    }

    /// The wave a clinic goes live in.
    pub fn wave_of(&self, clinic: &str) -> Option<&Wave> {
        self.waves
            .iter()
            .find(|w| w.clinics.iter().any(|c| c.as_str() == clinic))
    }
}

/// A go-live wave: clinics that switched over on the same day.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    pub name: Name,
    #[serde(deserialize_with = "date")]
    pub go_live: NaiveDate,
    #[serde(deserialize_with = "wave_clinics")]
    pub clinics: Vec<Name>,
    /// The checks that watch this wave's clinics; empty means every check.
    #[serde(default, deserialize_with = "check_refs")]
    pub checks: Vec<Name>,
    /// Days before go-live whose workflow runs are the baseline when a
    /// workflow has no live baseline.
    #[serde(default = "count::<7>")]
    pub baseline_days: u32,
}

impl Wave {
    pub fn watches(&self, check: &str) -> bool {
        self.checks.is_empty() || self.checks.iter().any(|c| c.as_str() == check)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CriterionKind {
    /// `days` consecutive days without new (unexplained) keyed-reconcile drift.
    NoDrift { days: u32 },
    /// `days` consecutive days in which no probable duplicate clusters were added.
    NoNewDuplicates { days: u32 },
    /// Documents accessible at or above this share (0–1).
    DocumentAccessibility { at_least: f64 },
    /// Each workflow's p95 within `max_ratio` × its baseline p95.
    WorkflowP95 { max_ratio: f64 },
    /// No open "blocks my work" feedback from the clinic.
    NoOpenBlockers,
    /// No firing critical (page-level) alert about the wave's checks.
    NoPageAlerts,
    /// At most `max_stuck` stuck handoff items on each of the last `days` days.
    Handoffs { days: u32, max_stuck: u64 },
    /// No known issue affecting the clinic in `investigating` for longer
    /// than `older_than`.
    KnownIssues { older_than: Duration },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "CriterionText")]
pub struct Criterion {
    pub name: Name,
    pub kind: CriterionKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TriggerKind {
    /// Share of source records missing in the target above this (0–1).
    MissingRecords { above: f64 },
    /// Document accessibility below this share (0–1).
    DocumentAccessibility { below: f64 },
    /// A workflow with no passing run for this long (and failing runs).
    WorkflowFailing { for_: Duration },
    /// Share of a handoff's judged events stuck above this (0–1).
    HandoffStuck { above: f64 },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "TriggerText")]
pub struct RollbackTrigger {
    pub name: Name,
    pub kind: TriggerKind,
    /// Only within this long after the clinic's go-live.
    pub within: Duration,
}

/// The go-live day, `YYYY-MM-DD`.
fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let v = Spanned::<String>::deserialize(d)?;
    NaiveDate::parse_from_str(v.get_ref(), "%Y-%m-%d").or_else(|e| {
        let message = format!("`{}` is not a date: {e}", v.get_ref());
        recover(
            v.span(),
            message,
            Some("write the go-live day as YYYY-MM-DD"),
            NaiveDate::MIN,
        )
    })
}

fn wave_clinics<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Name>, D::Error> {
    let list = Spanned::<Vec<Spanned<Name>>>::deserialize(d)?;
    if list.get_ref().is_empty() {
        return recover(
            list.span(),
            "a wave needs at least one clinic",
            None,
            Vec::new(),
        );
    }
    refs::known_clinics(list.into_inner())
}

/// Waves have distinct names, and a clinic goes live in one wave only.
fn waves<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Wave>, D::Error> {
    let waves = values::unique::<D, Wave>(d, |w| &w.name, "wave")?;
    let mut seen = std::collections::HashSet::new();
    for w in &waves {
        for c in w.get_ref().clinics.iter().filter(|c| !seen.insert(*c)) {
            let message = format!("clinic `{c}` is in two waves");
            let hint = Some("a clinic goes live once: list it in one wave");
            recover::<(), D::Error>(w.span(), message, hint, ())?;
        }
    }
    Ok(waves.into_iter().map(Spanned::into_inner).collect())
}

fn criteria<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Criterion>, D::Error> {
    let list = values::unique::<D, Criterion>(d, |c| &c.name, "criterion")?;
    Ok(list.into_iter().map(Spanned::into_inner).collect())
}

fn triggers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RollbackTrigger>, D::Error> {
    let list = values::unique::<D, RollbackTrigger>(d, |t| &t.name, "rollback trigger")?;
    Ok(list.into_iter().map(Spanned::into_inner).collect())
}

fn evaluation_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let message = "evaluation_interval must be at least 1s";
    values::duration_at_least(d, Duration::from_secs(1), message, None)
}

/// A criterion as written: its kind and the settings of every kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CriterionText {
    name: Name,
    kind: CriterionName,
    #[serde(default = "count::<3>", deserialize_with = "positive")]
    days: u32,
    #[serde(default = "at_least_default", deserialize_with = "at_least")]
    at_least: f64,
    #[serde(default = "max_ratio_default", deserialize_with = "max_ratio")]
    max_ratio: f64,
    #[serde(default)]
    max_stuck: u64,
    #[serde(default = "secs::<86400>", deserialize_with = "duration")]
    older_than: Duration,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum CriterionName {
    NoDrift,
    NoNewDuplicates,
    DocumentAccessibility,
    WorkflowP95,
    NoOpenBlockers,
    NoPageAlerts,
    Handoffs,
    KnownIssues,
}

fn at_least_default() -> f64 {
    0.999
}

fn max_ratio_default() -> f64 {
    1.2
}

fn at_least<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    values::share(d, "at_least")
}

fn max_ratio<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = Spanned::<f64>::deserialize(d)?;
    if *v.get_ref() < 1.0 {
        let hint = Some("1.2 allows 20 % slower than the baseline");
        return recover(v.span(), "max_ratio must be at least 1", hint, 1.0);
    }
    Ok(v.into_inner())
}

impl From<CriterionText> for Criterion {
    fn from(t: CriterionText) -> Self {
        let kind = match t.kind {
            CriterionName::NoDrift => CriterionKind::NoDrift { days: t.days },
            CriterionName::NoNewDuplicates => CriterionKind::NoNewDuplicates { days: t.days },
            CriterionName::DocumentAccessibility => CriterionKind::DocumentAccessibility {
                at_least: t.at_least,
            },
            CriterionName::WorkflowP95 => CriterionKind::WorkflowP95 {
                max_ratio: t.max_ratio,
            },
            CriterionName::NoOpenBlockers => CriterionKind::NoOpenBlockers,
            CriterionName::NoPageAlerts => CriterionKind::NoPageAlerts,
            CriterionName::Handoffs => CriterionKind::Handoffs {
                days: t.days,
                max_stuck: t.max_stuck,
            },
            CriterionName::KnownIssues => CriterionKind::KnownIssues {
                older_than: t.older_than,
            },
        };
        Criterion { name: t.name, kind }
    }
}

/// A rollback trigger as written: its kind and the settings of every kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TriggerText {
    name: Name,
    kind: TriggerName,
    #[serde(default = "above_default", deserialize_with = "above")]
    above: f64,
    #[serde(default = "below_default", deserialize_with = "below")]
    below: f64,
    #[serde(
        default = "secs::<1800>",
        deserialize_with = "duration",
        rename = "for"
    )]
    for_: Duration,
    #[serde(default = "secs::<604800>", deserialize_with = "duration")]
    within: Duration,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum TriggerName {
    MissingRecords,
    DocumentAccessibility,
    WorkflowFailing,
    HandoffStuck,
}

fn above_default() -> f64 {
    0.01
}

fn below_default() -> f64 {
    0.95
}

fn above<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    values::share(d, "above")
}

fn below<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    values::share(d, "below")
}

impl From<TriggerText> for RollbackTrigger {
    fn from(t: TriggerText) -> Self {
        let kind = match t.kind {
            TriggerName::MissingRecords => TriggerKind::MissingRecords { above: t.above },
            TriggerName::DocumentAccessibility => {
                TriggerKind::DocumentAccessibility { below: t.below }
            }
            TriggerName::WorkflowFailing => TriggerKind::WorkflowFailing { for_: t.for_ },
            TriggerName::HandoffStuck => TriggerKind::HandoffStuck { above: t.above },
        };
        RollbackTrigger {
            name: t.name,
            kind,
            within: t.within,
        }
    }
}
