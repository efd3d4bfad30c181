//! Turning the raw sections into a typed [`Config`], collecting every mistake.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use super::errors::Collector;
use super::raw::{RawReconcile, RawSource, RawTolerance, S};
use super::reconcile::reconcile_check;
use super::{
    Config, CronSchedule, Engine, Name, SchedulerConfig, Secret, ServerConfig, SourceConfig,
    StoreConfig, Tolerance,
};

mod documents;
mod integrity;
mod workflows;

pub(super) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;
/// A secret's three spellings: `url`, `url_env` (a variable name), `url_file` (a path).
pub(super) type SecretFields<'a> = (
    &'a Option<S<String>>,
    &'a Option<S<String>>,
    &'a Option<S<String>>,
);

#[derive(Default)]
pub(super) struct RawConfig {
    pub server: Option<ServerConfig>,
    pub store: Option<StoreConfig>,
    pub scheduler: Option<SchedulerConfig>,
    /// Every declared source, `None` where its table did not deserialize.
    pub sources: Vec<(Spanned<String>, Option<RawSource>)>,
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
}

/// Builds the typed config; returns `None` only when an error was recorded.
pub(super) fn build(c: &mut Collector, raw: RawConfig, path: &Path, env: Env) -> Option<Config> {
    let server = raw.server;
    let feedback = raw.feedback;
    let clinics = raw.clinics;
    let store = raw.store;
    let scheduler = raw.scheduler;
    // References are checked against every declared source, valid or not,
    // so one broken source table does not also fail every check naming it.
    let declared: Vec<String> = raw
        .sources
        .iter()
        .map(|(n, _)| n.get_ref().clone())
        .collect();
    let declared_fhir: Vec<String> = raw
        .sources
        .iter()
        .filter(|(_, s)| s.as_ref().is_some_and(|s| s.fhir.is_some()))
        .map(|(n, _)| n.get_ref().clone())
        .collect();
    let mut sources = BTreeMap::new();
    let mut fhir_sources = BTreeMap::new();
    for (name, src) in raw.sources {
        let parsed = name_at(c, &name, "source");
        match src {
            Some(src) if src.fhir.is_some() => {
                if let (Some(n), Some(f)) = (parsed, super::fhir::fhir_source(c, &name, src, env)) {
                    fhir_sources.insert(n, f);
                }
            }
            src => {
                if let (Some(n), Some(s)) = (parsed, src.and_then(|src| source(c, &name, src, env)))
                {
                    sources.insert(n, s);
                }
            }
        }
    }
    let default_timeout = scheduler
        .as_ref()
        .map_or(Duration::from_secs(300), |s| s.default_timeout);
    let mut check_names: HashMap<String, ()> = HashMap::new();
    let mut reconcile = Vec::new();
    for r in raw.reconcile {
        if check_names.insert(r.name.get_ref().clone(), ()).is_some() {
            c.at(
                r.name.span(),
                format!("check name `{}` is used twice", r.name.get_ref()),
                Some("every check needs its own name: it labels its metrics and history"),
            );
        }
        if let Some(rc) = reconcile_check(
            c,
            r,
            (&sources, &fhir_sources, &declared_fhir),
            &declared,
            default_timeout,
        ) {
            reconcile.push(rc);
        }
    }
    let mut integrity = Vec::new();
    for r in raw.integrity {
        if check_names.insert(r.name.get_ref().clone(), ()).is_some() {
            c.at(
                r.name.span(),
                format!("check name `{}` is used twice", r.name.get_ref()),
                Some("every check needs its own name: it labels its metrics and history"),
            );
        }
        integrity.extend(integrity::check(c, r, &sources, &declared, default_timeout));
    }
    let mut workflows = Vec::new();
    for w in raw.workflows {
        if check_names.insert(w.name.get_ref().clone(), ()).is_some() {
            c.at(
                w.name.span(),
                format!("check name `{}` is used twice", w.name.get_ref()),
                Some("every check needs its own name: it labels its metrics and history"),
            );
        }
        let known = workflows::Known {
            sql: &sources,
            fhir: &fhir_sources,
            declared: &declared,
            declared_fhir: &declared_fhir,
        };
        workflows.extend(workflows::check(c, w, &known, default_timeout));
    }
    let mut documents = Vec::new();
    for r in raw.documents {
        if check_names.insert(r.name.get_ref().clone(), ()).is_some() {
            c.at(
                r.name.span(),
                format!("check name `{}` is used twice", r.name.get_ref()),
                Some("every check needs its own name: it labels its metrics and history"),
            );
        }
        documents.extend(documents::check(
            c,
            r,
            (&sources, &fhir_sources),
            &declared,
            default_timeout,
            env,
        ));
    }
    let workflow_metrics = raw.workflow_metrics;
    Some(Config {
        path: path.to_path_buf(),
        server: server?,
        store: store?,
        scheduler: scheduler?,
        sources,
        fhir_sources,
        reconcile,
        clinics: clinics?,
        feedback: feedback?,
        integrity,
        workflows,
        workflow_metrics: workflow_metrics?,
        alerting: raw.alerting?,
        documents,
        stabilization: raw.stabilization?,
        digests: raw.digests?,
    })
}

fn source(
    c: &mut Collector,
    name: &Spanned<String>,
    raw: RawSource,
    env: Env,
) -> Option<SourceConfig> {
    for key in [
        &raw.token_env,
        &raw.token_file,
        &raw.username,
        &raw.password_env,
        &raw.password_file,
        &raw.token_url,
        &raw.client_id,
        &raw.client_secret_env,
        &raw.client_secret_file,
        &raw.private_key_file,
        &raw.key_id,
        &raw.scope,
    ]
    .into_iter()
    .flatten()
    {
        c.at(
            key.span(),
            "this key applies to FHIR sources (with `fhir`)",
            None,
        );
    }
    for r in [&raw.max_retries, &raw.max_response_mb]
        .into_iter()
        .flatten()
    {
        c.at(
            r.span(),
            "`max_retries` and `max_response_mb` apply to FHIR sources (with `fhir`)",
            None,
        );
    }
    if let Some(b) = &raw.bulk {
        c.at(
            b.span(),
            "`bulk` applies to FHIR sources (with `fhir`)",
            None,
        );
    }
    let what = format!("source `{}`", name.get_ref());
    let url = secret(
        c,
        &format!("{what} url"),
        (&raw.url, &raw.url_env, &raw.url_file),
        env,
        Some(name.span()),
    )?;
    let span = raw
        .url
        .as_ref()
        .or(raw.url_env.as_ref())
        .or(raw.url_file.as_ref())
        .map_or(name.span(), |s| s.span());
    let engine = url.as_ref().and_then(|u| {
        let engine = Engine::from_url(u.expose());
        match engine {
            None => c.at(
                span.clone(),
                format!("{what}: the URL scheme is not a database this build supports"),
                Some("use postgres://, mysql:// (or mariadb://) or sqlite://"),
            ),
            Some(Engine::Postgres | Engine::MySql) => {
                if let Err(e) = url::Url::parse(u.expose()) {
                    c.at(
                        span.clone(),
                        format!("{what}: the URL is malformed: {e}"),
                        None,
                    );
                }
            }
            Some(Engine::Sqlite) => {}
        }
        engine
    });
    // A SQLite file is local and each connection is a thread: 2 suffice.
    let default_pool = if engine == Some(Engine::Sqlite) { 2 } else { 4 };
    let max_connections = positive(c, &raw.max_connections, default_pool);
    let connect_timeout = duration(c, &raw.connect_timeout, Duration::from_secs(5));
    let statement_timeout = duration(c, &raw.statement_timeout, Duration::from_secs(60));
    Some(SourceConfig {
        name: Name::parse(name.get_ref()).ok()?,
        engine: engine?,
        url: url?,
        max_connections: max_connections?,
        connect_timeout: connect_timeout?,
        statement_timeout: statement_timeout?,
        read_only: raw.read_only.unwrap_or(true),
    })
}

pub(super) fn name_at(c: &mut Collector, raw: &Spanned<String>, what: &str) -> Option<Name> {
    Name::parse(raw.get_ref())
        .map_err(|e| {
            c.at(
                raw.span(),
                format!("{what} name {e}"),
                Some("names become metric labels and URL parts"),
            )
        })
        .ok()
}

pub(super) fn cron(c: &mut Collector, raw: &S<String>) -> Option<CronSchedule> {
    raw.get_ref()
        .parse()
        .map_err(|e| {
            c.at(
                raw.span(),
                format!("`{}` is not a cron schedule: {e}", raw.get_ref()),
                Some("six fields, seconds first: \"0 */5 * * * *\" runs every five minutes"),
            )
        })
        .ok()
}

pub(super) fn duration(
    c: &mut Collector,
    raw: &Option<S<String>>,
    default: Duration,
) -> Option<Duration> {
    let Some(raw) = raw else { return Some(default) };
    let parsed = humantime::parse_duration(raw.get_ref())
        .map_err(|e| {
            c.at(
                raw.span(),
                format!("`{}` is not a duration: {e}", raw.get_ref()),
                Some("write a number with a unit, such as 500ms, 30s, 5m, 2h or 90d"),
            )
        })
        .ok()?;
    if parsed > super::values::MAX_DURATION {
        c.at(
            raw.span(),
            format!("`{}` is longer than 100 years", raw.get_ref()),
            Some("durations are at most 100y; dates are computed from them"),
        );
        return None;
    }
    Some(parsed)
}

/// Whether a query from config is one statement; if not, says so at its line.
pub(super) fn one_statement_at(c: &mut Collector, raw: &S<String>) -> bool {
    match super::integrity::one_statement(raw.get_ref()) {
        Ok(()) => true,
        Err(e) => {
            c.at(
                raw.span(),
                e,
                Some(
                    "hypercare only reads: write one SELECT, without a second statement after `;`",
                ),
            );
            false
        }
    }
}

pub(super) fn positive(c: &mut Collector, raw: &Option<S<u32>>, default: u32) -> Option<u32> {
    match raw {
        None => Some(default),
        Some(v) if *v.get_ref() == 0 => {
            c.at(v.span(), "must be at least 1", None);
            None
        }
        Some(v) => Some(*v.get_ref()),
    }
}

pub(super) fn tolerance(c: &mut Collector, raw: Option<&S<RawTolerance>>) -> Option<Tolerance> {
    let Some(raw) = raw else {
        return Some(Tolerance::Absolute(0));
    };
    let parsed = match raw.get_ref() {
        RawTolerance::Absolute(n) => u64::try_from(*n).ok().map(Tolerance::Absolute),
        RawTolerance::Text(t) => super::values::tolerance_text(t),
    };
    if parsed.is_none() {
        c.at(
            raw.span(),
            "tolerance must be a count of records or a percentage",
            Some("write tolerance = 5 (records) or tolerance = \"0.5%\" (of the source count)"),
        );
    }
    parsed
}

/// Resolves a secret given as a literal, an environment variable name or a
/// file path; exactly one may be set. `Ok(None)` when none is and it is optional.
pub(super) fn secret(
    c: &mut Collector,
    what: &str,
    (literal, from_env, from_file): SecretFields,
    env: Env,
    required_at: Option<std::ops::Range<usize>>,
) -> Option<Option<Secret>> {
    let given = [literal, from_env, from_file]
        .iter()
        .filter(|o| o.is_some())
        .count();
    if given > 1 {
        let span = from_env
            .as_ref()
            .or(from_file.as_ref())
            .map(|s| s.span())
            .unwrap_or_default();
        c.at(
            span,
            format!("{what}: set only one of its plain, `_env` and `_file` forms"),
            None,
        );
        return Some(None);
    }
    if let Some(l) = literal {
        return Some(Some(Secret::new(l.get_ref().clone())));
    }
    if let Some(var) = from_env {
        return match env(var.get_ref()) {
            Some(v) => Some(Some(Secret::new(v))),
            None => {
                c.at(
                    var.span(),
                    format!(
                        "{what}: environment variable `{}` is not set",
                        var.get_ref()
                    ),
                    None,
                );
                Some(None)
            }
        };
    }
    if let Some(file) = from_file {
        return match std::fs::read_to_string(file.get_ref()) {
            Ok(v) => Some(Some(Secret::new(v.trim_end_matches(['\n', '\r'])))),
            Err(e) => {
                c.at(
                    file.span(),
                    format!("{what}: cannot read `{}`: {e}", file.get_ref()),
                    None,
                );
                Some(None)
            }
        };
    }
    if let Some(span) = required_at {
        c.at(
            span,
            format!("{what} is missing"),
            Some("set url, url_env (a variable name) or url_file (a path)"),
        );
        return Some(None);
    }
    None
}
