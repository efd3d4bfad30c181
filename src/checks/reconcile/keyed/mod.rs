//! Keyed reconciliation: which records are missing, extra or changed.
//!
//! Both sides' column types are read from the catalogues, each column pair
//! gets one normalization ([`normalize`]), and the diff either checksums key
//! segments inside the databases ([`segments`]) or merges two key-ordered
//! streams ([`merge`]). The algorithm and every rule: docs/reconciliation.md.

mod merge;
mod normalize;
mod plan;
mod segments;

use std::sync::Arc;

use async_trait::async_trait;

use crate::checks::{Check, CheckMeta};
use crate::config::{KeyedConfig, ReconcileConfig, Tolerance};
use crate::results::{CheckKind, CheckResult, Details, KeyedDiff, Outcome, ReconcileDetails, Side};
use crate::sources::{SourceError, Sources, SqlSource};

pub struct KeyedReconcile {
    meta: CheckMeta,
    tolerance: Tolerance,
    cfg: KeyedConfig,
    source: Option<Arc<SqlSource>>,
    target: Option<Arc<SqlSource>>,
}

/// A failure on one side, for the error summary.
struct SideError(Side, SourceError);

impl KeyedReconcile {
    pub fn new(rc: &ReconcileConfig, cfg: &KeyedConfig, sources: &Sources) -> Self {
        KeyedReconcile {
            meta: CheckMeta {
                name: rc.name.clone(),
                kind: CheckKind::Reconcile,
                schedule: rc.schedule.clone(),
                timeout: rc.timeout,
                enabled: rc.enabled,
                max_groups: rc.max_groups,
            },
            tolerance: rc.tolerance,
            source: sources.sql(&cfg.source.from),
            target: sources.sql(&cfg.target.from),
            cfg: cfg.clone(),
        }
    }

    async fn diff(&self, source: &SqlSource, target: &SqlSource) -> Result<KeyedDiff, SideError> {
        let (s, t) = (&self.cfg.source, &self.cfg.target);
        let cols = |side: &crate::config::KeyedSide| {
            side.key
                .iter()
                .chain(&side.columns)
                .cloned()
                .collect::<Vec<_>>()
        };
        let (s_cols, t_cols) = (cols(s), cols(t));
        let (s_types, t_types) = tokio::join!(
            source.column_types(&s.table, &s_cols),
            target.column_types(&t.table, &t_cols)
        );
        let s_types = s_types.map_err(|e| SideError(Side::Source, e))?;
        let t_types = t_types.map_err(|e| SideError(Side::Target, e))?;
        let plan = plan::plan(
            &self.cfg,
            (source.engine(), target.engine()),
            (&s_types, &t_types),
        );
        let mut acc = merge::Acc::new(
            self.cfg.max_keys,
            &plan.key_kinds,
            &plan.columns,
            self.meta.name.as_str(),
        );
        let sides = segments::Sides {
            source,
            target,
            plan: &plan,
        };
        let both = |e: SourceError| SideError(Side::Both, e);
        if plan.checksums {
            acc.diff.mode = "checksum".into();
            let (sn, tn) = tokio::try_join!(
                source.fetch_text(plan.source.null_keys_sql()),
                target.fetch_text(plan.target.null_keys_sql())
            )
            .map_err(both)?;
            let count = |rows: Vec<Vec<Option<String>>>| {
                rows.first()
                    .and_then(|r| r.first().cloned().flatten())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            acc.diff.null_keys.source = count(sn);
            acc.diff.null_keys.target = count(tn);
            let (range, total) = sides.bounds().await.map_err(both)?;
            crate::checks::progress::start(self.meta.name.as_str(), total);
            if let Some(range) = range {
                let (factor, threshold) = (self.cfg.bisection_factor, self.cfg.bisection_threshold);
                sides
                    .bisect(&mut acc, range, factor, threshold)
                    .await
                    .map_err(both)?;
            }
        } else {
            acc.diff.mode = "stream".into();
            crate::checks::progress::start(self.meta.name.as_str(), None);
            sides.stream(&mut acc, None).await.map_err(both)?;
        }
        crate::checks::progress::finish(self.meta.name.as_str());
        Ok(acc.diff)
    }
}

#[async_trait]
impl Check for KeyedReconcile {
    fn meta(&self) -> &CheckMeta {
        &self.meta
    }

    #[tracing::instrument(skip_all, fields(check = %self.meta.name))]
    async fn run(&self) -> CheckResult {
        let tolerance = Some(self.tolerance.to_string());
        let (Some(source), Some(target)) = (&self.source, &self.target) else {
            let details = ReconcileDetails {
                tolerance,
                error_side: Some(Side::Both),
                ..Default::default()
            };
            return CheckResult::error(
                "a source of this check is not configured",
                Details::Reconcile(details),
            );
        };
        match self.diff(source, target).await {
            Ok(diff) => judge(diff, self.tolerance),
            Err(SideError(side, e)) => {
                let from = match side {
                    Side::Source => format!("source `{}`", self.cfg.source.from),
                    Side::Target => format!("target `{}`", self.cfg.target.from),
                    Side::Both => format!(
                        "source `{}` or target `{}`",
                        self.cfg.source.from, self.cfg.target.from
                    ),
                };
                let details = ReconcileDetails {
                    tolerance,
                    error_side: Some(side),
                    error: Some(e.to_string()),
                    ..Default::default()
                };
                CheckResult::error(format!("{from}: {}", e.class()), Details::Reconcile(details))
            }
        }
    }
}

/// Pass when the differing records are within the tolerance (records, or a
/// percentage of the source rows) and no key is duplicated or NULL.
pub fn judge(diff: KeyedDiff, tolerance: Tolerance) -> CheckResult {
    let n = diff.discrepancies();
    let key_problems = diff.duplicate_keys.source
        + diff.duplicate_keys.target
        + diff.null_keys.source
        + diff.null_keys.target;
    let beyond = tolerance.exceeded(diff.source_rows as i64, n as i64);
    let outcome = if beyond || key_problems > 0 {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    let mut summary = format!(
        "{} missing, {} extra, {} changed of {} source and {} target records",
        diff.missing, diff.extra, diff.changed, diff.source_rows, diff.target_rows
    );
    summary.push_str(if beyond {
        ", beyond tolerance "
    } else {
        ", within tolerance "
    });
    summary.push_str(&tolerance.to_string());
    let d = &diff.duplicate_keys;
    if d.source + d.target > 0 {
        summary.push_str(&format!(
            "; duplicate keys: {} in source, {} in target",
            d.source, d.target
        ));
    }
    let z = &diff.null_keys;
    if z.source + z.target > 0 {
        summary.push_str(&format!(
            "; NULL keys: {} in source, {} in target",
            z.source, z.target
        ));
    }
    let details = ReconcileDetails {
        source_count: Some(diff.source_rows as i64),
        target_count: Some(diff.target_rows as i64),
        tolerance: Some(tolerance.to_string()),
        keyed: Some(Box::new(diff)),
        ..Default::default()
    };
    CheckResult {
        outcome,
        summary,
        details: Details::Reconcile(details),
    }
}
