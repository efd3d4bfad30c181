//! Validating the admin credentials of `[server]`: secrets come only from
//! the environment or a file, never from the config text.

use super::super::Secret;
use super::super::admin::{AdminAuth, BasicAuth, IpNet};
use super::super::errors::Collector;
use super::super::raw::{RawServer, S};
use super::Env;

/// A shorter token or password is refused: it could be guessed.
const MIN_TOKEN: usize = 16;
const MIN_PASSWORD: usize = 8;
/// Headers a proxy must never be trusted to set as a user name.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "host",
    "content-type",
    "content-length",
];

pub(in crate::config) fn admin(c: &mut Collector, raw: &RawServer, env: Env) -> Option<AdminAuth> {
    let token = env_or_file(
        c,
        "admin_token",
        &raw.admin_token_env,
        &raw.admin_token_file,
        env,
    );
    let password = env_or_file(
        c,
        "admin_password",
        &raw.admin_password_env,
        &raw.admin_password_file,
        env,
    );
    let token = token.map(|t| {
        t.filter(|t| {
            long_enough(
                c,
                raw.admin_token_env
                    .as_ref()
                    .or(raw.admin_token_file.as_ref()),
                t,
                "admin token",
                MIN_TOKEN,
            )
        })
    });
    let password = password.map(|p| {
        p.filter(|p| {
            long_enough(
                c,
                raw.admin_password_env
                    .as_ref()
                    .or(raw.admin_password_file.as_ref()),
                p,
                "admin password",
                MIN_PASSWORD,
            )
        })
    });
    let basic = basic(c, raw, password?);
    let header = raw.trusted_user_header.as_ref().map(|h| header(c, h));
    let proxies = proxies(c, raw.trusted_proxies.as_deref().unwrap_or_default());
    if let (Some(h), Some(p)) = (&raw.trusted_user_header, &proxies)
        && p.is_empty()
    {
        c.at(
            h.span(),
            "trusted_user_header needs trusted_proxies",
            Some("list the reverse proxy's addresses, such as trusted_proxies = [\"127.0.0.1\"]: only they may name the user"),
        );
        return None;
    }
    Some(AdminAuth {
        token: token?,
        basic: basic?,
        trusted_user_header: header.map_or(Some(None), |h| h.map(Some))?,
        trusted_proxies: proxies?,
    })
}

fn long_enough(
    c: &mut Collector,
    at: Option<&S<String>>,
    value: &Secret,
    what: &str,
    min: usize,
) -> bool {
    if value.expose().chars().count() >= min {
        return true;
    }
    if let Some(at) = at {
        c.at(
            at.span(),
            format!("the {what} is shorter than {min} characters"),
            Some("generate one, such as with `openssl rand -hex 24`"),
        );
    }
    false
}

fn basic(
    c: &mut Collector,
    raw: &RawServer,
    password: Option<Secret>,
) -> Option<Option<BasicAuth>> {
    let given_password = raw.admin_password_env.is_some() || raw.admin_password_file.is_some();
    match (&raw.admin_user, password) {
        (None, None) if !given_password => Some(None),
        (Some(user), Some(password)) => {
            let name = user.get_ref().trim();
            if name.is_empty() || name.contains(':') || name.chars().any(char::is_control) {
                c.at(
                    user.span(),
                    "admin_user must be a non-empty name without `:`",
                    None,
                );
                return None;
            }
            Some(Some(BasicAuth {
                user: name.to_string(),
                password,
            }))
        }
        (Some(user), None) if !given_password => {
            c.at(
                user.span(),
                "admin_user needs a password",
                Some("set admin_password_env (a variable name) or admin_password_file (a path)"),
            );
            None
        }
        (None, _) => {
            let at = raw
                .admin_password_env
                .as_ref()
                .or(raw.admin_password_file.as_ref());
            if let Some(at) = at {
                c.at(at.span(), "an admin password needs admin_user", None);
            }
            None
        }
        // The password was given but could not be read: already reported.
        (Some(_), None) => None,
    }
}

fn header(c: &mut Collector, raw: &S<String>) -> Option<String> {
    let name = raw.get_ref().trim().to_ascii_lowercase();
    let token = !name.is_empty()
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(ch));
    if !token || RESERVED_HEADERS.contains(&name.as_str()) {
        c.at(
            raw.span(),
            format!("`{}` cannot be the trusted user header", raw.get_ref()),
            Some("use the header your proxy sets, such as X-Forwarded-User or X-Auth-Request-User"),
        );
        return None;
    }
    Some(name)
}

fn proxies(c: &mut Collector, raw: &[S<String>]) -> Option<Vec<IpNet>> {
    let mut out = Vec::new();
    let mut ok = true;
    for p in raw {
        match p.get_ref().parse::<IpNet>() {
            Ok(n) => out.push(n),
            Err(e) => {
                c.at(p.span(), e, Some("such as \"127.0.0.1\" or \"10.0.0.0/8\""));
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// A secret from `KEY_env` (a variable name) or `KEY_file` (a path), at most
/// one of them. `Some(None)` when neither is set; `None` on an error.
fn env_or_file(
    c: &mut Collector,
    key: &str,
    from_env: &Option<S<String>>,
    from_file: &Option<S<String>>,
    env: Env,
) -> Option<Option<Secret>> {
    match (from_env, from_file) {
        (Some(_), Some(f)) => {
            c.at(
                f.span(),
                format!("set only one of {key}_env and {key}_file"),
                None,
            );
            None
        }
        (Some(var), None) => match env(var.get_ref()) {
            Some(v) if !v.is_empty() => Some(Some(Secret::new(v))),
            _ => {
                c.at(
                    var.span(),
                    format!(
                        "{key}_env: environment variable `{}` is not set",
                        var.get_ref()
                    ),
                    None,
                );
                None
            }
        },
        (None, Some(file)) => match std::fs::read_to_string(file.get_ref()) {
            Ok(v) => Some(Some(Secret::new(v.trim_end_matches(['\n', '\r'])))),
            Err(e) => {
                c.at(
                    file.span(),
                    format!("{key}_file: cannot read `{}`: {e}", file.get_ref()),
                    None,
                );
                None
            }
        },
        (None, None) => Some(None),
    }
}
