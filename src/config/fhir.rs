//! Validating FHIR R4 sources: `[sources.NAME] fhir = "https://…/fhir"`.

use std::time::Duration;

use toml::Spanned;

use super::errors::Collector;
use super::raw::RawSource;
use super::validate::{Env, duration, secret};
use super::{FhirAuth, FhirSourceConfig, Name};

pub(super) fn fhir_source(
    c: &mut Collector,
    name: &Spanned<String>,
    raw: RawSource,
    env: Env,
) -> Option<FhirSourceConfig> {
    let what = format!("source `{}`", name.get_ref());
    for key in [&raw.url, &raw.url_env, &raw.url_file]
        .into_iter()
        .flatten()
    {
        c.at(
            key.span(),
            format!("{what}: set `fhir` or a database `url`, not both"),
            None,
        );
    }
    if let Some(m) = &raw.max_connections {
        c.at(
            m.span(),
            "`max_connections` applies to database sources",
            None,
        );
    }
    let fhir = raw.fhir.as_ref()?;
    let base = match url::Url::parse(fhir.get_ref().trim_end_matches('/')) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        Ok(_) => {
            c.at(
                fhir.span(),
                format!("{what}: the FHIR base must be an http(s) URL"),
                None,
            );
            None
        }
        Err(e) => {
            c.at(
                fhir.span(),
                format!("{what}: the FHIR base is not a URL: {e}"),
                Some("such as https://ehr.example.org/fhir"),
            );
            None
        }
    };
    let token = secret(
        c,
        &format!("{what} token"),
        (&None, &raw.token_env, &raw.token_file),
        env,
        None,
    )
    .flatten();
    let password = secret(
        c,
        &format!("{what} password"),
        (&None, &raw.password_env, &raw.password_file),
        env,
        None,
    )
    .flatten();
    let oauth = super::fhir_oauth::oauth(c, name, &raw, env);
    let auth = match (token, &raw.username, password) {
        _ if oauth.is_some() => oauth.flatten(),
        (None, None, None) => Some(FhirAuth::None),
        (Some(t), None, None) => Some(FhirAuth::Bearer(t)),
        (None, Some(u), Some(p)) => Some(FhirAuth::Basic {
            username: u.get_ref().clone(),
            password: p,
        }),
        (Some(_), _, _) => {
            c.at(
                name.span(),
                format!("{what}: choose a bearer token or basic auth, not both"),
                None,
            );
            None
        }
        (None, _, _) => {
            c.at(
                name.span(),
                format!("{what}: basic auth needs both `username` and a password"),
                Some("password_env = \"VAR\" or password_file = \"/path\""),
            );
            None
        }
    };
    let connect_timeout = duration(c, &raw.connect_timeout, Duration::from_secs(5));
    let request_timeout = duration(c, &raw.statement_timeout, Duration::from_secs(60));
    Some(FhirSourceConfig {
        name: Name::parse(name.get_ref()).ok()?,
        base: base?,
        auth: auth?,
        connect_timeout: connect_timeout?,
        request_timeout: request_timeout?,
        max_retries: raw.max_retries.map_or(3, |r| *r.get_ref()),
        bulk: raw.bulk.map(|b| *b.get_ref()),
        max_response: (raw.max_response_mb.map_or(32, |r| *r.get_ref()).max(1) as usize)
            .saturating_mul(1 << 20),
    })
}
