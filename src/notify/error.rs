//! Why a delivery failed, and whether trying again can help.
//!
//! The outbox retries a retryable failure with backoff and gives a
//! permanent one up at once: a payload that cannot be parsed, a recipient
//! the relay refuses for good (SMTP 5xx) or a receiver that rejects the
//! request (HTTP 4xx other than 408 and 429) fails the same way every time.

/// One failed delivery attempt.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The queued payload is not what its channel sends.
    #[error("malformed {what} payload: {source}")]
    Payload {
        what: &'static str,
        source: serde_json::Error,
    },
    /// A recipient is not an e-mail address.
    #[error("recipient: {0}")]
    Recipient(#[from] lettre::address::AddressError),
    /// An inline image of the payload cannot be attached.
    #[error("inline image {cid}: {detail}")]
    Inline { cid: String, detail: String },
    /// The MIME message cannot be built from the payload.
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// Nothing in the running config sends on this channel (a reload may add it).
    #[error("no notifier for channel `{0}` in the config")]
    NoChannel(String),
    /// E-mail is queued but no `[smtp]` relay is configured (a reload may add it).
    #[error("no [smtp] relay is configured")]
    NoRelay,
    /// The relay or receiver did not answer in time.
    #[error("{0}: no answer within {1}")]
    Timeout(&'static str, String),
    /// The SMTP relay refused or could not be reached.
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The mail drop folder could not be written.
    #[error("mail drop {dir}: {source}")]
    Drop { dir: String, source: std::io::Error },
    /// The HTTP request did not complete (connection, TLS, reading).
    #[error("request failed: {0}")]
    Request(String),
    /// The receiver answered with a status other than 2xx.
    #[error("answered HTTP {0}")]
    Status(u16),
}

impl SendError {
    /// Whether a later attempt may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            SendError::Payload { .. }
            | SendError::Recipient(_)
            | SendError::Inline { .. }
            | SendError::Build(_) => false,
            SendError::Smtp(e) => !e.is_permanent(),
            SendError::Status(s) => matches!(s, 408 | 429 | 500..=599),
            SendError::NoChannel(_)
            | SendError::NoRelay
            | SendError::Timeout(..)
            | SendError::Drop { .. }
            | SendError::Request(_) => true,
        }
    }
}

/// Why e-mail cannot be set up (logged at start; e-mail then stays queued).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{what}: {source}")]
    Address {
        what: &'static str,
        source: lettre::address::AddressError,
    },
    #[error("smtp ca_file: {0}")]
    Ca(lettre::transport::smtp::Error),
    #[error("smtp tls: {0}")]
    Tls(lettre::transport::smtp::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_trouble_is_retried_and_a_rejected_request_is_not() {
        for s in [408, 429, 500, 502, 503] {
            assert!(SendError::Status(s).retryable(), "{s}");
        }
        for s in [400, 401, 404, 413, 422] {
            assert!(!SendError::Status(s).retryable(), "{s}");
        }
        let bad = serde_json::from_str::<u8>("x").unwrap_err();
        assert!(
            !SendError::Payload {
                what: "e-mail",
                source: bad
            }
            .retryable()
        );
        assert!(SendError::Request("connection refused".into()).retryable());
    }
}
