//! CSRF protection without JavaScript: a signed double-submit token.
//!
//! A token is `base64url(issued_ms ‖ nonce ‖ HMAC-SHA256(key, issued_ms ‖ nonce))`.
//! Every form carries it in a hidden field and the browser holds the same
//! token in an `HttpOnly`, `SameSite=Strict` cookie (`__Host-` prefixed when
//! the public URL is https, so no sibling host can plant one); a POST is
//! accepted only when both are present, equal, correctly signed and younger
//! than [`MAX_AGE`]. Another site can neither read the cookie nor set it, so
//! it cannot forge the pair. The key is shared through the store, so a form
//! served by one replica posts fine to another.
//!
//! Admin forms carry another field: an HMAC of the cookie's token and the
//! signed-in actor, so the public form's pair (which anyone can get) does not
//! pass an admin check, and one admin's page does not post as another.
//! Every POST must also come from this origin: `Sec-Fetch-Site` must be
//! `same-origin` or `none`, and an `Origin` must name the `Host` asked (or
//! the configured public URL).

use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The cookie holding the browser's half, served over http.
pub const COOKIE_NAME: &str = "hc_csrf";
/// The same cookie when the public URL is https: a browser accepts a
/// `__Host-` cookie only from a secure origin, for `/`, without `Domain`.
pub const HOST_COOKIE_NAME: &str = "__Host-hc_csrf";
/// The hidden form field holding the page's half.
pub const FIELD: &str = "csrf";
/// How long a served form stays valid.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

const NONCE: usize = 16;
const MAC: usize = 32;

/// Why a POST was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsrfError {
    #[error("the form's security token is missing")]
    Missing,
    #[error("the form's security token does not match this browser")]
    Mismatch,
    #[error("the form's security token is not valid")]
    Invalid,
    #[error("the form is too old")]
    Expired,
    #[error("the request came from another site")]
    CrossSite,
}

pub struct Csrf {
    key: hmac::Key,
    /// Mark the cookie `Secure` and `__Host-` (the public URL is https).
    secure: bool,
    /// `scheme://host[:port]` of the configured public URL, which an `Origin`
    /// may name when a proxy rewrites `Host`.
    public_origin: Option<String>,
}

/// A fresh random key, hex-encoded, to offer the store.
pub fn new_key_hex() -> String {
    let mut bytes = [0u8; 32];
    // The system RNG does not fail on Linux; a zero key would still sign.
    let _ = SystemRandom::new().fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random identifier (for a form's submission id).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let _ = SystemRandom::new().fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Csrf {
    pub fn new(key: &[u8], public_url: Option<&url::Url>) -> Csrf {
        Csrf {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            secure: public_url.is_some_and(|u| u.scheme() == "https"),
            public_origin: public_url.map(|u| u.origin().ascii_serialization()),
        }
    }

    fn cookie_name(&self) -> &'static str {
        if self.secure {
            HOST_COOKIE_NAME
        } else {
            COOKIE_NAME
        }
    }

    pub fn issue(&self, now_ms: i64) -> String {
        let mut body = [0u8; 8 + NONCE];
        body[..8].copy_from_slice(&now_ms.to_be_bytes());
        let _ = SystemRandom::new().fill(&mut body[8..]);
        let tag = hmac::sign(&self.key, &body);
        let mut token = body.to_vec();
        token.extend_from_slice(tag.as_ref());
        URL_SAFE_NO_PAD.encode(token)
    }

    /// Whether a token is well-formed, signed by us and not expired.
    pub fn check_token(&self, token: &str, now_ms: i64) -> Result<(), CsrfError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| CsrfError::Invalid)?;
        if bytes.len() != 8 + NONCE + MAC {
            return Err(CsrfError::Invalid);
        }
        let (body, tag) = bytes.split_at(8 + NONCE);
        hmac::verify(&self.key, body, tag).map_err(|_| CsrfError::Invalid)?;
        let mut issued = [0u8; 8];
        issued.copy_from_slice(&body[..8]);
        let age = now_ms.saturating_sub(i64::from_be_bytes(issued));
        if age < -60_000 || age > MAX_AGE.as_millis() as i64 {
            return Err(CsrfError::Expired);
        }
        Ok(())
    }

    /// Checks a POST: same-origin, cookie and field present, equal and valid.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        field: Option<&str>,
        now_ms: i64,
    ) -> Result<(), CsrfError> {
        let cookie = self.posted_cookie(headers)?;
        let Some(field) = field.filter(|f| !f.is_empty()) else {
            return Err(CsrfError::Missing);
        };
        if !constant_eq(cookie.as_bytes(), field.as_bytes()) {
            return Err(CsrfError::Mismatch);
        }
        self.check_token(field, now_ms)
    }

    /// Checks an admin POST: same-origin, the browser's cookie valid, and the
    /// field the token bound to this cookie and `actor` (see [`Self::bind`]).
    pub fn verify_actor(
        &self,
        headers: &HeaderMap,
        field: Option<&str>,
        actor: &str,
        now_ms: i64,
    ) -> Result<(), CsrfError> {
        let cookie = self.posted_cookie(headers)?;
        let Some(field) = field.filter(|f| !f.is_empty()) else {
            return Err(CsrfError::Missing);
        };
        self.check_token(cookie, now_ms)?;
        if !constant_eq(self.bind(cookie, actor).as_bytes(), field.as_bytes()) {
            return Err(CsrfError::Mismatch);
        }
        Ok(())
    }

    /// An admin page's field: the browser's token (renewed as for the public
    /// form) bound to the signed-in actor, and the cookie to set if renewed.
    pub fn token_for_actor(
        &self,
        headers: &HeaderMap,
        actor: &str,
        now_ms: i64,
    ) -> (String, Option<String>) {
        let (token, cookie) = self.token_for(headers, now_ms);
        (self.bind(&token, actor), cookie)
    }

    /// `base64url(HMAC(key, "admin" ‖ 0 ‖ actor ‖ 0 ‖ token))`: a different
    /// value from the token itself, so the public pair never passes as one.
    fn bind(&self, token: &str, actor: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.key);
        for part in [b"admin".as_slice(), actor.as_bytes(), token.as_bytes()] {
            ctx.update(part);
            ctx.update(&[0]);
        }
        URL_SAFE_NO_PAD.encode(ctx.sign())
    }

    /// The browser's cookie of a POST that came from this origin.
    fn posted_cookie<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, CsrfError> {
        if cross_site(headers, self.public_origin.as_deref()) {
            return Err(CsrfError::CrossSite);
        }
        cookie(headers, self.cookie_name()).ok_or(CsrfError::Missing)
    }

    /// The token for a page: the browser's own if still valid (so several
    /// tabs work), else a new one with the cookie that carries it.
    pub fn token_for(&self, headers: &HeaderMap, now_ms: i64) -> (String, Option<String>) {
        // A token with less than an hour left is renewed, so a form left open keeps working.
        let renew_at = now_ms + 3_600_000;
        if let Some(c) = cookie(headers, self.cookie_name())
            && self.check_token(c, renew_at).is_ok()
        {
            return (c.to_string(), None);
        }
        let token = self.issue(now_ms);
        let cookie = self.cookie(&token);
        (token, Some(cookie))
    }

    pub fn cookie(&self, token: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            self.cookie_name(),
            MAX_AGE.as_secs()
        )
    }
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim())
}

/// Whether a POST may have come from another site. A browser's
/// `Sec-Fetch-Site` must say `same-origin` or `none` (typed or bookmarked);
/// `same-site` is refused too, since a sibling host is another party. An
/// `Origin` is always compared with the `Host` asked (or the public URL's
/// origin, for a proxy that rewrites `Host`), whatever `Sec-Fetch-Site`
/// said. (`Origin: null` decides nothing: privacy settings send it.)
fn cross_site(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    if let Some(site) = text("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return true;
    }
    let Some(origin) = text("origin") else {
        return false;
    };
    if origin == "null" {
        return false;
    }
    if public_origin.is_some_and(|p| p.eq_ignore_ascii_case(origin)) {
        return false;
    }
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    !text("host").is_some_and(|host| origin_host.eq_ignore_ascii_case(host))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
