//! Workflow probes: the steps a person causes in the EHR, run in order as a
//! synthetic transaction against the target system, timed per step.
//!
//! Each run takes the next entry of every pool of test values, runs the
//! steps until one fails (the rest are `skipped`), then, with a live
//! baseline, runs the same steps against the legacy system. Latency is
//! measured around each request or query only: templating, auth tokens and
//! parsing happen outside the timer. Step names come from config; errors
//! carry no URL and no response value.

mod http;
mod judge;
mod mllp;
mod sql;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use crate::checks::{Check, CheckMeta, RunInput, RunOutput};
use crate::config::Name;
use crate::config::workflows::{Action, Baseline, Step, WorkflowConfig};
use crate::results::{
    BaselineRun, CheckResult, Details, Outcome, StepOutcome, StepResult, WorkflowDetails,
};
use crate::sources::{FhirSource, Sources, SqlSource};

pub struct WorkflowCheck {
    meta: CheckMeta,
    cfg: WorkflowConfig,
    target: Option<Arc<FhirSource>>,
    baseline: Option<Arc<FhirSource>>,
    sql: BTreeMap<Name, Arc<SqlSource>>,
    /// Runs started by this process: picks the pool entry.
    runs: AtomicU64,
}

/// The steps of one run against one system.
struct Pass {
    steps: Vec<StepResult>,
    outcome: StepOutcome,
    failed_step: Option<String>,
    total_ms: f64,
}

impl WorkflowCheck {
    pub fn new(meta: CheckMeta, cfg: &WorkflowConfig, sources: &Sources) -> Self {
        let sql = cfg
            .steps
            .iter()
            .filter_map(|s| match &s.action {
                Action::Sql { from, .. } => Some((from.clone(), sources.sql(from)?)),
                Action::Http(_) | Action::Mllp(_) => None,
            })
            .collect();
        WorkflowCheck {
            meta,
            target: sources.fhir(&cfg.target),
            baseline: match &cfg.baseline {
                Some(Baseline::Live(n)) => sources.fhir(n),
                _ => None,
            },
            sql,
            cfg: cfg.clone(),
            runs: AtomicU64::new(0),
        }
    }

    /// The variables of run `n`: constants, the n-th entry of every pool, `today`, `run`.
    fn vars_for(&self, n: u64) -> BTreeMap<String, String> {
        let mut vars = self.cfg.vars.clone();
        for (name, values) in &self.cfg.pools {
            let i = (n % values.len().max(1) as u64) as usize;
            if let Some(v) = values.get(i) {
                vars.insert(name.clone(), v.clone());
            }
        }
        vars.insert(
            "today".into(),
            chrono::Utc::now()
                .date_naive()
                .format("%Y-%m-%d")
                .to_string(),
        );
        vars.insert("run".into(), n.to_string());
        vars
    }

    /// Runs every step against `system` until one fails.
    async fn pass(
        &self,
        system: &FhirSource,
        which: &'static str,
        mut vars: BTreeMap<String, String>,
    ) -> Pass {
        let mut steps = Vec::with_capacity(self.cfg.steps.len());
        let mut failed: Option<(String, StepOutcome)> = None;
        let mut total_ms = 0.0;
        for step in &self.cfg.steps {
            if failed.is_some() {
                steps.push(StepResult::skipped(step.name.as_str()));
                continue;
            }
            let result = self.step(system, step, &mut vars).await;
            total_ms += result.duration_ms.unwrap_or(0.0);
            if result.outcome != StepOutcome::Ok {
                // The step name and outcome only: the error text stays in the details.
                tracing::info!(step = %step.name, system = which, outcome = result.outcome.as_str(), "workflow step failed");
                failed = Some((step.name.to_string(), result.outcome));
            }
            steps.push(result);
        }
        let (failed_step, outcome) = match failed {
            Some((s, o)) => (Some(s), o),
            None => (None, StepOutcome::Ok),
        };
        Pass {
            steps,
            outcome,
            failed_step,
            total_ms: (total_ms * 1000.0).round() / 1000.0,
        }
    }

    async fn step(
        &self,
        system: &FhirSource,
        step: &Step,
        vars: &mut BTreeMap<String, String>,
    ) -> StepResult {
        match &step.action {
            Action::Http(req) => {
                http::run(system, step, req, vars, self.cfg.max_response_bytes).await
            }
            Action::Sql { from, sql, params } => match self.sql.get(from) {
                Some(source) => sql::run(source, step, sql, params, vars).await,
                None => judge::failed(step, StepOutcome::Sql, None, "its source is not configured"),
            },
            Action::Mllp(req) => mllp::run(step, req, vars, self.cfg.max_response_bytes).await,
        }
    }
}

#[async_trait]
impl Check for WorkflowCheck {
    fn meta(&self) -> &CheckMeta {
        &self.meta
    }

    #[tracing::instrument(skip_all, fields(check = %self.meta.name))]
    async fn run(&self, _input: RunInput) -> RunOutput {
        self.once().await.into()
    }
}

impl WorkflowCheck {
    /// One run: this kind builds on no earlier run.
    async fn once(&self) -> CheckResult {
        let Some(target) = &self.target else {
            return CheckResult::error(
                format!("system `{}` is not configured", self.cfg.target),
                Details::None {},
            );
        };
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        let vars = self.vars_for(n);
        let main = self.pass(target, "target", vars.clone()).await;
        let baseline = match &self.baseline {
            Some(b) => Some(self.pass(b, "baseline", vars).await),
            None => None,
        };
        verdict(&self.cfg, n, main, baseline)
    }
}

fn verdict(cfg: &WorkflowConfig, n: u64, main: Pass, baseline: Option<Pass>) -> CheckResult {
    let outcome = match main.outcome {
        StepOutcome::Ok => Outcome::Pass,
        o if o.is_failure() => Outcome::Fail,
        _ => Outcome::Error,
    };
    let slo_good = cfg
        .slo
        .map(|s| outcome == Outcome::Pass && main.total_ms <= s.latency.as_secs_f64() * 1000.0);
    let mut summary = match &main.failed_step {
        None => format!(
            "{} step{} ok in {:.0} ms{}",
            main.steps.len(),
            if main.steps.len() == 1 { "" } else { "s" },
            main.total_ms,
            match (cfg.slo, slo_good) {
                (Some(s), Some(false)) =>
                    format!(", over the {} SLO", humantime::format_duration(s.latency)),
                _ => String::new(),
            }
        ),
        Some(step) => format!(
            "step `{step}` failed ({}) after {:.0} ms",
            main.outcome.as_str(),
            main.total_ms
        ),
    };
    let baseline = baseline.map(|b| BaselineRun {
        ratio: (b.outcome == StepOutcome::Ok
            && main.outcome == StepOutcome::Ok
            && b.total_ms > 0.0)
            .then(|| (main.total_ms / b.total_ms * 1000.0).round() / 1000.0),
        outcome: Some(b.outcome),
        failed_step: b.failed_step,
        total_ms: b.total_ms,
        steps: b.steps,
    });
    if let Some(b) = &baseline {
        summary.push_str(&match (&b.failed_step, b.ratio) {
            (Some(step), _) => format!(
                "; baseline: step `{step}` failed ({})",
                b.outcome.map_or("error", StepOutcome::as_str)
            ),
            (None, Some(r)) => format!("; {r:.2}× the baseline's {:.0} ms", b.total_ms),
            (None, None) => format!("; baseline {:.0} ms", b.total_ms),
        });
    }
    CheckResult {
        outcome,
        summary,
        details: Details::Workflow(WorkflowDetails {
            outcome: Some(main.outcome),
            failed_step: main.failed_step,
            total_ms: main.total_ms,
            pool_index: n,
            steps: main.steps,
            slo_good,
            slo_latency_ms: cfg.slo.map(|s| s.latency.as_secs_f64() * 1000.0),
            baseline,
        }),
    }
}
