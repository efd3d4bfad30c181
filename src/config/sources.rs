//! `[sources.NAME]`: the databases and FHIR servers checks read from. A
//! table with `fhir` is a FHIR R4 server (see `sources/fhir.rs`); any
//! other is a database reached by its URL.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use serde::de::Error;
use toml::Spanned;

use super::de::recover;
use super::secrets::{SecretKeys, secret};
use super::{Name, Secret, values};

mod fhir;
mod oauth;

pub use fhir::{ClientAuth, FhirAuth, FhirSourceConfig};

/// The database engine of a SQL source, from its URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    MySql,
    Sqlite,
}

impl Engine {
    pub fn from_url(url: &str) -> Option<Engine> {
        let scheme = url
            .split_once("://")
            .map(|(s, _)| s)
            .or_else(|| url.split_once(':').map(|(s, _)| s))?;
        match scheme {
            "postgres" | "postgresql" => Some(Engine::Postgres),
            "mysql" | "mariadb" => Some(Engine::MySql),
            "sqlite" => Some(Engine::Sqlite),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::MySql => "mysql",
            Engine::Sqlite => "sqlite",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: Name,
    pub engine: Engine,
    pub url: Secret,
    pub max_connections: u32,
    /// Bound on waiting for a connection (connecting included).
    pub connect_timeout: Duration,
    /// Bound on one statement, enforced by the server where it can and by us always.
    pub statement_timeout: Duration,
    /// Open sessions read-only where the engine allows.
    pub read_only: bool,
}

/// Every `[sources.NAME]`, by kind.
#[derive(Default)]
pub(super) struct Sources {
    pub sql: BTreeMap<Name, SourceConfig>,
    pub fhir: BTreeMap<Name, FhirSourceConfig>,
    /// Every declared name, and those with `fhir`, read or not: a check
    /// naming a source whose table is broken is not also reported.
    pub declared: Vec<String>,
    pub declared_fhir: Vec<String>,
}

/// A source read from its table: a database or a FHIR server.
pub(super) enum Source {
    Sql(SourceConfig),
    Fhir(Box<FhirSourceConfig>),
}

type S<T> = Spanned<T>;

/// A `[sources.NAME]` table as written: the keys of both kinds, each read by
/// the kind that takes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceText {
    url: Option<S<String>>,
    url_env: Option<S<String>>,
    url_file: Option<S<String>>,
    max_connections: Option<S<u32>>,
    #[serde(default = "values::secs::<5>", deserialize_with = "values::duration")]
    connect_timeout: Duration,
    #[serde(default = "values::secs::<60>", deserialize_with = "values::duration")]
    statement_timeout: Duration,
    read_only: Option<bool>,
    /// A FHIR R4 base URL instead of a database URL.
    fhir: Option<S<String>>,
    token_env: Option<S<String>>,
    token_file: Option<S<String>>,
    username: Option<S<String>>,
    password_env: Option<S<String>>,
    password_file: Option<S<String>>,
    max_retries: Option<S<u32>>,
    bulk: Option<S<bool>>,
    bulk_group: Option<S<String>>,
    max_response_mb: Option<S<u32>>,
    token_url: Option<S<String>>,
    client_id: Option<S<String>>,
    client_secret_env: Option<S<String>>,
    client_secret_file: Option<S<String>>,
    private_key_file: Option<S<String>>,
    key_id: Option<S<String>>,
    scope: Option<S<String>>,
}

impl SourceText {
    /// The source named `name`; `None` once a mistake is recorded.
    pub(super) fn typed<E: Error>(self, name: &Spanned<String>) -> Result<Option<Source>, E> {
        if self.fhir.is_some() {
            return Ok(self
                .fhir_source::<E>(name)?
                .map(|f| Source::Fhir(Box::new(f))));
        }
        Ok(self.sql::<E>(name)?.map(Source::Sql))
    }

    fn url_keys(&self) -> SecretKeys {
        SecretKeys {
            plain: self.url.clone(),
            env: self.url_env.clone(),
            file: self.url_file.clone(),
        }
    }

    /// Keys a database source does not take.
    fn fhir_keys<E: Error>(&self) -> Result<(), E> {
        let only_fhir = [&self.token_env, &self.token_file, &self.username];
        let only_fhir = only_fhir
            .into_iter()
            .chain([&self.password_env, &self.password_file]);
        let oauth = [&self.token_url, &self.client_id, &self.client_secret_env];
        let oauth = oauth
            .into_iter()
            .chain([&self.client_secret_file, &self.private_key_file]);
        for key in only_fhir
            .chain(oauth)
            .chain([&self.key_id, &self.scope])
            .flatten()
        {
            let message = "this key applies to FHIR sources (with `fhir`)";
            recover::<(), E>(key.span(), message, None, ())?;
        }
        for r in [&self.max_retries, &self.max_response_mb]
            .into_iter()
            .flatten()
        {
            let message = "`max_retries` and `max_response_mb` apply to FHIR sources (with `fhir`)";
            recover::<(), E>(r.span(), message, None, ())?;
        }
        let bulk = self.bulk.as_ref().map(Spanned::span);
        for span in bulk
            .into_iter()
            .chain(self.bulk_group.as_ref().map(Spanned::span))
        {
            let message = "`bulk` and `bulk_group` apply to FHIR sources (with `fhir`)";
            recover::<(), E>(span, message, None, ())?;
        }
        Ok(())
    }

    fn sql<E: Error>(self, name: &Spanned<String>) -> Result<Option<SourceConfig>, E> {
        self.fhir_keys::<E>()?;
        let what = format!("source `{}`", name.get_ref());
        let keys = self.url_keys();
        let url = secret::<E>(&format!("{what} url"), &keys, Some(name.span()))?.flatten();
        let span = keys.span().unwrap_or(name.span());
        let engine = match &url {
            Some(u) => engine::<E>(u, &what, span)?,
            None => None,
        };
        // A SQLite file is local and each connection is a thread: 2 suffice.
        let default_pool = if engine == Some(Engine::Sqlite) { 2 } else { 4 };
        let max_connections = positive::<E>(&self.max_connections, default_pool)?;
        let (Some(url), Some(engine), Ok(name)) = (url, engine, Name::parse(name.get_ref())) else {
            return Ok(None);
        };
        Ok(Some(SourceConfig {
            name,
            engine,
            url,
            max_connections,
            connect_timeout: self.connect_timeout,
            statement_timeout: self.statement_timeout,
            read_only: self.read_only.unwrap_or(true),
        }))
    }
}

/// The engine a database URL names, recording a URL this build cannot use.
fn engine<E: Error>(url: &Secret, what: &str, span: Range<usize>) -> Result<Option<Engine>, E> {
    let engine = Engine::from_url(url.expose());
    match engine {
        None => {
            let message = format!("{what}: the URL scheme is not a database this build supports");
            let hint = Some("use postgres://, mysql:// (or mariadb://) or sqlite://");
            recover::<(), E>(span, message, hint, ())?;
        }
        Some(Engine::Postgres | Engine::MySql) => {
            if let Err(e) = url::Url::parse(url.expose()) {
                let message = format!("{what}: the URL is malformed: {e}");
                recover::<(), E>(span, message, None, ())?;
            }
        }
        Some(Engine::Sqlite) => {}
    }
    Ok(engine)
}

/// A count of at least 1, `default` when unset.
fn positive<E: Error>(v: &Option<S<u32>>, default: u32) -> Result<u32, E> {
    match v {
        None => Ok(default),
        Some(v) if *v.get_ref() == 0 => recover(v.span(), "must be at least 1", None, 1),
        Some(v) => Ok(*v.get_ref()),
    }
}
