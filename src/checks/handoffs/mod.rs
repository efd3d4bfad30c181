//! `[[handoffs]]`: every event of the look-back window (a closed visit, a
//! lab order) is followed into the other system (a claim, a result) and
//! lands in one class: completed, late, pending or stuck; arrivals with no
//! event are unexpected, keys that arrived twice duplicated.
//!
//! Where both sides read one source, the database classifies every item in
//! one statement (`sql::pushed`) and returns counts and the oldest keys;
//! otherwise each side streams one row per key in key order and
//! `merge.rs` walks both in bounded memory. `tally.rs` judges either way.

mod merge;
mod pushed;
mod sql;
mod statement;
mod tally;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Check, CheckMeta, RunInput, RunOutput};
use crate::config::Config;
use crate::config::handoffs::HandoffConfig;
use crate::results::{CheckResult, Details, HandoffDetails};
use crate::sources::{SourceError, Sources, SqlSource};
use merge::{Side, SideError};
use sql::Window;
use tally::Tally;

/// One configured handoff, ready to run.
pub struct HandoffCheck {
    meta: CheckMeta,
    cfg: HandoffConfig,
    from: Option<Arc<SqlSource>>,
    to: Option<Arc<SqlSource>>,
    /// Each value a `clinic` column may hold (clinic ids and codes) with
    /// the clinic id it means.
    clinics: std::collections::BTreeMap<String, String>,
}

impl HandoffCheck {
    pub fn new(meta: CheckMeta, cfg: &HandoffConfig, sources: &Sources, config: &Config) -> Self {
        HandoffCheck {
            meta,
            cfg: cfg.clone(),
            from: sources.sql(&cfg.from.source),
            to: sources.sql(&cfg.to.source),
            clinics: (config.clinics.iter())
                .flat_map(|c| {
                    let id = c.id.to_string();
                    let codes = c.codes.iter().map(move |v| (v.clone(), c.id.to_string()));
                    std::iter::once((id.clone(), id)).chain(codes)
                })
                .collect(),
        }
    }

    /// Judges the window ending at `now` (tests pass their own clock).
    pub async fn judge(&self, now: DateTime<Utc>) -> CheckResult {
        let (Some(from), Some(to)) = (&self.from, &self.to) else {
            let message = "a source of this handoff is not configured as SQL";
            return failed(message.into(), message.into());
        };
        let w = self.window(now);
        let shared = self.cfg.from.source == self.cfg.to.source;
        match self.compare(from, to, shared, &w).await {
            Ok(tally) => tally.finish(&self.cfg),
            Err((side, e)) => {
                let source = match side {
                    Side::From => &self.cfg.from.source,
                    Side::To => &self.cfg.to.source,
                };
                let summary = format!("the {} side ({source}): {}", side.as_str(), e.class());
                failed(summary, e.to_string())
            }
        }
    }

    fn window(&self, now: DateTime<Utc>) -> Window {
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let now_ms = now.timestamp_millis();
        let start_ms = now_ms.saturating_sub(ms(self.cfg.look_back));
        Window {
            start_ms,
            read_ms: start_ms.saturating_sub(ms(self.cfg.within)),
            within_ms: ms(self.cfg.within),
            now_ms,
            max_keys: self.cfg.max_keys,
        }
    }

    async fn compare(
        &self,
        from: &SqlSource,
        to: &SqlSource,
        shared: bool,
        w: &Window,
    ) -> Result<Tally, SideError> {
        let (clinic, from_key) = columns(from, &self.cfg.from.sql, Side::From).await?;
        let (_, to_key) = columns(to, &self.cfg.to.sql, Side::To).await?;
        let mut tally = Tally::new(self.cfg.max_keys, self.clinics.clone(), shared);
        let (f, t) = (&self.cfg.from.sql, &self.cfg.to.sql);
        if shared {
            let native = sql::native_keys(from.engine(), &from_key, &to_key);
            let statement = statement::pushed(from.engine(), f, t, clinic, native, w);
            let rows = from
                .rows(&statement, &[])
                .await
                .map_err(|e| (Side::From, e))?;
            pushed::read(&mut tally, &rows, clinic)?;
        } else {
            let events = from.stream_text(sql::events(from.engine(), f, clinic, w));
            let arrivals = to.stream_text(sql::arrivals(to.engine(), t, w));
            merge::merge(&mut tally, events, arrivals, clinic, w).await?;
        }
        Ok(tally)
    }
}

/// Checks a side names `key` and `at`; says whether it names `clinic`,
/// and the key's type name.
async fn columns(source: &SqlSource, sql: &str, side: Side) -> Result<(bool, String), SideError> {
    // Prepared, not run: the columns come from the statement's description.
    let probe = format!("SELECT * FROM ({sql}) h");
    let types = source
        .column_types_of(&probe)
        .await
        .map_err(|e| (side, e))?;
    let find = |name: &str| {
        types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    };
    for needed in ["key", "at"] {
        if find(needed).is_none() {
            let message = format!("the query names no column `{needed}`: write `… AS {needed}`");
            return Err((side, SourceError::Shape(message)));
        }
    }
    Ok((find("clinic").is_some(), find("key").unwrap_or_default()))
}

fn failed(summary: String, error: String) -> CheckResult {
    let details = HandoffDetails {
        error: Some(error),
        ..Default::default()
    };
    CheckResult::error(summary, Details::Handoff(details))
}

#[async_trait]
impl Check for HandoffCheck {
    fn meta(&self) -> &CheckMeta {
        &self.meta
    }

    async fn run(&self, _input: RunInput) -> RunOutput {
        self.judge(Utc::now()).await.into()
    }
}
