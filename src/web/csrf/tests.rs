//! The CSRF token, cookie and origin checks.

use super::*;
use axum::http::HeaderValue;
use axum::http::header::{HOST, ORIGIN};

fn headers(cookie: &str) -> HeaderMap {
    named(COOKIE_NAME, cookie)
}

fn named(name: &str, cookie: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        COOKIE,
        HeaderValue::from_str(&format!("a=b; {name}={cookie}")).unwrap(),
    );
    h.insert(HOST, HeaderValue::from_static("hc.example:9187"));
    h
}

#[test]
fn a_matching_signed_pair_passes() {
    let csrf = Csrf::new(b"k", None);
    let t = csrf.issue(1_000);
    assert_eq!(csrf.verify(&headers(&t), Some(&t), 2_000), Ok(()));
}

#[test]
fn forged_mismatched_missing_and_old_tokens_fail() {
    let csrf = Csrf::new(b"k", None);
    let t = csrf.issue(1_000);
    let other = Csrf::new(b"other", None).issue(1_000);
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
    let csrf = Csrf::new(b"k", None);
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
    let csrf = https();
    let t = csrf.issue(1_000);
    let h = named(HOST_COOKIE_NAME, &t);
    assert_eq!(csrf.token_for(&h, 2_000), (t.clone(), None));
    let (fresh, cookie) = csrf.token_for(&h, MAX_AGE.as_millis() as i64);
    assert_ne!(fresh, t);
    let cookie = cookie.unwrap();
    assert!(cookie.starts_with("__Host-hc_csrf=") && cookie.ends_with("; Secure"));
    assert!(cookie.contains("; Path=/;") && !cookie.contains("Domain"));
}

fn https() -> Csrf {
    Csrf::new(b"k", Some(&"https://hc.example".parse().unwrap()))
}

#[test]
fn over_https_only_the_host_prefixed_cookie_counts() {
    let csrf = https();
    let t = csrf.issue(1_000);
    let mut h = headers(&t);
    assert_eq!(csrf.verify(&h, Some(&t), 2_000), Err(CsrfError::Missing));
    h = named(HOST_COOKIE_NAME, &t);
    h.insert(HOST, HeaderValue::from_static("hc.example"));
    assert_eq!(csrf.verify(&h, Some(&t), 2_000), Ok(()));
}

#[test]
fn only_same_origin_or_none_passes_and_origin_is_always_compared() {
    let csrf = https();
    let t = csrf.issue(1_000);
    let mut h = named(HOST_COOKIE_NAME, &t);
    h.insert(HOST, HeaderValue::from_static("127.0.0.1:9187"));
    for (site, ok) in [
        ("same-origin", true),
        ("none", true),
        ("same-site", false),
        ("cross-site", false),
        ("nonsense", false),
    ] {
        h.insert("sec-fetch-site", HeaderValue::from_static(site));
        let want = if ok {
            Ok(())
        } else {
            Err(CsrfError::CrossSite)
        };
        assert_eq!(csrf.verify(&h, Some(&t), 2_000), want, "{site}");
    }
    h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
    h.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
    assert_eq!(
        csrf.verify(&h, Some(&t), 2_000),
        Err(CsrfError::CrossSite),
        "a lying Sec-Fetch-Site does not skip Origin"
    );
    // A proxy rewrote Host; the Origin is the configured public URL.
    h.insert(ORIGIN, HeaderValue::from_static("https://hc.example"));
    assert_eq!(csrf.verify(&h, Some(&t), 2_000), Ok(()));
}

#[test]
fn admin_tokens_are_bound_to_the_actor_and_the_public_pair_does_not_pass() {
    let csrf = Csrf::new(b"k", None);
    let t = csrf.issue(1_000);
    let h = headers(&t);
    assert_eq!(
        csrf.verify_actor(&h, Some(&t), "lead", 2_000),
        Err(CsrfError::Mismatch),
        "the public form's cookie and field"
    );
    let (lead, cookie) = csrf.token_for_actor(&h, "lead", 2_000);
    assert_eq!(cookie, None, "the browser's cookie is reused");
    assert_ne!(lead, t);
    assert_eq!(csrf.verify_actor(&h, Some(&lead), "lead", 2_000), Ok(()));
    assert_eq!(
        csrf.verify_actor(&h, Some(&lead), "api-token", 2_000),
        Err(CsrfError::Mismatch)
    );
    assert_eq!(
        csrf.verify(&h, Some(&lead), 2_000),
        Err(CsrfError::Mismatch),
        "nor the reverse"
    );
}
