//! Who is asking: the client's address (through a trusted proxy's
//! `X-Forwarded-For` when there is one) and per-client rate limits.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::AdminAuth;

/// The TCP peer of a request, when the server recorded it.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Peer, Infallible> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy,
/// the right-most `X-Forwarded-For` entry that is not a trusted proxy.
pub fn client_ip(peer: Peer, headers: &HeaderMap, auth: &AdminAuth) -> IpAddr {
    let peer_ip = peer.0.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.ip());
    if !auth.is_trusted_proxy(peer_ip) {
        return peer_ip;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !auth.is_trusted_proxy(*ip))
        .unwrap_or(peer_ip)
}

/// A per-client limit of so many events a minute (bursts up to that many).
pub struct Limiter {
    inner: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

/// Keys kept before forgetting clients that are back to a full allowance.
const KEYS_BEFORE_CLEANUP: usize = 10_000;

impl Limiter {
    pub fn per_minute(n: u32) -> Limiter {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Limiter {
            inner: RateLimiter::keyed(Quota::per_minute(n)),
            clock: DefaultClock::default(),
        }
    }

    /// Ok, or how long the client must wait.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        if self.inner.len() > KEYS_BEFORE_CLEANUP {
            self.inner.retain_recent();
        }
        self.inner
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// Wrong credentials allowed per client per minute before it must wait. High
/// enough for a client probing every API operation once with wrong
/// credentials (schemathesis does); a 16-character token stays unguessable.
const FAILURES_PER_MINUTE: u32 = 30;

/// Failed attempts per client, and who must wait until when.
pub struct Lockout {
    failures: Limiter,
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout {
            failures: Limiter::per_minute(FAILURES_PER_MINUTE),
            blocked: Mutex::new(HashMap::new()),
        }
    }
}

impl Lockout {
    pub(super) fn wait(&self, ip: IpAddr) -> Option<Duration> {
        let mut blocked = self.blocked.lock().ok()?;
        let now = Instant::now();
        blocked.retain(|_, until| *until > now);
        blocked.get(&ip).map(|until| *until - now)
    }

    pub(super) fn failed(&self, ip: IpAddr) {
        if let Err(wait) = self.failures.check(ip)
            && let Ok(mut blocked) = self.blocked.lock()
        {
            blocked.insert(ip, Instant::now() + wait.max(Duration::from_secs(60)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::IpNet;
    use axum::http::HeaderValue;

    fn peer(ip: &str) -> Peer {
        Peer(Some(SocketAddr::new(ip.parse().unwrap(), 40000)))
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let auth = AdminAuth {
            trusted_proxies: vec!["10.0.0.0/8".parse::<IpNet>().unwrap()],
            ..Default::default()
        };
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 192.0.2.7, 10.0.0.3"),
        );
        assert_eq!(
            client_ip(peer("10.0.0.2"), &h, &auth),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip(peer("198.51.100.1"), &h, &auth),
            "198.51.100.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn the_limit_holds_per_client() {
        let l = Limiter::per_minute(2);
        let (a, b) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert!(l.check(a).is_ok() && l.check(a).is_ok());
        let wait = l.check(a).unwrap_err();
        assert!(
            wait > Duration::from_secs(20) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(l.check(b).is_ok());
    }
}
