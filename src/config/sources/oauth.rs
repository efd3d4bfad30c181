//! OAuth2 client credentials on a FHIR source: `token_url`, `client_id`,
//! `client_secret_env` / `client_secret_file` (or `private_key_file` and
//! `key_id` for SMART Backend Services) and an optional `scope`.

use serde::de::Error;
use toml::Spanned;

use super::SourceText;
use super::fhir::{ClientAuth, FhirAuth, env_or_file};
use crate::config::de::recover;

impl SourceText {
    /// `None` when no OAuth2 key is set; `Some(None)` after a mistake.
    pub(super) fn oauth<E: Error>(
        &self,
        name: &Spanned<String>,
        what: &str,
    ) -> Result<Option<Option<FhirAuth>>, E> {
        let any = [&self.token_url, &self.client_id, &self.client_secret_env]
            .into_iter()
            .chain([
                &self.client_secret_file,
                &self.private_key_file,
                &self.scope,
            ])
            .any(|k| k.is_some());
        if !any {
            return Ok(None);
        }
        if self.token_env.is_some() || self.token_file.is_some() || self.username.is_some() {
            let message = format!(
                "{what}: choose one of a bearer token, basic auth or OAuth2 client credentials"
            );
            return recover(name.span(), message, None, Some(None));
        }
        let Some(secret) = self.client_auth::<E>(name, what)? else {
            return Ok(Some(None));
        };
        let (Some(url), Some(id)) = (&self.token_url, &self.client_id) else {
            let message = format!(
                "{what}: OAuth2 client credentials need `token_url`, `client_id` and a client secret"
            );
            let hint = Some("client_secret_env = \"VAR\" or client_secret_file = \"/path\"");
            return recover(name.span(), message, hint, Some(None));
        };
        let token_url = match url::Url::parse(url.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
            _ => {
                let message = format!("{what}: token_url must be an http(s) URL");
                recover(url.span(), message, None, None)?
            }
        };
        let Some(secret) = secret else {
            let message =
                format!("{what}: OAuth2 client credentials need a client secret or a private key");
            let hint = Some(
                "client_secret_env = \"VAR\", client_secret_file = \"/path\" or private_key_file = \"/path/key.pem\"",
            );
            return recover(id.span(), message, hint, Some(None));
        };
        Ok(Some(token_url.map(|token_url| FhirAuth::OAuth2 {
            token_url,
            client_id: id.get_ref().clone(),
            secret,
            scope: self.scope.as_ref().map(|s| s.get_ref().clone()),
        })))
    }

    /// A client secret, a private key or neither; `None` when both are set (recorded).
    fn client_auth<E: Error>(
        &self,
        name: &Spanned<String>,
        what: &str,
    ) -> Result<Option<Option<ClientAuth>>, E> {
        let secret_what = format!("{what} client secret");
        let (env, file) = (&self.client_secret_env, &self.client_secret_file);
        let client_secret = env_or_file::<E>(&secret_what, env, file)?;
        let key = env_or_file::<E>(
            &format!("{what} private key"),
            &None,
            &self.private_key_file,
        )?;
        let kid = self.key_id.as_ref().map(|k| k.get_ref().clone());
        Ok(Some(match (client_secret, key) {
            (Some(_), Some(_)) => {
                let message = format!("{what}: choose a client secret or a private key, not both");
                return recover(name.span(), message, None, None);
            }
            (Some(s), None) => Some(ClientAuth::Secret(s)),
            (None, Some(pem)) => Some(ClientAuth::PrivateKey { pem, kid }),
            (None, None) => None,
        }))
    }
}
