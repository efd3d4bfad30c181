//! Incremental runs with FHIR sides: `meta.lastUpdated` plays the part of
//! the `updated` column. A FHIR side reads what changed at or after the
//! previous run's start (minus `lag`) by `_lastUpdated=ge…` (search) or
//! `_since` (`$export`); a SQL side lists its changed keys as in SQL-only
//! runs. Then each side reads the records of the keys changed on the other
//! side only (FHIR by a search on the key, SQL by key), both are sorted
//! with bounded memory and merged. Keys are text: FHIR ids and identifiers
//! are strings.
//!
//! A resource deleted on the FHIR side no longer matches `_lastUpdated`:
//! as with a row deleted under an `updated` column, the next full sweep
//! finds it (`full_sweep`).

use crate::results::DiffMode;
use std::collections::BTreeSet;

use futures_util::stream;

use super::fhir::{Reader, Select};
use super::incremental::{MAX_CHANGED_KEYS, collect, since_text};
use super::merge::Acc;
use super::plan::{KeyKind, Plan, SidePlan};
use super::spill::{Sorted, Spill};
use crate::config::FhirKey;
use crate::results::Side;
use crate::sources::{SourceError, SqlSource};

/// Keys asked for in one search (`identifier=S|a,S|b,…`): short URLs.
const KEYS_PER_SEARCH: usize = 50;
/// Keys fetched per SQL query.
const KEYS_PER_QUERY: usize = 1000;

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, the instant `_lastUpdated` and `_since` take.
pub fn since_instant(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Rows of one side, sorted, and the keys they hold.
struct Read {
    rows: Spill,
    keys: BTreeSet<String>,
}

fn spill_for(reader: &Reader<'_>, kinds: &[KeyKind]) -> Spill {
    Spill::new(&reader.cfg.sort_dir, reader.cfg.sort_memory, kinds)
}

/// The FHIR side's resources changed at or after `since_ms`; `None` when
/// they are more than [`MAX_CHANGED_KEYS`].
async fn fhir_changed(
    reader: &Reader<'_>,
    kinds: &[KeyKind],
    since_ms: i64,
) -> Result<Option<Read>, SourceError> {
    let since = since_instant(since_ms);
    let mut read = Read {
        rows: spill_for(reader, kinds),
        keys: BTreeSet::new(),
    };
    let mut too_many = false;
    reader
        .read(Select::Since(&since), |row| {
            if read.keys.len() > MAX_CHANGED_KEYS {
                // Keep reading (the pages or file must end) but hold nothing more.
                too_many = true;
                return Ok(());
            }
            if let Some(k) = row.first().cloned().flatten() {
                read.keys.insert(k);
            }
            read.rows.push(row)
        })
        .await?;
    Ok((!too_many).then_some(read))
}

/// A FHIR search token value, escaped (`\`, `,`, `|`, `$`).
fn token(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '\\' | ',' | '|' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Adds the FHIR side's resources with these keys to `rows`, by searches on
/// the key (`_id` or `identifier=SYSTEM|value`), a batch at a time.
async fn fhir_by_keys(
    reader: &Reader<'_>,
    keys: &[&String],
    rows: &mut Spill,
) -> Result<(), SourceError> {
    for batch in keys.chunks(KEYS_PER_SEARCH) {
        let (name, values): (&str, Vec<String>) = match &reader.side.key {
            FhirKey::Id => ("_id", batch.iter().map(|k| token(k)).collect()),
            FhirKey::Identifier(system) => (
                "identifier",
                batch
                    .iter()
                    .map(|k| format!("{}|{}", token(system), token(k)))
                    .collect(),
            ),
        };
        let wanted: BTreeSet<&str> = batch.iter().map(|k| k.as_str()).collect();
        let select = Select::Search(vec![(name.into(), values.join(","))]);
        reader
            .read(select, |row| {
                // A server may match more than asked (another identifier
                // with the same value): keep the keys asked for.
                match row.first().and_then(|k| k.as_deref()) {
                    Some(k) if wanted.contains(k) => rows.push(row),
                    _ => Ok(()),
                }
            })
            .await?;
    }
    Ok(())
}

/// Adds the SQL side's rows with these first keys to `rows`.
async fn sql_by_keys(
    sql: &SqlSource,
    plan: &SidePlan,
    kind: KeyKind,
    keys: &BTreeSet<String>,
    rows: &mut Spill,
) -> Result<(), SourceError> {
    let keys: Vec<&String> = keys.iter().collect();
    for batch in keys.chunks(KEYS_PER_QUERY) {
        let query = match kind {
            // A key that is not an integer has no row under an integer key.
            KeyKind::Int => {
                let ints: Vec<i128> = batch.iter().filter_map(|k| k.parse().ok()).collect();
                if ints.is_empty() {
                    continue;
                }
                plan.rows_for_keys_sql(&ints)
            }
            KeyKind::Text => {
                let texts: Vec<String> = batch.iter().map(|k| k.to_string()).collect();
                plan.rows_for_text_keys_sql(&texts)
            }
        };
        for row in sql.fetch_text(query).await? {
            rows.push(row)?;
        }
    }
    Ok(())
}

/// The SQL side's first keys changed at or after `since_ms` (as text);
/// `None` when they are too many.
async fn sql_changed(
    sql: &SqlSource,
    plan: &SidePlan,
    since_ms: i64,
) -> Result<Option<BTreeSet<String>>, SourceError> {
    let Some(query) = plan.changed_keys_sql(&since_text(since_ms)) else {
        return Ok(None);
    };
    let mut keys = BTreeSet::new();
    Ok(collect(sql, query, &mut keys).await?.then_some(keys))
}

/// What an incremental comparison examined: the keys, or why it could not
/// (too many changes: the run sweeps every record instead).
pub type Examined = Option<BTreeSet<String>>;

/// An incremental run between a SQL side (`plan.source`: the SQL side's
/// own plan) and a FHIR side, merged into `acc`. Errors name their side.
pub async fn sql_fhir(
    acc: &mut Acc<'_>,
    (sql, plan): (&SqlSource, &Plan),
    fhir: &Reader<'_>,
    fhir_is_source: bool,
    since_ms: i64,
) -> Result<Examined, (Side, SourceError)> {
    let (sql_end, fhir_end) = match fhir_is_source {
        true => (Side::Target, Side::Source),
        false => (Side::Source, Side::Target),
    };
    let kinds = &plan.key_kinds;
    let (f, s) = tokio::join!(
        fhir_changed(fhir, kinds, since_ms),
        sql_changed(sql, &plan.source, since_ms)
    );
    let (Some(mut f), Some(s)) = (f.map_err(|e| (fhir_end, e))?, s.map_err(|e| (sql_end, e))?)
    else {
        return Ok(None);
    };
    let only_sql: Vec<&String> = s.difference(&f.keys).collect();
    let mut keys = f.keys.clone();
    keys.extend(s.iter().cloned());
    if keys.len() > MAX_CHANGED_KEYS {
        return Ok(None);
    }
    fhir_by_keys(fhir, &only_sql, &mut f.rows)
        .await
        .map_err(|e| (fhir_end, e))?;
    let mut sql_rows = spill_for(fhir, kinds);
    sql_by_keys(sql, &plan.source, kinds[0], &keys, &mut sql_rows)
        .await
        .map_err(|e| (sql_end, e))?;
    let fhir_rows = f.rows.finish().map_err(|e| (fhir_end, e))?;
    let sql_rows = sql_rows.finish().map_err(|e| (sql_end, e))?;
    acc.diff.mode = DiffMode::Incremental;
    let merged = match fhir_is_source {
        true => merge(acc, fhir_rows, sql_rows).await,
        false => merge(acc, sql_rows, fhir_rows).await,
    };
    merged.map_err(|e| (Side::Both, e))?;
    Ok(Some(keys))
}

/// An incremental run between two FHIR sides.
pub async fn pair(
    acc: &mut Acc<'_>,
    (source, target): (&Reader<'_>, &Reader<'_>),
    kinds: &[KeyKind],
    since_ms: i64,
) -> Result<Examined, (Side, SourceError)> {
    let (s, t) = tokio::join!(
        fhir_changed(source, kinds, since_ms),
        fhir_changed(target, kinds, since_ms)
    );
    let (Some(mut s), Some(mut t)) = (
        s.map_err(|e| (Side::Source, e))?,
        t.map_err(|e| (Side::Target, e))?,
    ) else {
        return Ok(None);
    };
    let mut keys = s.keys.clone();
    keys.extend(t.keys.iter().cloned());
    if keys.len() > MAX_CHANGED_KEYS {
        return Ok(None);
    }
    let only_t: Vec<&String> = t.keys.difference(&s.keys).collect();
    let only_s: Vec<&String> = s.keys.difference(&t.keys).collect();
    let (a, b) = tokio::join!(
        fhir_by_keys(source, &only_t, &mut s.rows),
        fhir_by_keys(target, &only_s, &mut t.rows)
    );
    a.map_err(|e| (Side::Source, e))?;
    b.map_err(|e| (Side::Target, e))?;
    let s_rows = s.rows.finish().map_err(|e| (Side::Source, e))?;
    let t_rows = t.rows.finish().map_err(|e| (Side::Target, e))?;
    acc.diff.mode = DiffMode::Incremental;
    merge(acc, s_rows, t_rows)
        .await
        .map_err(|e| (Side::Both, e))?;
    Ok(Some(keys))
}

async fn merge(acc: &mut Acc<'_>, source: Sorted, target: Sorted) -> Result<(), SourceError> {
    // The run files are local and read through a buffer: short blocking reads.
    acc.merge(stream::iter(source), stream::iter(target)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_a_fhir_instant_in_utc() {
        assert_eq!(since_instant(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn token_values_escape_the_search_separators() {
        assert_eq!(token(r"a,b|c$d\e"), r"a\,b\|c\$d\\e");
        assert_eq!(token("M-1"), "M-1");
    }
}
