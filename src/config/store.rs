//! `[store]`: where hypercare keeps its history.

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::de::recover;
use super::secrets::{SecretKeys, secret};
use super::{DEFAULT_STORE_URL, Engine, Secret, values};

#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://…` or `postgres://…`; may carry a password, hence secret.
    pub url: Secret,
    /// Runs older than this are deleted.
    pub retention: Duration,
    pub max_connections: u32,
}

impl StoreConfig {
    pub fn is_postgres(&self) -> bool {
        Engine::from_url(self.url.expose()) == Some(Engine::Postgres)
    }
}

/// `[store]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreText {
    url: Option<Spanned<String>>,
    url_env: Option<Spanned<String>>,
    url_file: Option<Spanned<String>>,
    #[serde(
        default = "values::secs::<7_776_000>",
        deserialize_with = "values::duration"
    )]
    retention: Duration,
    #[serde(default, deserialize_with = "some_positive")]
    max_connections: Option<u32>,
}

fn some_positive<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    values::positive(d).map(Some)
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: Secret::new(DEFAULT_STORE_URL),
            retention: values::secs::<7_776_000>(),
            max_connections: 2,
        }
    }
}

impl<'de> Deserialize<'de> for StoreConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = StoreText::deserialize(d)?;
        let keys = SecretKeys {
            plain: t.url,
            env: t.url_env,
            file: t.url_file,
        };
        let url = secret::<D::Error>("store url", &keys, None)?;
        let url = url.unwrap_or_else(|| Some(Secret::new(DEFAULT_STORE_URL)));
        let engine = url.as_ref().and_then(|u| Engine::from_url(u.expose()));
        if let (Some(_), Some(span)) = (&url, keys.span())
            && !matches!(engine, Some(Engine::Sqlite | Engine::Postgres))
        {
            let hint = Some("e.g. sqlite://data/hypercare.db");
            let message = "the store must be a sqlite:// or postgres:// URL";
            recover::<(), D::Error>(span, message, hint, ())?;
        }
        // SQLite serializes writes and every connection costs a worker thread:
        // a small pool is faster and lighter. PostgreSQL serves replicas and the API.
        let default_pool = if engine == Some(Engine::Sqlite) { 2 } else { 5 };
        Ok(StoreConfig {
            url: url.unwrap_or_else(|| Secret::new(DEFAULT_STORE_URL)),
            retention: t.retention,
            max_connections: t.max_connections.unwrap_or(default_pool),
        })
    }
}
