//! Authentication for `/admin` and `/api/v1`: a trusted proxy's user header,
//! a bearer token, or basic auth, compared in constant time. Clients that
//! keep presenting wrong credentials are turned away for a while.

use std::net::IpAddr;
use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::client::{Peer, client_ip};
use super::page;
use super::state::AppState;
use crate::config::AdminAuth;

/// Who is signed in; recorded in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No credentials are configured: nobody may enter.
    NotConfigured,
    Missing,
    Invalid,
    /// The trusted proxy's user header came more than once: a proxy that
    /// appends rather than replaces would let the client's copy win.
    Repeated,
}

const LONGEST_USER: usize = 200;

/// Checks a request's credentials against the config.
pub fn authenticate(
    auth: &AdminAuth,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
) -> Result<Actor, AuthError> {
    if !auth.is_configured() {
        return Err(AuthError::NotConfigured);
    }
    if let (Some(name), Some(peer)) = (&auth.trusted_user_header, peer)
        && auth.is_trusted_proxy(peer)
        && headers.get_all(name.as_str()).iter().nth(1).is_some()
    {
        return Err(AuthError::Repeated);
    }
    if let (Some(name), Some(peer)) = (&auth.trusted_user_header, peer)
        && auth.is_trusted_proxy(peer)
        && let Some(user) = headers.get(name.as_str()).and_then(|v| v.to_str().ok())
    {
        let user = user.trim();
        if !user.is_empty() && user.len() <= LONGEST_USER {
            return Ok(Actor(user.to_string()));
        }
    }
    let Some(given) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(AuthError::Missing);
    };
    let (scheme, value) = given.trim().split_once(' ').unwrap_or((given, ""));
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("bearer")
        && let Some(token) = &auth.token
        && verify_slices_are_equal(value.as_bytes(), token.expose().as_bytes()).is_ok()
    {
        return Ok(Actor("api-token".into()));
    }
    if scheme.eq_ignore_ascii_case("basic")
        && let Some(basic) = &auth.basic
        && let Ok(decoded) = STANDARD.decode(value)
        && let Ok(pair) = String::from_utf8(decoded)
        && let Some((user, password)) = pair.split_once(':')
    {
        let user_ok = verify_slices_are_equal(user.as_bytes(), basic.user.as_bytes()).is_ok();
        let password_ok =
            verify_slices_are_equal(password.as_bytes(), basic.password.expose().as_bytes())
                .is_ok();
        if user_ok && password_ok {
            return Ok(Actor(basic.user.clone()));
        }
    }
    Err(AuthError::Invalid)
}

/// Middleware: lets authenticated requests through with their [`Actor`].
pub async fn require_admin(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    mut req: Request,
    next: Next,
) -> Response {
    let auth = &state.site.auth;
    let ip = client_ip(peer, req.headers(), auth);
    let api = req.uri().path().starts_with("/api/");
    if let Some(wait) = state.site.lockout.wait(ip) {
        let mut r = refuse(
            api,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed sign-ins from this address; try again later.",
            auth,
        );
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(RETRY_AFTER, v);
        }
        return r;
    }
    match authenticate(auth, peer.0.map(|p| p.ip()), req.headers()) {
        Ok(actor) => {
            req.extensions_mut().insert(actor);
            next.run(req).await
        }
        Err(e) => {
            if e == AuthError::Invalid {
                state.site.lockout.failed(ip);
            }
            let message = match e {
                AuthError::NotConfigured => {
                    "Admin access is not configured: set admin_token_env, admin_user with admin_password_env, or trusted_user_header in [server]."
                }
                AuthError::Missing => "Sign in to see this page.",
                AuthError::Invalid => "Those credentials are not valid.",
                AuthError::Repeated => {
                    "The proxy's user header came more than once; the proxy must replace it, not append to it."
                }
            };
            let status = match e {
                AuthError::NotConfigured => StatusCode::FORBIDDEN,
                AuthError::Repeated => StatusCode::BAD_REQUEST,
                AuthError::Missing | AuthError::Invalid => StatusCode::UNAUTHORIZED,
            };
            refuse(api, status, message, auth)
        }
    }
}

/// The refusal in the caller's language (JSON for the API, a page otherwise).
fn refuse(api: bool, status: StatusCode, message: &str, auth: &AdminAuth) -> Response {
    let mut response = if api {
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    } else {
        (status, page::message_page("Sign in", message)).into_response()
    };
    if status == StatusCode::UNAUTHORIZED {
        let challenge = if auth.basic.is_some() {
            "Basic realm=\"hypercare admin\", charset=\"UTF-8\""
        } else {
            "Bearer realm=\"hypercare\""
        };
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BasicAuth, Secret};

    fn auth() -> AdminAuth {
        AdminAuth {
            token: Some(Secret::new("0123456789abcdef0123")),
            basic: Some(BasicAuth {
                user: "lead".into(),
                password: Secret::new("correct horse"),
            }),
            trusted_user_header: Some("x-forwarded-user".into()),
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        }
    }

    fn with(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn each_configured_way_in_works_and_wrong_ones_do_not() {
        let a = auth();
        let local = Some("127.0.0.1".parse().unwrap());
        let remote = Some("192.0.2.9".parse().unwrap());
        let bearer = with("authorization", "Bearer 0123456789abcdef0123");
        assert_eq!(
            authenticate(&a, remote, &bearer),
            Ok(Actor("api-token".into()))
        );
        let basic = with(
            "authorization",
            &format!("Basic {}", STANDARD.encode("lead:correct horse")),
        );
        assert_eq!(authenticate(&a, remote, &basic), Ok(Actor("lead".into())));
        let wrong = with(
            "authorization",
            &format!("Basic {}", STANDARD.encode("lead:wrong")),
        );
        assert_eq!(authenticate(&a, remote, &wrong), Err(AuthError::Invalid));
        let header = with("x-forwarded-user", "dr.lee");
        assert_eq!(authenticate(&a, local, &header), Ok(Actor("dr.lee".into())));
        assert_eq!(
            authenticate(&a, remote, &header),
            Err(AuthError::Missing),
            "only from a trusted proxy"
        );
        let mut twice = with("x-forwarded-user", "dr.lee");
        twice.append("x-forwarded-user", HeaderValue::from_static("admin"));
        twice.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Bearer 0123456789abcdef0123"),
        );
        assert_eq!(
            authenticate(&a, local, &twice),
            Err(AuthError::Repeated),
            "a header given twice is refused, whatever else came"
        );
        assert_eq!(
            authenticate(&AdminAuth::default(), remote, &bearer),
            Err(AuthError::NotConfigured)
        );
    }
}
