//! Integrity checks: does one system's data hold up on its own?
//!
//! An `[[integrity]]` check runs its rules one after another on one SQL
//! source (one query's load on the source at a time). Each rule pushes its
//! work into the database as one aggregate statement that counts the rows it
//! checked and the problems it found and returns the first few keys; only
//! code checks the database cannot do (Luhn for NPIs, the LOINC check digit)
//! stream the one column concerned, in bounded memory. The check fails when
//! a rule is beyond its threshold and errors when a rule could not run.

mod catalog;
mod clinics;
mod codes;
mod completeness;
mod duplicates;
pub mod empi;
mod freshness;
mod orphans;
mod samples;
mod sql;
mod summary;
mod validity;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::checks::{Check, CheckMeta, RunInput, RunOutput};
use crate::config::integrity::{IntegrityConfig, IntegrityRule, RuleSpec};
use crate::config::{ClinicCodes, Engine, Tolerance};
use crate::results::{CheckResult, Details, IntegrityDetails, Outcome, RuleKind, RuleResult};
use crate::sources::{Sources, SqlSource};

pub use codes::{loinc_valid, npi_check_digit, npi_valid};

/// What every rule runner needs.
pub(crate) struct Ctx<'a> {
    pub source: &'a SqlSource,
    pub engine: Engine,
    /// Sample keys (or clusters) to keep per rule.
    pub samples: usize,
    /// When the run started: "today" for date ranges, "now" for freshness.
    pub now: DateTime<Utc>,
    /// Maps a rule's `clinic` values to clinic ids.
    pub codes: &'a ClinicCodes,
    /// Every configured source, for a rule that also reads another system
    /// (a `probable_duplicates` rule's `legacy` table).
    pub sources: &'a Sources,
    /// Pairs marked "not a duplicate": (rule, key, key), keys in text order.
    pub not_duplicates: &'a [(String, String, String)],
}

impl Ctx<'_> {
    /// The LIMIT for sample queries: at least 1, so a count still comes back.
    pub fn limit(&self) -> usize {
        self.samples.max(1)
    }
}

pub struct IntegrityCheck {
    meta: CheckMeta,
    cfg: IntegrityConfig,
    source: Option<Arc<SqlSource>>,
    codes: Arc<ClinicCodes>,
    sources: Sources,
}

impl IntegrityCheck {
    pub fn new(
        meta: CheckMeta,
        cfg: &IntegrityConfig,
        sources: &Sources,
        codes: Arc<ClinicCodes>,
    ) -> Self {
        IntegrityCheck {
            meta,
            source: sources.sql(&cfg.from),
            sources: sources.clone(),
            cfg: cfg.clone(),
            codes,
        }
    }
}

#[async_trait]
impl Check for IntegrityCheck {
    fn meta(&self) -> &CheckMeta {
        &self.meta
    }

    #[tracing::instrument(skip_all, fields(check = %self.meta.name))]
    async fn run(&self, input: RunInput) -> RunOutput {
        let marked = input.memory.map(|m| m.not_duplicates).unwrap_or_default();
        self.once(&marked).await.into()
    }
}

impl IntegrityCheck {
    /// One run: this kind builds on no earlier run.
    async fn once(&self, not_duplicates: &[(String, String, String)]) -> CheckResult {
        let Some(source) = &self.source else {
            return CheckResult::error(
                format!("source `{}` is not configured", self.cfg.from),
                Details::None {},
            );
        };
        let ctx = Ctx {
            source,
            engine: source.engine(),
            samples: self.cfg.sample_keys,
            now: Utc::now(),
            codes: &self.codes,
            sources: &self.sources,
            not_duplicates,
        };
        let mut details = IntegrityDetails::default();
        let mut errors = Vec::new();
        for rule in &self.cfg.rules {
            let (result, ran) = run_rule(&ctx, rule).await;
            match ran {
                Ok(slices) => {
                    for (clinic, n) in slices.unwrap_or_default() {
                        let mine = details.by_clinic.entry(clinic).or_default();
                        mine.insert(result.name.clone(), n);
                    }
                }
                Err(class) => errors.push((result.name.clone(), class)),
            }
            details.rules.push(result);
        }
        summary::verdict(details, &errors)
    }
}

/// Runs one rule, with its problems per clinic when it has `clinic`; a
/// failed query becomes an `error` result, returned with the failure's class.
async fn run_rule(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
) -> (RuleResult, Result<Option<clinics::Slices>, &'static str>) {
    let mut out = RuleResult::new(
        rule.name.as_str(),
        kind_of(&rule.spec),
        threshold(&rule.spec),
    );
    let clock = Instant::now();
    let ran = match &rule.spec {
        RuleSpec::Duplicates {
            key,
            matches,
            tolerance,
        } => duplicates::run(ctx, rule, key, matches, *tolerance, &mut out).await,
        RuleSpec::Orphans { .. } => orphans::run(ctx, rule, &mut out).await,
        RuleSpec::Completeness {
            key,
            fields,
            min_ratio,
        } => completeness::run(ctx, rule, key, fields, *min_ratio, &mut out).await,
        RuleSpec::Validity { .. } => validity::run(ctx, rule, &mut out).await,
        RuleSpec::Freshness { column, max_age } => {
            freshness::run(ctx, rule, column, *max_age, &mut out)
                .await
                .map(|()| None)
        }
        RuleSpec::ProbableDuplicates(spec) => empi::run(ctx, rule, spec, &mut out).await,
    };
    out.duration_ms = clock.elapsed().as_millis() as u64;
    match ran {
        Ok(slices) => (out, Ok(slices)),
        Err(e) => {
            let class = e.class();
            tracing::warn!(rule = %rule.name, error = class, "integrity rule could not run");
            out.status = Outcome::Error;
            out.error = Some(e.to_string());
            (out, Err(class))
        }
    }
}

/// The verdict of a counted rule against its tolerance.
pub(crate) fn judge(tolerance: Tolerance, checked: i64, problems: i64) -> Outcome {
    if tolerance.exceeded(checked, problems) {
        Outcome::Fail
    } else {
        Outcome::Pass
    }
}

fn kind_of(spec: &RuleSpec) -> RuleKind {
    match spec {
        RuleSpec::Duplicates { .. } => RuleKind::Duplicates,
        RuleSpec::Orphans { .. } => RuleKind::Orphans,
        RuleSpec::Completeness { .. } => RuleKind::Completeness,
        RuleSpec::Validity { .. } => RuleKind::Validity,
        RuleSpec::Freshness { .. } => RuleKind::Freshness,
        RuleSpec::ProbableDuplicates(_) => RuleKind::ProbableDuplicates,
    }
}

fn threshold(spec: &RuleSpec) -> String {
    match spec {
        RuleSpec::Duplicates { tolerance, .. }
        | RuleSpec::Orphans { tolerance, .. }
        | RuleSpec::Validity { tolerance, .. } => tolerance.to_string(),
        RuleSpec::Completeness { min_ratio, .. } => format!("{}%", min_ratio * 100.0),
        RuleSpec::Freshness { max_age, .. } => humantime::format_duration(*max_age).to_string(),
        RuleSpec::ProbableDuplicates(s) => format!("{} (p >= {})", s.tolerance, s.probable),
    }
}
