//! OAuth2 client credentials on a FHIR source: `token_url`, `client_id`,
//! `client_secret_env` / `client_secret_file` (or `private_key_file` and
//! `key_id` for SMART Backend Services) and an optional `scope`.

use toml::Spanned;

use super::errors::Collector;
use super::raw::RawSource;
use super::validate::{Env, secret};
use super::{ClientAuth, FhirAuth};

/// `None` when no OAuth2 key is set; `Some(None)` after an error.
pub(super) fn oauth(
    c: &mut Collector,
    name: &Spanned<String>,
    raw: &RawSource,
    env: Env,
) -> Option<Option<FhirAuth>> {
    let any = raw.token_url.is_some()
        || raw.client_id.is_some()
        || raw.client_secret_env.is_some()
        || raw.client_secret_file.is_some()
        || raw.private_key_file.is_some()
        || raw.scope.is_some();
    if !any {
        return None;
    }
    let what = format!("source `{}`", name.get_ref());
    if raw.token_env.is_some() || raw.token_file.is_some() || raw.username.is_some() {
        c.at(
            name.span(),
            format!(
                "{what}: choose one of a bearer token, basic auth or OAuth2 client credentials"
            ),
            None,
        );
        return Some(None);
    }
    let client_secret = secret(
        c,
        &format!("{what} client secret"),
        (&None, &raw.client_secret_env, &raw.client_secret_file),
        env,
        None,
    )
    .flatten();
    let key = secret(
        c,
        &format!("{what} private key"),
        (&None, &None, &raw.private_key_file),
        env,
        None,
    )
    .flatten();
    let kid = raw.key_id.as_ref().map(|k| k.get_ref().clone());
    let secret = match (client_secret, key) {
        (Some(_), Some(_)) => {
            c.at(
                name.span(),
                format!("{what}: choose a client secret or a private key, not both"),
                None,
            );
            return Some(None);
        }
        (Some(s), None) => Some(ClientAuth::Secret(s)),
        (None, Some(pem)) => Some(ClientAuth::PrivateKey { pem, kid }),
        (None, None) => None,
    };
    let (Some(url), Some(id)) = (&raw.token_url, &raw.client_id) else {
        c.at(
            name.span(),
            format!("{what}: OAuth2 client credentials need `token_url`, `client_id` and a client secret"),
            Some("client_secret_env = \"VAR\" or client_secret_file = \"/path\""),
        );
        return Some(None);
    };
    let token_url = match url::Url::parse(url.get_ref()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        _ => {
            c.at(
                url.span(),
                format!("{what}: token_url must be an http(s) URL"),
                None,
            );
            None
        }
    };
    let Some(secret) = secret else {
        c.at(
            id.span(),
            format!("{what}: OAuth2 client credentials need a client secret or a private key"),
            Some("client_secret_env = \"VAR\", client_secret_file = \"/path\" or private_key_file = \"/path/key.pem\""),
        );
        return Some(None);
    };
    Some(token_url.map(|token_url| FhirAuth::OAuth2 {
        token_url,
        client_id: id.get_ref().clone(),
        secret,
        scope: raw.scope.as_ref().map(|s| s.get_ref().clone()),
    }))
}
