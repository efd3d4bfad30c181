//! Turning the raw sections into a typed [`Config`], collecting every mistake.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use super::errors::Collector;
use super::raw::RawReconcile;
use super::reconcile::reconcile_check;
use super::{Config, SchedulerConfig, ServerConfig, StoreConfig};

mod documents;
pub(super) mod fields;
mod integrity;
mod workflows;

pub(super) use fields::{
    Env, cron, duration, name_at, one_statement_at, positive, secret, tolerance,
};

#[derive(Default)]
pub(super) struct RawConfig {
    pub server: Option<ServerConfig>,
    pub store: Option<StoreConfig>,
    pub scheduler: Option<SchedulerConfig>,
    pub sources: Option<super::sources::Sources>,
    pub reconcile: Vec<RawReconcile>,
    pub feedback: Option<super::feedback::FeedbackConfig>,
    pub clinics: Option<Vec<super::feedback::Clinic>>,
    pub integrity: Vec<super::raw::RawIntegrity>,
    pub workflows: Vec<super::raw::RawWorkflow>,
    pub workflow_metrics: Option<super::WorkflowMetricsConfig>,
    pub alerting: Option<super::AlertingSections>,
    pub documents: Vec<super::raw::RawDocuments>,
    pub stabilization: Option<super::stabilization::StabilizationConfig>,
    pub digests: Option<Vec<super::stabilization::DigestConfig>>,
    pub handoffs: Option<Vec<Spanned<super::handoffs::HandoffConfig>>>,
}

/// Builds the typed config; returns `None` only when an error was recorded.
pub(super) fn build(c: &mut Collector, raw: RawConfig, path: &Path, env: Env) -> Option<Config> {
    let sources = raw.sources.unwrap_or_default();
    let s = &sources;
    let default_timeout =
        (raw.scheduler.as_ref()).map_or(Duration::from_secs(300), |s| s.default_timeout);
    let mut names = HashSet::new();
    let reconcile = (raw.reconcile.into_iter())
        .filter_map(|r| {
            claim(c, &mut names, &r.name);
            let known = (&s.sql, &s.fhir, &s.declared_fhir[..]);
            reconcile_check(c, r, known, &s.declared, default_timeout)
        })
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
    let documents = (raw.documents.into_iter())
        .filter_map(|r| {
            claim(c, &mut names, &r.name);
            let known = (&s.sql, &s.fhir);
            documents::check(c, r, known, &s.declared, default_timeout, env)
        })
        .collect();
    let handoffs = raw.handoffs.map(|list| {
        let list = list.into_iter().inspect(|h| {
            let name = Spanned::new(h.span(), h.get_ref().name.to_string());
            claim(c, &mut names, &name);
        });
        handoffs(list, default_timeout)
    });
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

/// `[[handoffs]]`, read by serde: the scheduler's default timeout filled in.
fn handoffs(
    list: impl Iterator<Item = Spanned<super::handoffs::HandoffConfig>>,
    default_timeout: Duration,
) -> Vec<super::handoffs::HandoffConfig> {
    list.map(|h| {
        let mut h = h.into_inner();
        h.timeout.get_or_insert(default_timeout);
        h
    })
    .collect()
}
