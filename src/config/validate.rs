//! Turning the raw sections into a typed [`Config`], collecting every mistake.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use super::errors::Collector;
use super::reconcile::{ReconcileText, reconcile_check};
use super::{Config, Name, SchedulerConfig, ServerConfig, StoreConfig};

pub(super) mod fields;
mod integrity;
mod workflows;

pub(super) use fields::{cron, duration, name_at, one_statement_at, tolerance};

#[derive(Default)]
pub(super) struct RawConfig {
    pub server: Option<ServerConfig>,
    pub store: Option<StoreConfig>,
    pub scheduler: Option<SchedulerConfig>,
    pub sources: Option<super::sources::Sources>,
    pub reconcile: Vec<Spanned<ReconcileText>>,
    pub feedback: Option<super::feedback::FeedbackConfig>,
    pub clinics: Option<Vec<super::feedback::Clinic>>,
    pub integrity: Vec<super::raw::RawIntegrity>,
    pub workflows: Vec<super::raw::RawWorkflow>,
    pub workflow_metrics: Option<super::WorkflowMetricsConfig>,
    pub alerting: Option<super::AlertingSections>,
    pub documents: Vec<Spanned<super::documents::DocumentsConfig>>,
    pub stabilization: Option<super::stabilization::StabilizationConfig>,
    pub digests: Option<Vec<super::stabilization::DigestConfig>>,
    pub handoffs: Option<Vec<Spanned<super::handoffs::HandoffConfig>>>,
}

/// Builds the typed config; returns `None` only when an error was recorded.
pub(super) fn build(c: &mut Collector, raw: RawConfig, path: &Path) -> Option<Config> {
    let sources = raw.sources.unwrap_or_default();
    let s = &sources;
    let default_timeout =
        (raw.scheduler.as_ref()).map_or(Duration::from_secs(300), |s| s.default_timeout);
    let mut names = HashSet::new();
    let known = (&s.sql, &s.fhir, &s.declared_fhir[..]);
    let reconcile = settled(c, &mut names, raw.reconcile, default_timeout);
    let reconcile = (reconcile.into_iter())
        .filter_map(|r| reconcile_check(c, r, known, &s.declared))
        .collect();
    let integrity = (raw.integrity.into_iter())
        .filter_map(|r| {
            claim(c, &mut names, &r.name);
            integrity::check(c, r, &s.sql, &s.declared, default_timeout)
        })
        .collect();
    let workflows = (raw.workflows.into_iter())
        .filter_map(|w| {
            claim(c, &mut names, &w.name);
            let known = workflows::Known {
                sql: &s.sql,
                fhir: &s.fhir,
                declared: &s.declared,
                declared_fhir: &s.declared_fhir,
                clinics: raw.clinics.as_deref().unwrap_or_default(),
            };
            workflows::check(c, w, &known, default_timeout)
        })
        .collect();
    let documents = settled(c, &mut names, raw.documents, default_timeout);
    let handoffs = (raw.handoffs).map(|h| settled(c, &mut names, h, default_timeout));
    Some(Config {
        path: path.to_path_buf(),
        server: raw.server?,
        store: raw.store?,
        scheduler: raw.scheduler?,
        sources: sources.sql,
        fhir_sources: sources.fhir,
        reconcile,
        clinics: raw.clinics?,
        feedback: raw.feedback?,
        integrity,
        workflows,
        workflow_metrics: raw.workflow_metrics?,
        alerting: raw.alerting?,
        documents,
        stabilization: raw.stabilization?,
        digests: raw.digests?,
        handoffs: handoffs?,
    })
}

/// Records a check name used before: it labels metrics and history.
fn claim(c: &mut Collector, seen: &mut HashSet<String>, name: &Spanned<String>) {
    if !seen.insert(name.get_ref().clone()) {
        c.at(
            name.span(),
            format!("check name `{}` is used twice", name.get_ref()),
            Some("every check needs its own name: it labels its metrics and history"),
        );
    }
}

/// Checks read by serde: each name claimed at its span, the scheduler's
/// default timeout filled in.
fn settled<T: Settle>(
    c: &mut Collector,
    names: &mut HashSet<String>,
    list: Vec<Spanned<T>>,
    default_timeout: Duration,
) -> Vec<T> {
    let settle = |item: Spanned<T>| {
        let span = item.span();
        let mut item = item.into_inner();
        let (name, timeout) = item.parts();
        // An invalid name is recorded already.
        if !name.as_str().is_empty() {
            claim(c, names, &Spanned::new(span, name.to_string()));
        }
        timeout.get_or_insert(default_timeout);
        item
    };
    list.into_iter().map(settle).collect()
}

/// A check read by serde: its name and its timeout, unset until loaded.
trait Settle {
    fn parts(&mut self) -> (&Name, &mut Option<Duration>);
}

impl Settle for ReconcileText {
    fn parts(&mut self) -> (&Name, &mut Option<Duration>) {
        (&self.name, &mut self.timeout)
    }
}

impl Settle for super::documents::DocumentsConfig {
    fn parts(&mut self) -> (&Name, &mut Option<Duration>) {
        (&self.name, &mut self.timeout)
    }
}

impl Settle for super::handoffs::HandoffConfig {
    fn parts(&mut self) -> (&Name, &mut Option<Duration>) {
        (&self.name, &mut self.timeout)
    }
}
