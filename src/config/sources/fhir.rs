//! FHIR R4 sources: `[sources.NAME] fhir = "https://…/fhir"`.

use std::time::Duration;

use serde::de::Error;
use toml::Spanned;

use super::SourceText;
use crate::config::de::recover;
use crate::config::secrets::{SecretKeys, secret};
use crate::config::{Name, Secret};

/// A FHIR R4 server as a source.
#[derive(Debug, Clone)]
pub struct FhirSourceConfig {
    pub name: Name,
    /// The base URL, ending without `/`.
    pub base: url::Url,
    pub auth: FhirAuth,
    pub connect_timeout: Duration,
    /// Bound on one request, response body included.
    pub request_timeout: Duration,
    /// Retries after a 429, a 503 or a connection failure.
    pub max_retries: u32,
    /// Keyed diffs and inventories read resources by Bulk Data `$export`
    /// (`Some(true)`), by paged search (`Some(false)`), or by `$export`
    /// where the CapabilityStatement offers it (`None`).
    pub bulk: Option<bool>,
    /// Exports go to `Group/ID/$export` (the group's members and their
    /// compartments) instead of the system level: what EHRs that export
    /// only by group (Epic among them) ask for. Implies `bulk`.
    pub bulk_group: Option<String>,
    /// The largest response body read (a search page, an error), bytes.
    pub max_response: usize,
}

#[derive(Debug, Clone)]
pub enum FhirAuth {
    None,
    Bearer(Secret),
    Basic {
        username: String,
        password: Secret,
    },
    /// OAuth2 client credentials: a token fetched from `token_url` (client
    /// id and secret by HTTP basic auth, or a signed JWT assertion) and
    /// cached until shortly before it expires.
    OAuth2 {
        token_url: url::Url,
        client_id: String,
        secret: ClientAuth,
        scope: Option<String>,
    },
}

/// How an OAuth2 client proves who it is at the token endpoint.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// A shared secret, sent as HTTP basic auth.
    Secret(Secret),
    /// SMART Backend Services: a JWT assertion signed with this PKCS#8 PEM
    /// private key (RS384 or ES384), `kid` naming it in the client's JWKS.
    PrivateKey { pem: Secret, kid: Option<String> },
}

/// A secret from `KEY_env` or `KEY_file`; `None` when unset or unreadable.
pub(super) fn env_or_file<E: Error>(
    what: &str,
    env: &Option<Spanned<String>>,
    file: &Option<Spanned<String>>,
) -> Result<Option<Secret>, E> {
    let keys = SecretKeys {
        env: env.clone(),
        file: file.clone(),
        ..SecretKeys::default()
    };
    Ok(secret::<E>(what, &keys, None)?.flatten())
}

impl SourceText {
    /// Keys a FHIR source does not take.
    fn database_keys<E: Error>(&self, what: &str) -> Result<(), E> {
        for key in [&self.url, &self.url_env, &self.url_file]
            .into_iter()
            .flatten()
        {
            let message = format!("{what}: set `fhir` or a database `url`, not both");
            recover::<(), E>(key.span(), message, None, ())?;
        }
        if let Some(m) = &self.max_connections {
            let message = "`max_connections` applies to database sources";
            recover::<(), E>(m.span(), message, None, ())?;
        }
        Ok(())
    }

    pub(super) fn fhir_source<E: Error>(
        self,
        name: &Spanned<String>,
    ) -> Result<Option<FhirSourceConfig>, E> {
        let what = format!("source `{}`", name.get_ref());
        self.database_keys::<E>(&what)?;
        let Some(fhir) = &self.fhir else {
            return Ok(None);
        };
        let base = base::<E>(fhir, &what)?;
        let auth = self.auth::<E>(name, &what)?;
        let (Some(base), Some(auth), Ok(name)) = (base, auth, Name::parse(name.get_ref())) else {
            return Ok(None);
        };
        let (bulk, bulk_group) = self.bulk_keys::<E>(&what)?;
        let max_response_mb = self.max_response_mb.map_or(32, |r| *r.get_ref()).max(1);
        Ok(Some(FhirSourceConfig {
            name,
            base,
            auth,
            connect_timeout: self.connect_timeout,
            request_timeout: self.statement_timeout,
            max_retries: self.max_retries.map_or(3, |r| *r.get_ref()),
            bulk,
            bulk_group,
            max_response: (max_response_mb as usize).saturating_mul(1 << 20),
        }))
    }

    /// `bulk`, and `bulk_group` (a FHIR id, which turns `bulk` on and
    /// cannot go with `bulk = false`).
    fn bulk_keys<E: Error>(&self, what: &str) -> Result<(Option<bool>, Option<String>), E> {
        let bulk = self.bulk.as_ref().map(|b| *b.get_ref());
        let Some(group) = &self.bulk_group else {
            return Ok((bulk, None));
        };
        let id = group.get_ref();
        let id_chars = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        if id.is_empty() || id.len() > 64 || !id.chars().all(id_chars) {
            let message =
                format!("{what}: `bulk_group` must be a FHIR id (1-64 of A-Z a-z 0-9 - .)");
            let hint = Some("the Group's id, without `Group/`");
            return recover(group.span(), message, hint, (bulk, None));
        }
        if bulk == Some(false) {
            let message =
                format!("{what}: `bulk_group` exports by group; it cannot go with `bulk = false`");
            return recover(group.span(), message, None, (bulk, None));
        }
        Ok((Some(true), Some(id.clone())))
    }

    /// A bearer token, basic auth, OAuth2 client credentials or none.
    fn auth<E: Error>(&self, name: &Spanned<String>, what: &str) -> Result<Option<FhirAuth>, E> {
        let token = env_or_file::<E>(&format!("{what} token"), &self.token_env, &self.token_file)?;
        let password_what = format!("{what} password");
        let password = env_or_file::<E>(&password_what, &self.password_env, &self.password_file)?;
        if let Some(oauth) = self.oauth::<E>(name, what)? {
            return Ok(oauth);
        }
        match (token, &self.username, password) {
            (None, None, None) => Ok(Some(FhirAuth::None)),
            (Some(t), None, None) => Ok(Some(FhirAuth::Bearer(t))),
            (None, Some(u), Some(p)) => Ok(Some(FhirAuth::Basic {
                username: u.get_ref().clone(),
                password: p,
            })),
            (Some(_), _, _) => {
                let message = format!("{what}: choose a bearer token or basic auth, not both");
                recover(name.span(), message, None, None)
            }
            (None, _, _) => {
                let message = format!("{what}: basic auth needs both `username` and a password");
                let hint = Some("password_env = \"VAR\" or password_file = \"/path\"");
                recover(name.span(), message, hint, None)
            }
        }
    }
}

/// The base URL: http(s), without a trailing `/`.
fn base<E: Error>(fhir: &Spanned<String>, what: &str) -> Result<Option<url::Url>, E> {
    match url::Url::parse(fhir.get_ref().trim_end_matches('/')) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(u)),
        Ok(_) => {
            let message = format!("{what}: the FHIR base must be an http(s) URL");
            recover(fhir.span(), message, None, None)
        }
        Err(e) => {
            let message = format!("{what}: the FHIR base is not a URL: {e}");
            let hint = Some("such as https://ehr.example.org/fhir");
            recover(fhir.span(), message, hint, None)
        }
    }
}
