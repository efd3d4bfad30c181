//! Keyed reconciliation: which records are missing, extra or changed.
//!
//! Both sides' column types are read from the catalogues, each column pair
//! gets one normalization ([`normalize`]), and the diff either checksums key
//! segments inside the databases ([`segments`]) or merges two key-ordered
//! streams ([`merge`]). The algorithm and every rule: docs/reconciliation.md.

mod buckets;
mod clinics;
mod drift;
mod fhir;
mod fhir_changes;
mod fhir_run;
#[cfg(test)]
mod fuzz;
mod hashing;
mod incremental;
mod json_values;
mod merge;
mod normalize;
mod plan;
mod segments;
mod sides;
mod spill;
mod verdict;

use crate::results::DiffMode;
use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use async_trait::async_trait;

use crate::checks::{Check, CheckMeta, Memory, RunInput, RunOutput};
use crate::config::{ClinicCodes, KeyedConfig, ReconcileConfig, Tolerance};
pub use verdict::judge;

use crate::results::{CheckResult, Details, KeyedDiff, ReconcileDetails, Side, Sweep};
use crate::sources::{FhirSource, SourceError, Sources, SqlSource};

pub struct KeyedReconcile {
    meta: CheckMeta,
    tolerance: Tolerance,
    cfg: KeyedConfig,
    source: Option<Arc<SqlSource>>,
    target: Option<Arc<SqlSource>>,
    /// The FHIR servers of the sides that are one.
    fhir_source: Option<Arc<FhirSource>>,
    fhir_target: Option<Arc<FhirSource>>,
    /// Both sides carry a clinic column (see [`clinics`]).
    sliced: bool,
}

/// A failure on one side, for the error summary.
struct SideError(Side, SourceError);

impl KeyedReconcile {
    pub fn new(
        meta: CheckMeta,
        rc: &ReconcileConfig,
        cfg: &KeyedConfig,
        sources: &Sources,
        codes: &ClinicCodes,
    ) -> Self {
        let engine = |s: &crate::config::KeyedSide| sources.sql(&s.from).map(|q| q.engine());
        let sliced = clinics::attributed(cfg, codes, (engine(&cfg.source), engine(&cfg.target)));
        KeyedReconcile {
            meta,
            sliced: sliced.is_some(),
            tolerance: rc.tolerance,
            source: sources.sql(&cfg.source.from),
            target: sources.sql(&cfg.target.from),
            fhir_source: cfg.source.fhir.as_ref().and(sources.fhir(&cfg.source.from)),
            fhir_target: cfg.target.fhir.as_ref().and(sources.fhir(&cfg.target.from)),
            cfg: sliced.unwrap_or_else(|| cfg.clone()),
        }
    }

    /// Chooses the rows this run compares: every row on a first run or when
    /// a full sweep is due, else those changed since the previous run.
    fn sweep(&self, previous: Option<&KeyedDiff>, now: DateTime<Utc>) -> Sweep {
        let now_ms = now.timestamp_millis();
        let full = |reason: &str| Sweep::full(now_ms, reason);
        let Some(prev) = previous.and_then(|d| d.sweep.as_ref()) else {
            return full("first run");
        };
        if let Some(cron) = &self.cfg.full_sweep {
            let last = DateTime::from_timestamp_millis(prev.last_full_ms).unwrap_or_default();
            if cron.schedule.after(&last).next().is_some_and(|t| t <= now) {
                return full("full_sweep schedule");
            }
        }
        Sweep {
            kind: "incremental".into(),
            since_ms: Some(prev.started_ms - self.cfg.lag.as_millis() as i64),
            started_ms: now_ms,
            last_full_ms: prev.last_full_ms,
            reason: None,
        }
    }

    /// Both sides' column types, and the plan built from them.
    async fn plan_for(
        &self,
        source: &SqlSource,
        target: &SqlSource,
    ) -> Result<plan::Plan, SideError> {
        let (s, t) = (&self.cfg.source, &self.cfg.target);
        // The clinic column is computed: the catalogue does not know it.
        let cols = |side: &crate::config::KeyedSide| {
            side.key
                .iter()
                .chain(&side.columns)
                .filter(|c| !clinics::is_clinic(side, c))
                .cloned()
                .collect::<Vec<_>>()
        };
        let (s_cols, t_cols) = (cols(s), cols(t));
        let (s_types, t_types) = tokio::join!(
            source.column_types(&s.table, &s_cols),
            target.column_types(&t.table, &t_cols)
        );
        let mut s_types = s_types.map_err(|e| SideError(Side::Source, e))?;
        let mut t_types = t_types.map_err(|e| SideError(Side::Target, e))?;
        if self.sliced {
            s_types.extend(s.clinic.as_deref().map(clinics::column_info));
            t_types.extend(t.clinic.as_deref().map(clinics::column_info));
        }
        Ok(plan::plan(
            &self.cfg,
            (source.engine(), target.engine()),
            (&s_types, &t_types),
        ))
    }

    async fn diff(
        &self,
        source: &SqlSource,
        target: &SqlSource,
        mut sweep: Option<Sweep>,
    ) -> Result<Compared, SideError> {
        let plan = self.plan_for(source, target).await?;
        let mut acc = self.acc(&plan.key_kinds, &plan.columns);
        acc.clinics = self.sliced.then(clinics::Tally::default);
        let sides = segments::Sides {
            source,
            target,
            plan: &plan,
        };
        let both = |e: SourceError| SideError(Side::Both, e);
        let name = self.meta.name.as_str();
        let examined = match sweep.as_mut().filter(|s| s.kind == "incremental") {
            Some(sw) => self.incremental(&sides, &mut acc, sw).await.map_err(both)?,
            None => None,
        };
        if examined.is_some() {
            // Compared by key above.
        } else if plan.checksums {
            self.by_checksums(&sides, &mut acc).await.map_err(both)?;
            // Checksums and buckets read only the rows that differ: the
            // rows per clinic come from one grouped count instead.
            if matches!(acc.diff.mode, DiffMode::Checksum | DiffMode::Buckets) {
                clinic_rows(&sides, &mut acc).await.map_err(both)?;
            }
        } else {
            acc.diff.mode = DiffMode::Stream;
            crate::checks::progress::start(name, None);
            sides.stream(&mut acc, None).await.map_err(both)?;
        }
        Ok(self.compared(acc, sweep, examined.map(Looked::Ints)))
    }

    /// Compares only the keys changed since the last run; `None` (and the
    /// sweep turned full) when that cannot be done.
    async fn incremental(
        &self,
        sides: &segments::Sides<'_>,
        acc: &mut merge::Acc<'_>,
        sw: &mut Sweep,
    ) -> Result<Option<BTreeSet<i128>>, SourceError> {
        if sides.plan.key_kinds[0] != plan::KeyKind::Int {
            *sw = Sweep::full(sw.started_ms, "incremental runs need an integer first key");
            return Ok(None);
        }
        let since = sw.since_ms.unwrap_or_default();
        match sides.changed_keys(since).await? {
            Some(keys) => {
                acc.diff.mode = DiffMode::Incremental;
                crate::checks::progress::start(self.meta.name.as_str(), None);
                sides.compare_keys(acc, &keys).await?;
                Ok(Some(keys))
            }
            None => {
                let reason = format!("more than {} changed rows", incremental::MAX_CHANGED_KEYS);
                *sw = Sweep::full(sw.started_ms, reason);
                Ok(None)
            }
        }
    }

    /// Checksums segments in both databases and bisects the ones that differ.
    async fn by_checksums(
        &self,
        sides: &segments::Sides<'_>,
        acc: &mut merge::Acc<'_>,
    ) -> Result<(), SourceError> {
        let plan = sides.plan;
        acc.diff.mode = DiffMode::Checksum;
        let (sn, tn) = tokio::try_join!(
            sides.source.fetch_text(plan.source.null_keys_sql()),
            sides.target.fetch_text(plan.target.null_keys_sql())
        )?;
        let count = |rows: Vec<Vec<Option<String>>>| {
            rows.first()
                .and_then(|r| r.first().cloned().flatten())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        acc.diff.null_keys.source = count(sn);
        acc.diff.null_keys.target = count(tn);
        let range = sides.bounds().await?;
        // Rows are counted by the checksums themselves, as they go.
        crate::checks::progress::start(self.meta.name.as_str(), None);
        if let Some(range) = range {
            let (factor, threshold) = (self.cfg.bisection_factor, self.cfg.bisection_threshold);
            sides.bisect(acc, range, factor, threshold).await?;
        }
        Ok(())
    }

    /// One run; `history` is what the store remembers when the scheduler
    /// runs the check (no previous run inside means a first run), or `None`
    /// for `hypercare check`, which judges without drift or grace.
    async fn execute(&self, history: Option<Memory>) -> CheckResult {
        let now = Utc::now();
        let previous = history.as_ref().and_then(|m| m.previous.as_ref());
        let prev_diff = previous
            .and_then(|p| p.reconcile())
            .and_then(|r| r.keyed.as_deref());
        let sweep = self.cfg.incremental().then(|| self.sweep(prev_diff, now));
        let fhir = (&self.fhir_source, &self.fhir_target);
        let compared = match (&self.source, &self.target, fhir) {
            (Some(source), Some(target), _) => self.diff(source, target, sweep).await,
            (Some(sql), None, (None, Some(f))) => self.diff_fhir(sql, f, false, sweep).await,
            (None, Some(sql), (Some(f), None)) => self.diff_fhir(sql, f, true, sweep).await,
            (None, None, (Some(s), Some(t))) => self.diff_pair((s, t), sweep).await,
            _ => {
                return self.failed(
                    Side::Both,
                    None,
                    "a source of this check is not configured".into(),
                );
            }
        };
        match compared {
            Ok(compared) => self.verdict(compared, history.is_some().then_some(prev_diff), now),
            Err(SideError(side, e)) => {
                let from = match side {
                    Side::Source => format!("source `{}`", self.cfg.source.from),
                    Side::Target => format!("target `{}`", self.cfg.target.from),
                    Side::Both => format!(
                        "source `{}` or target `{}`",
                        self.cfg.source.from, self.cfg.target.from
                    ),
                };
                self.failed(side, Some(e.to_string()), format!("{from}: {}", e.class()))
            }
        }
    }

    /// Judges what was compared. `remembered` is `Some` (holding the
    /// previous diff, if any) when the scheduler runs the check: only then
    /// do drift and grace apply.
    fn verdict(
        &self,
        compared: Compared,
        remembered: Option<Option<&KeyedDiff>>,
        now: DateTime<Utc>,
    ) -> CheckResult {
        let Compared {
            mut diff,
            tracked,
            examined,
            clinics,
        } = compared;
        let now_ms = now.timestamp_millis();
        let counted = match remembered {
            Some(previous) => {
                let examined = match &examined {
                    Some(Looked::Ints(keys)) => drift::Examined::FirstKeys(keys),
                    Some(Looked::Texts(keys)) => drift::Examined::Keys(keys),
                    None => drift::Examined::All,
                };
                let inputs = drift::Inputs {
                    tracked,
                    previous,
                    examined,
                    now_ms,
                    grace_ms: self.cfg.grace.as_millis() as i64,
                    max_keys: self.cfg.max_keys,
                };
                drift::apply(&mut diff, inputs)
            }
            None => diff.discrepancies(),
        };
        let seen = remembered.is_some().then_some((&diff.first_seen, now_ms));
        let by_clinic = clinics.map(|t| t.slices(seen)).unwrap_or_default();
        let mut result = judge(diff, self.tolerance, counted, self.cfg.grace);
        if let Details::Reconcile(d) = &mut result.details {
            d.by_clinic = by_clinic;
        }
        result
    }

    /// An error result blaming `side`.
    fn failed(&self, side: Side, error: Option<String>, summary: String) -> CheckResult {
        let details = ReconcileDetails {
            tolerance: Some(self.tolerance.to_string()),
            error_side: Some(side),
            error,
            ..Default::default()
        };
        CheckResult::error(summary, Details::Reconcile(details))
    }
}

/// What one comparison found, before drift.
struct Compared {
    diff: KeyedDiff,
    tracked: Vec<String>,
    /// Incremental runs: the first keys compared.
    examined: Option<Looked>,
    /// Findings per clinic, when attributed.
    clinics: Option<clinics::Tally>,
}

/// Rows per clinic from the databases, for a checksum run (which streams
/// only the segments that differ).
async fn clinic_rows(
    sides: &segments::Sides<'_>,
    acc: &mut merge::Acc<'_>,
) -> Result<(), SourceError> {
    let Some(tally) = acc.clinics.as_mut() else {
        return Ok(());
    };
    let (Some(s), Some(t)) = (
        sides.plan.source.clinic_counts_sql(),
        sides.plan.target.clinic_counts_sql(),
    ) else {
        return Ok(());
    };
    let (s, t) = tokio::try_join!(sides.source.fetch_text(s), sides.target.fetch_text(t))?;
    tally.set_rows(&s, &t);
    Ok(())
}

/// The keys an incremental run compared: integer first keys (SQL sides),
/// or text keys (a FHIR side).
enum Looked {
    Ints(BTreeSet<i128>),
    Texts(BTreeSet<String>),
}

#[async_trait]
impl Check for KeyedReconcile {
    fn meta(&self) -> &CheckMeta {
        &self.meta
    }

    #[tracing::instrument(skip_all, fields(check = %self.meta.name))]
    async fn run(&self, input: RunInput) -> RunOutput {
        self.execute(input.memory).await.into()
    }
}
