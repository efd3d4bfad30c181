//! The web side's own state: the CSRF key, admin credentials, per-client
//! limits and the OpenAPI document, built once at start.

use crate::config::{AdminAuth, Config};
use crate::store::{Store, StoreError};

use super::client::Limiter;
use super::client::Lockout;
use super::csrf::{self, Csrf};

pub struct Site {
    pub csrf: Csrf,
    pub auth: AdminAuth,
    /// Form submissions per client per minute.
    pub submissions: Limiter,
    /// Clients that keep failing to sign in.
    pub lockout: Lockout,
    /// `/api/openapi.json`, rendered once from the config.
    pub openapi: String,
}

/// The name of the CSRF key in the store's shared keys.
const CSRF_KEY: &str = "csrf_hmac_sha256";

impl Site {
    /// `openapi` is the rendered document (`web::openapi_json`), passed in so
    /// this file does not import the handlers the document describes.
    pub async fn new(config: &Config, store: &Store, openapi: String) -> Result<Site, StoreError> {
        let key_hex = store.shared_secret(CSRF_KEY, &csrf::new_key_hex()).await?;
        let key = decode_hex(&key_hex)
            .ok_or_else(|| StoreError::Corrupt("the stored CSRF key is not hex".into()))?;
        Ok(Site {
            csrf: Csrf::new(&key, config.server.public_url.as_ref()),
            auth: config.server.admin.clone(),
            submissions: Limiter::per_minute(config.feedback.rate_limit_per_minute),
            lockout: Lockout::default(),
            openapi,
        })
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() < 32 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
