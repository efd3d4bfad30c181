//! A keyed diff's findings per clinic. Each side's `clinic` expression is
//! mapped to the clinic id inside its own database (a `CASE` over the
//! configured codes, `_unassigned` for anything else) and carried as one
//! more compared column: the sides' codes may differ (integers on one,
//! site codes on the other), their clinic ids may not, so a record moved to
//! another clinic is a changed record naming the clinic column, and the
//! column is in the checksums like any other. Missing records count for
//! the source row's clinic, extra ones for the target row's, changed ones
//! for the source row's.

use std::collections::{BTreeMap, HashMap};

use crate::config::{
    ClinicCodes, Engine, FhirClinic, FhirPath, KeyedConfig, KeyedSide, UNASSIGNED,
};
use crate::results::{KeyedSlice, ReconcileSlice};
use crate::sources::{ColumnInfo, TextRow};

/// The config with the clinic column appended to both sides, when both
/// name a clinic and clinics have codes; `None` leaves the check unsliced.
pub fn attributed(
    cfg: &KeyedConfig,
    codes: &ClinicCodes,
    engines: (Option<Engine>, Option<Engine>),
) -> Option<KeyedConfig> {
    if codes.is_empty() {
        return None;
    }
    let mut out = cfg.clone();
    append(&mut out.source, codes, engines.0)?;
    append(&mut out.target, codes, engines.1)?;
    Some(out)
}

/// A SQL side maps its clinic to the clinic id in its database; a FHIR
/// side maps each resource's value at its path as it reads it.
fn append(side: &mut KeyedSide, codes: &ClinicCodes, engine: Option<Engine>) -> Option<()> {
    let expr = side.clinic.clone()?;
    let name = expr.clone();
    if let Some(fhir) = side.fhir.as_mut() {
        let path = FhirPath::parse(&expr).ok()?;
        fhir.clinic = Some(FhirClinic {
            path,
            codes: codes.clone(),
        });
        side.columns.push(name);
        return Some(());
    }
    let engine = engine?;
    side.expressions
        .insert(name.clone(), case_sql(engine, &expr, codes));
    side.columns.push(name);
    Some(())
}

/// `CASE TRIM(CAST((expr) AS text)) WHEN 'code' THEN 'id' … ELSE '_unassigned' END`.
/// Codes and ids come from config; quoted as SQL literals.
fn case_sql(engine: Engine, expr: &str, codes: &ClinicCodes) -> String {
    let text = match engine {
        Engine::MySql => "CHAR",
        Engine::Postgres | Engine::Sqlite => "TEXT",
    };
    let whens: String = codes
        .pairs()
        .into_iter()
        .map(|(code, id)| {
            format!(
                " WHEN {} THEN {}",
                literal(engine, code),
                literal(engine, id)
            )
        })
        .collect();
    format!(
        "CASE TRIM(CAST(({expr}) AS {text})){whens} ELSE {} END",
        literal(engine, UNASSIGNED)
    )
}

fn literal(engine: Engine, v: &str) -> String {
    let mut s = v.replace('\'', "''");
    if engine == Engine::MySql {
        // MySQL reads backslash escapes in literals by default.
        s = s.replace('\\', "\\\\");
    }
    format!("'{s}'")
}

/// The clinic of a row whose clinic expression is NULL.
pub const UNASSIGNED_ID: &str = UNASSIGNED;

/// The clinic column is computed, not stored: its type is text.
pub fn is_clinic(side: &KeyedSide, column: &str) -> bool {
    side.clinic.as_deref() == Some(column)
}

pub fn column_info(name: &str) -> ColumnInfo {
    ColumnInfo {
        name: name.to_string(),
        data_type: "text".into(),
        scale: None,
        time_precision: None,
        // Computed by a CASE over literals: not a stored column's charset.
        charset: None,
    }
}

/// What a diff found per clinic, as it is merged.
#[derive(Debug, Default)]
pub struct Tally {
    pub by: BTreeMap<String, KeyedSlice>,
    /// Each tracked discrepancy (`missing:KEY`…) and its clinic, for drift
    /// per clinic; bounded by `drift_keys` like the tracked list.
    pub tracked: HashMap<String, String>,
}

/// Which figure a row adds to.
#[derive(Debug, Clone, Copy)]
pub enum Found {
    SourceRow,
    TargetRow,
    Missing,
    Extra,
    Changed,
}

impl Tally {
    pub fn add(&mut self, clinic: &str, what: Found) {
        let s = match self.by.get_mut(clinic) {
            Some(s) => s,
            None => self.by.entry(clinic.to_string()).or_default(),
        };
        let n = match what {
            Found::SourceRow => &mut s.source_rows,
            Found::TargetRow => &mut s.target_rows,
            Found::Missing => &mut s.missing,
            Found::Extra => &mut s.extra,
            Found::Changed => &mut s.changed,
        };
        *n = n.saturating_add(1);
    }

    /// Replaces the row counts by each side's counts per clinic (from the
    /// databases: checksummed segments are not streamed).
    pub fn set_rows(&mut self, source: &[TextRow], target: &[TextRow]) {
        for s in self.by.values_mut() {
            (s.source_rows, s.target_rows) = (0, 0);
        }
        for (rows, is_source) in [(source, true), (target, false)] {
            for row in rows {
                let clinic = row
                    .first()
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| UNASSIGNED.into());
                let n: u64 = row
                    .get(1)
                    .and_then(|v| v.as_deref()?.split('.').next()?.parse().ok())
                    .unwrap_or(0);
                let s = self.by.entry(clinic).or_default();
                if is_source {
                    s.source_rows = n;
                } else {
                    s.target_rows = n;
                }
            }
        }
    }

    /// The slices, with drift's new discrepancies per clinic when the run
    /// judged drift (`first_seen` now holds `now_ms` for the new ones).
    pub fn slices(
        mut self,
        first_seen: Option<(&BTreeMap<String, i64>, i64)>,
    ) -> BTreeMap<String, ReconcileSlice> {
        if let Some((seen, now_ms)) = first_seen {
            for s in self.by.values_mut() {
                s.new = Some(0);
            }
            for (key, clinic) in &self.tracked {
                if seen.get(key) == Some(&now_ms) {
                    let s = self.by.entry(clinic.clone()).or_default();
                    s.new = Some(s.new.unwrap_or(0) + 1);
                }
            }
        }
        self.by
            .into_iter()
            .map(|(c, k)| {
                let slice = ReconcileSlice {
                    keyed: Some(k),
                    ..Default::default()
                };
                (c, slice)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Clinic, Name};

    #[test]
    fn codes_become_one_case_per_engine_with_quotes_doubled() {
        let codes = ClinicCodes::new(&[Clinic {
            id: Name::parse("east").unwrap(),
            name: "East".into(),
            codes: vec!["3".into(), "O'Neil\\E".into()],
        }]);
        let sql = case_sql(Engine::MySql, "facility_id", &codes);
        assert_eq!(
            sql,
            "CASE TRIM(CAST((facility_id) AS CHAR)) WHEN '3' THEN 'east' WHEN 'O''Neil\\\\E' THEN 'east' WHEN 'east' THEN 'east' ELSE '_unassigned' END"
        );
        assert!(case_sql(Engine::Postgres, "site", &codes).contains("AS TEXT"));
    }
}
