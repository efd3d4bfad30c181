//! Which redirects an outside peer may send hypercare on. reqwest follows
//! up to ten by default, to any host: a FHIR server, token endpoint or
//! document host could then point hypercare at an internal address (a cloud
//! metadata service, an admin port). Redirects are followed only where the
//! caller allows, at most five; any other is not followed and the 3xx is
//! judged as the answer.

use reqwest::redirect::{Attempt, Policy};

const MAX_HOPS: usize = 5;

/// Follows redirects only within the origin first asked (an `http` to
/// `https` move or a path change on the same server).
pub fn same_origin() -> Policy {
    only_where(|first, next| first.origin() == next.origin())
}

/// Follows a redirect when `allowed(first url, next url)` says so.
pub fn only_where(
    allowed: impl Fn(&url::Url, &url::Url) -> bool + Send + Sync + 'static,
) -> Policy {
    Policy::custom(move |attempt: Attempt<'_>| {
        let ok = attempt
            .previous()
            .first()
            .is_some_and(|first| allowed(first, attempt.url()));
        if attempt.previous().len() > MAX_HOPS {
            attempt.error("too many redirects")
        } else if ok {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}
