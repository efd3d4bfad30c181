//! Documents over http(s): HEAD for reachability (a one-byte ranged GET
//! where HEAD is not allowed), a streamed GET for content. A 429 is waited
//! out (its `Retry-After`, at most 5 s) twice before it counts as a server error.

use std::time::Duration;

use backon::{ConstantBuilder, Retryable};
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};

use super::Failure;
use super::storage::Storage;
use super::stream::{Seen, Verifier};
use crate::results::Reason;

/// Longest `Retry-After` waited for.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);

impl Storage {
    pub(super) async fn http_head(
        &self,
        url: &url::Url,
        fhir: bool,
        accept: &str,
    ) -> Result<Seen, Failure> {
        let mut resp = self.send(Method::HEAD, url, fhir, accept, false).await?;
        if matches!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED
        ) {
            resp = self.send(Method::GET, url, fhir, accept, true).await?;
        }
        status(resp.status())?;
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let size = if resp.status() == StatusCode::PARTIAL_CONTENT {
            // `bytes 0-0/1234`
            header(CONTENT_RANGE).and_then(|r| r.rsplit('/').next()?.trim().parse().ok())
        } else {
            header(CONTENT_LENGTH).and_then(|l| l.trim().parse().ok())
        };
        Ok(Seen {
            size,
            content_type: header(CONTENT_TYPE),
        })
    }

    pub(super) async fn http_get(
        &self,
        url: &url::Url,
        fhir: bool,
        accept: &str,
        mut v: Verifier,
    ) -> Result<(Verifier, Option<String>), Failure> {
        let mut resp = self.send(Method::GET, url, fhir, accept, false).await?;
        status(resp.status())?;
        let served = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(len) = resp.content_length() {
            v.declared(len)?;
        }
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => v.feed(&chunk)?,
                Ok(None) => return Ok((v, served)),
                Err(e) if e.is_timeout() => {
                    return Err((
                        Reason::Timeout,
                        format!("content not read within {:?}", self.timeout),
                    ));
                }
                Err(_) => {
                    return Err((
                        Reason::Unreadable,
                        format!("reading broke off after {} bytes", v.size()),
                    ));
                }
            }
        }
    }

    /// One request, after the host's rate limit; a 429 is waited out
    /// twice (its `Retry-After`, else 1 s, at most 5 s), then returned.
    async fn send(
        &self,
        method: Method,
        url: &url::Url,
        fhir: bool,
        accept: &str,
        one_byte: bool,
    ) -> Result<Response, Failure> {
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let ask = Ask {
            method,
            url,
            fhir,
            accept,
            one_byte,
        };
        let once = || self.send_once(&ask, &host);
        let sent = once
            .retry(
                ConstantBuilder::new()
                    .with_delay(Duration::from_secs(1))
                    .with_max_times(2),
            )
            .when(|e| matches!(e, Refused::Busy(_)))
            .adjust(|e, next| next.map(|d| e.wait().unwrap_or(d).min(MAX_RETRY_WAIT)))
            .await;
        match sent {
            Ok(r) | Err(Refused::Busy(r)) => Ok(r),
            Err(Refused::Failed(f)) => Err(f),
        }
    }

    async fn send_once(&self, ask: &Ask<'_>, host: &str) -> Result<Response, Refused> {
        let Ask {
            method,
            url,
            fhir,
            accept,
            one_byte,
        } = ask;
        self.pace(host).await;
        let mut req = match (&self.fhir, *fhir) {
            (Some(f), true) => f
                .raw_request(&self.http, method.clone(), (*url).clone(), accept)
                .await
                .map_err(|e| {
                    Refused::Failed((Reason::Forbidden, format!("no credentials: {}", e.class())))
                })?,
            _ => self
                .http
                .request(method.clone(), (*url).clone())
                .header(ACCEPT, *accept),
        };
        if *one_byte {
            req = req.header(RANGE, "bytes=0-0");
        }
        let failed = |reason, why: String| Refused::Failed((reason, why));
        match req.send().await {
            Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => Err(Refused::Busy(r)),
            Ok(r) => {
                if let (Some(f), true) =
                    (&self.fhir, *fhir && r.status() == StatusCode::UNAUTHORIZED)
                {
                    // The source's token was refused: the next request fetches one.
                    f.token_refused().await;
                }
                Ok(r)
            }
            Err(e) if e.is_timeout() => Err(failed(
                Reason::Timeout,
                format!("no answer within {:?}", self.timeout),
            )),
            Err(e) if e.is_connect() => Err(failed(
                Reason::Unreachable,
                "cannot connect to the host".into(),
            )),
            Err(e) => Err(failed(
                Reason::Unreachable,
                format!("request failed: {}", e.without_url()),
            )),
        }
    }
}

/// One request to make (and make again after a 429).
struct Ask<'a> {
    method: Method,
    url: &'a url::Url,
    fhir: bool,
    accept: &'a str,
    one_byte: bool,
}

/// Why a request gave no usable response.
enum Refused {
    /// 429: waited out and tried again, then judged as it is.
    Busy(Response),
    Failed(Failure),
}

impl Refused {
    /// The `Retry-After` of a 429, in seconds.
    fn wait(&self) -> Option<Duration> {
        let Refused::Busy(r) = self else { return None };
        r.headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }
}

/// The failure an HTTP status means, if any.
fn status(s: StatusCode) -> Result<(), Failure> {
    let reason = match s.as_u16() {
        200..=299 => return Ok(()),
        401 | 403 => Reason::Forbidden,
        404 | 410 => Reason::NotFound,
        // Redirects to hosts not allowed are not followed (`storage.rs`).
        300..=399 => {
            let why = format!(
                "HTTP {}: a redirect to a host not allowed, not followed",
                s.as_u16()
            );
            return Err((Reason::LocationNotAllowed, why));
        }
        429 | 500..=599 => Reason::ServerError,
        _ => Reason::NotFound,
    };
    Err((reason, format!("HTTP {}", s.as_u16())))
}
