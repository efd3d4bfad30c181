//! Reading the admin credentials of `[server]`: secrets come only from the
//! environment or a file, never from the config text.

use serde::de;
use toml::Spanned;

use super::{AdminAuth, BasicAuth, IpNet};
use crate::config::Secret;
use crate::config::de::recover;
use crate::config::secrets::env_or_file;

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

type S = Spanned<String>;

/// The admin keys of `[server]` as written.
pub(in crate::config) struct AdminText {
    pub token_env: Option<S>,
    pub token_file: Option<S>,
    pub user: Option<S>,
    pub password_env: Option<S>,
    pub password_file: Option<S>,
    pub trusted_user_header: Option<S>,
    pub trusted_proxies: Vec<S>,
}

/// The credentials; `None` once a mistake is recorded.
pub(in crate::config) fn read<E: de::Error>(t: AdminText) -> Result<Option<AdminAuth>, E> {
    let token = env_or_file::<E>("admin_token", &t.token_env, &t.token_file)?;
    let password = env_or_file::<E>("admin_password", &t.password_env, &t.password_file)?;
    let token_at = t.token_env.as_ref().or(t.token_file.as_ref());
    let token = match token {
        Some(Some(v)) if !long_enough::<E>(token_at, &v, "admin token", MIN_TOKEN)? => Some(None),
        token => token,
    };
    let password_at = t.password_env.as_ref().or(t.password_file.as_ref());
    let password = match password {
        Some(Some(v)) if !long_enough::<E>(password_at, &v, "admin password", MIN_PASSWORD)? => {
            Some(None)
        }
        password => password,
    };
    let Some(password) = password else {
        return Ok(None);
    };
    let basic = basic::<E>(&t, password)?;
    let header = t
        .trusted_user_header
        .as_ref()
        .map(header::<E>)
        .transpose()?;
    let proxies = proxies::<E>(&t.trusted_proxies)?;
    if let (Some(h), Some(p)) = (&t.trusted_user_header, &proxies)
        && p.is_empty()
    {
        let hint = "list the reverse proxy's addresses, such as trusted_proxies = [\"127.0.0.1\"]: only they may name the user";
        let message = "trusted_user_header needs trusted_proxies";
        return recover(h.span(), message, Some(hint), None);
    }
    let (Some(token), Some(basic), Some(trusted_proxies)) = (token, basic, proxies) else {
        return Ok(None);
    };
    let trusted_user_header = match header {
        Some(None) => return Ok(None),
        header => header.flatten(),
    };
    Ok(Some(AdminAuth {
        token,
        basic,
        trusted_user_header,
        trusted_proxies,
    }))
}

fn long_enough<E: de::Error>(
    at: Option<&S>,
    value: &Secret,
    what: &str,
    min: usize,
) -> Result<bool, E> {
    if value.expose().chars().count() >= min {
        return Ok(true);
    }
    if let Some(at) = at {
        let message = format!("the {what} is shorter than {min} characters");
        let hint = Some("generate one, such as with `openssl rand -hex 24`");
        recover::<(), E>(at.span(), message, hint, ())?;
    }
    Ok(false)
}

fn basic<E: de::Error>(
    t: &AdminText,
    password: Option<Secret>,
) -> Result<Option<Option<BasicAuth>>, E> {
    let given_password = t.password_env.is_some() || t.password_file.is_some();
    match (&t.user, password) {
        (None, None) if !given_password => Ok(Some(None)),
        (Some(user), Some(password)) => {
            let name = user.get_ref().trim();
            if name.is_empty() || name.contains(':') || name.chars().any(char::is_control) {
                let message = "admin_user must be a non-empty name without `:`";
                return recover(user.span(), message, None, None);
            }
            Ok(Some(Some(BasicAuth {
                user: name.to_string(),
                password,
            })))
        }
        (Some(user), None) if !given_password => {
            let hint = "set admin_password_env (a variable name) or admin_password_file (a path)";
            recover(user.span(), "admin_user needs a password", Some(hint), None)
        }
        (None, _) => match t.password_env.as_ref().or(t.password_file.as_ref()) {
            Some(at) => recover(at.span(), "an admin password needs admin_user", None, None),
            None => Ok(None),
        },
        // The password was given but could not be read: already reported.
        (Some(_), None) => Ok(None),
    }
}

fn header<E: de::Error>(raw: &S) -> Result<Option<String>, E> {
    let name = raw.get_ref().trim().to_ascii_lowercase();
    let token = !name.is_empty()
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(ch));
    if !token || RESERVED_HEADERS.contains(&name.as_str()) {
        let message = format!("`{}` cannot be the trusted user header", raw.get_ref());
        let hint =
            "use the header your proxy sets, such as X-Forwarded-User or X-Auth-Request-User";
        return recover(raw.span(), message, Some(hint), None);
    }
    Ok(Some(name))
}

fn proxies<E: de::Error>(raw: &[S]) -> Result<Option<Vec<IpNet>>, E> {
    let mut out = Some(Vec::new());
    for p in raw {
        match p.get_ref().parse::<IpNet>() {
            Ok(n) => out.iter_mut().for_each(|o| o.push(n)),
            Err(e) => {
                let hint = Some("such as \"127.0.0.1\" or \"10.0.0.0/8\"");
                out = recover(p.span(), e, hint, None)?;
            }
        }
    }
    Ok(out)
}
