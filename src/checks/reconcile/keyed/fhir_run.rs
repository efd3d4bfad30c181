//! Runs of keyed diffs with a FHIR side: SQL against FHIR, or FHIR against
//! FHIR; every record, or (incremental runs) those changed since the
//! previous run ([`super::fhir_changes`]).

use crate::results::DiffMode;
use futures_util::stream;

use super::fhir::{self, Reader};
use super::merge::Acc;
use super::normalize::Class;
use super::plan::{self, KeyKind};
use super::{Compared, KeyedReconcile, Looked, SideError, fhir_changes};
use crate::config::KeyedConfig;
use crate::results::{Side, Sweep};
use crate::sources::{FhirSource, SourceError, SqlSource};

/// The `since` of an incremental sweep.
fn since(sweep: &Option<Sweep>) -> Option<i64> {
    sweep
        .as_ref()
        .filter(|s| s.kind == "incremental")
        .and_then(|s| s.since_ms)
}

/// Turns an incremental sweep that could not be done into a full one.
fn too_many(sweep: &mut Option<Sweep>) {
    if let Some(sw) = sweep {
        let reason = format!(
            "more than {} changed records",
            super::incremental::MAX_CHANGED_KEYS
        );
        *sw = Sweep::full(sw.started_ms, reason);
    }
}

impl KeyedReconcile {
    /// The accumulator every FHIR diff merges into.
    /// A fresh accumulator with this check's limits.
    pub(super) fn acc<'a>(&'a self, kinds: &'a [KeyKind], columns: &'a [String]) -> Acc<'a> {
        let name = self.meta.name.as_str();
        let mut acc = Acc::new(self.cfg.max_keys, kinds, columns, name);
        acc.track_cap = self.cfg.drift_keys;
        acc.clinics = self.sliced.then(super::clinics::Tally::default);
        acc
    }

    /// What a comparison found, once its progress is finished.
    pub(super) fn compared(
        &self,
        acc: Acc<'_>,
        sweep: Option<Sweep>,
        examined: Option<Looked>,
    ) -> Compared {
        crate::checks::progress::finish(self.meta.name.as_str());
        let mut diff = acc.diff;
        diff.sweep = sweep;
        Compared {
            diff,
            tracked: acc.tracked,
            examined,
            clinics: acc.clinics,
        }
    }

    /// The SQL side's plan (its own classes, its SQL in key order).
    async fn sql_plan(
        &self,
        sql: &SqlSource,
        fhir_is_source: bool,
    ) -> Result<plan::Plan, SideError> {
        let (side, end) = match fhir_is_source {
            true => (&self.cfg.target, Side::Target),
            false => (&self.cfg.source, Side::Source),
        };
        // The clinic column is computed: the catalogue does not know it.
        let cols: Vec<String> = side
            .key
            .iter()
            .chain(&side.columns)
            .filter(|c| !super::clinics::is_clinic(side, c))
            .cloned()
            .collect();
        let mut types = sql
            .column_types(&side.table, &cols)
            .await
            .map_err(|e| SideError(end, e))?;
        if self.sliced {
            types.extend(side.clinic.as_deref().map(super::clinics::column_info));
        }
        // The SQL side against itself.
        let mirror = KeyedConfig {
            source: side.clone(),
            target: side.clone(),
            ..self.cfg.clone()
        };
        Ok(plan::plan(
            &mirror,
            (sql.engine(), sql.engine()),
            (&types, &types),
        ))
    }

    /// A diff between a SQL side and a FHIR side.
    pub(super) async fn diff_fhir(
        &self,
        sql: &SqlSource,
        fhir: &FhirSource,
        fhir_is_source: bool,
        mut sweep: Option<Sweep>,
    ) -> Result<Compared, SideError> {
        let (sql_end, fhir_end) = match fhir_is_source {
            true => (Side::Target, Side::Source),
            false => (Side::Source, Side::Target),
        };
        let fhir_side = if fhir_is_source {
            &self.cfg.source
        } else {
            &self.cfg.target
        };
        let Some(fhir_cfg) = fhir_side.fhir.as_ref() else {
            return Err(SideError(
                fhir_end,
                SourceError::Shape("not a FHIR side".into()),
            ));
        };
        let plan = self.sql_plan(sql, fhir_is_source).await?;
        let name = self.meta.name.as_str();
        crate::checks::progress::start(name, None);
        let reader = Reader {
            source: fhir,
            side: fhir_cfg,
            cfg: &self.cfg,
            classes: &plan.classes,
        };
        let mut acc = self.acc(&plan.key_kinds, &self.cfg.source.columns);
        let mut examined = None;
        if let Some(since_ms) = since(&sweep) {
            examined =
                fhir_changes::sql_fhir(&mut acc, (sql, &plan), &reader, fhir_is_source, since_ms)
                    .await
                    .map_err(|(side, e)| SideError(side, e))?;
            if examined.is_none() {
                too_many(&mut sweep);
            }
        }
        if examined.is_none() {
            let rows = fhir::rows(&reader, &plan.key_kinds)
                .await
                .map_err(|e| SideError(fhir_end, e))?;
            acc.diff.mode = DiffMode::FhirStream;
            let stream = sql.stream_text(plan.source.rows_sql(None));
            fhir::merge(&mut acc, stream, rows, fhir_is_source)
                .await
                .map_err(|e| SideError(sql_end, e))?;
        }
        Ok(self.compared(acc, sweep, examined.map(Looked::Texts)))
    }

    /// Two FHIR sides (the old system's facade against the new EHR): both
    /// read at once, each sorted with bounded memory, merged. Values compare
    /// as text after the `compare` rules; keys in byte order.
    pub(super) async fn diff_pair(
        &self,
        (source, target): (&FhirSource, &FhirSource),
        mut sweep: Option<Sweep>,
    ) -> Result<Compared, SideError> {
        let cfg = &self.cfg;
        let (Some(s_side), Some(t_side)) = (cfg.source.fhir.as_ref(), cfg.target.fhir.as_ref())
        else {
            return Err(SideError(
                Side::Both,
                SourceError::Shape("not two FHIR sides".into()),
            ));
        };
        let classes = vec![Class::Text; 1 + s_side.paths.len()];
        let kinds = [KeyKind::Text];
        let reader = |source, side| Reader {
            source,
            side,
            cfg,
            classes: &classes,
        };
        let readers = (reader(source, s_side), reader(target, t_side));
        let name = self.meta.name.as_str();
        crate::checks::progress::start(name, None);
        let mut acc = self.acc(&kinds, &self.cfg.source.columns);
        let mut examined = None;
        if let Some(since_ms) = since(&sweep) {
            examined = fhir_changes::pair(&mut acc, (&readers.0, &readers.1), &kinds, since_ms)
                .await
                .map_err(|(side, e)| SideError(side, e))?;
            if examined.is_none() {
                too_many(&mut sweep);
            }
        }
        if examined.is_none() {
            let (s_rows, t_rows) = tokio::join!(
                fhir::rows(&readers.0, &kinds),
                fhir::rows(&readers.1, &kinds)
            );
            let s_rows = s_rows.map_err(|e| SideError(Side::Source, e))?;
            let t_rows = t_rows.map_err(|e| SideError(Side::Target, e))?;
            acc.diff.mode = DiffMode::FhirStream;
            acc.merge(stream::iter(s_rows), stream::iter(t_rows))
                .await
                .map_err(|e| SideError(Side::Both, e))?;
        }
        Ok(self.compared(acc, sweep, examined.map(Looked::Texts)))
    }
}
