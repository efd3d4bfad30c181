//! CSRF protection without JavaScript: a signed double-submit token.
//!
//! A token is `base64url(issued_ms ‖ nonce ‖ HMAC-SHA256(key, issued_ms ‖ nonce))`.
//! Every form carries it in a hidden field and the browser holds the same
//! token in an `HttpOnly`, `SameSite=Strict` cookie; a POST is accepted only
//! when both are present, equal, correctly signed and younger than
//! [`MAX_AGE`]. Another site can neither read the cookie nor set it, so it
//! cannot forge the pair. The key is shared through the store, so a form
//! served by one replica posts fine to another.

use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use axum::http::HeaderMap;
use axum::http::header::{COOKIE, HOST, ORIGIN};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The cookie holding the browser's half.
pub const COOKIE_NAME: &str = "hc_csrf";
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
    /// Mark the cookie `Secure` (the public URL is https).
    secure: bool,
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
    pub fn new(key: &[u8], secure: bool) -> Csrf {
        Csrf {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            secure,
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
        if cross_site(headers) {
            return Err(CsrfError::CrossSite);
        }
        let (Some(cookie), Some(field)) = (cookie(headers), field.filter(|f| !f.is_empty())) else {
            return Err(CsrfError::Missing);
        };
        if !constant_eq(cookie.as_bytes(), field.as_bytes()) {
            return Err(CsrfError::Mismatch);
        }
        self.check_token(field, now_ms)
    }

    /// The token for a page: the browser's own if still valid (so several
    /// tabs work), else a new one with the cookie that carries it.
    pub fn token_for(&self, headers: &HeaderMap, now_ms: i64) -> (String, Option<String>) {
        // A token with less than an hour left is renewed, so a form left open keeps working.
        let renew_at = now_ms + 3_600_000;
        if let Some(c) = cookie(headers)
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
            "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            MAX_AGE.as_secs()
        )
    }
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
}

/// A browser said the request came from another site: by `Sec-Fetch-Site`
/// where it sends one, else by an `Origin` naming another host than the one
/// it asked. (`Origin: null` decides nothing: privacy settings send it.)
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "cross-site";
    }
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_str(&format!("a=b; {COOKIE_NAME}={cookie}")).unwrap(),
        );
        h.insert(HOST, HeaderValue::from_static("hc.example:9187"));
        h
    }

    #[test]
    fn a_matching_signed_pair_passes() {
        let csrf = Csrf::new(b"k", false);
        let t = csrf.issue(1_000);
        assert_eq!(csrf.verify(&headers(&t), Some(&t), 2_000), Ok(()));
    }

    #[test]
    fn forged_mismatched_missing_and_old_tokens_fail() {
        let csrf = Csrf::new(b"k", false);
        let t = csrf.issue(1_000);
        let other = Csrf::new(b"other", false).issue(1_000);
        assert_eq!(
            csrf.verify(&headers(&other), Some(&other), 2_000),
            Err(CsrfError::Invalid)
        );
        assert_eq!(
            csrf.verify(&headers(&t), Some(&other), 2_000),
            Err(CsrfError::Mismatch)
        );
        assert_eq!(
            csrf.verify(&HeaderMap::new(), Some(&t), 2_000),
            Err(CsrfError::Missing)
        );
        let late = 1_000 + MAX_AGE.as_millis() as i64 + 1;
        assert_eq!(
            csrf.verify(&headers(&t), Some(&t), late),
            Err(CsrfError::Expired)
        );
    }

    #[test]
    fn a_post_from_another_origin_fails() {
        let csrf = Csrf::new(b"k", false);
        let t = csrf.issue(1_000);
        let mut h = headers(&t);
        h.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert_eq!(csrf.verify(&h, Some(&t), 2_000), Err(CsrfError::CrossSite));
        h.insert(ORIGIN, HeaderValue::from_static("http://hc.example:9187"));
        assert_eq!(csrf.verify(&h, Some(&t), 2_000), Ok(()));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert_eq!(csrf.verify(&h, Some(&t), 2_000), Err(CsrfError::CrossSite));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert_eq!(csrf.verify(&h, Some(&t), 2_000), Ok(()));
    }

    #[test]
    fn a_valid_cookie_is_reused_and_an_old_one_renewed() {
        let csrf = Csrf::new(b"k", true);
        let t = csrf.issue(1_000);
        assert_eq!(csrf.token_for(&headers(&t), 2_000), (t.clone(), None));
        let (fresh, cookie) = csrf.token_for(&headers(&t), MAX_AGE.as_millis() as i64);
        assert_ne!(fresh, t);
        assert!(cookie.unwrap().ends_with("; Secure"));
    }
}
