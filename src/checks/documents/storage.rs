//! Where a document's bytes are, and reaching them gently: one HTTP client
//! (bounded pool, timeouts), one `object_store` client per S3 bucket, local
//! files; every request first waits for its storage host's rate limit.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::{Component, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use object_store::ObjectStore;

use super::Failure;
use super::allow::Allowed;
use super::stream::{Seen, Verifier};
use crate::config::documents::{Base, DocumentsConfig, S3Config};
use crate::results::Reason;
use crate::sources::{FhirSource, redirect};

/// A resolved location.
#[derive(Debug)]
pub(crate) enum Target {
    /// `fhir`: on the inventory's FHIR server (its credentials go along).
    Http {
        url: url::Url,
        fhir: bool,
    },
    File(PathBuf),
    S3 {
        bucket: String,
        key: object_store::path::Path,
    },
}

pub(crate) struct Storage {
    pub(super) http: reqwest::Client,
    limiter: DefaultKeyedRateLimiter<String>,
    pub(super) fhir: Option<Arc<FhirSource>>,
    base: Option<Base>,
    allowed: Arc<Allowed>,
    pub(super) s3_config: Option<S3Config>,
    pub(super) s3_stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    pub(super) timeout: Duration,
    /// `max_content_mb` in bytes: content declared or sent past it is refused.
    pub(super) max_content: u64,
    /// The algorithm of inventory hashes that name none.
    pub(super) default_hash: Option<crate::config::documents::HashAlgorithm>,
}

impl Storage {
    pub fn new(cfg: &DocumentsConfig, fhir: Option<Arc<FhirSource>>) -> Storage {
        let allowed = Arc::new(Allowed::new(&cfg.storage, fhir.as_ref().map(|f| f.base())));
        let follow = allowed.clone();
        let http = reqwest::Client::builder()
            // Redirects only to hosts a location itself could name.
            .redirect(redirect::only_where(move |_, next| {
                follow.url(next).is_ok()
            }))
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.request_timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(cfg.concurrency)
            .user_agent(concat!("hypercare/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|e| {
                // Only a broken TLS setup fails here; requests then fail as unreachable.
                tracing::error!(error = %e, "cannot build the documents HTTP client");
                reqwest::Client::new()
            });
        let rate = NonZeroU32::new(cfg.rate_per_host).unwrap_or(NonZeroU32::MIN);
        Storage {
            allowed,
            http,
            limiter: RateLimiter::keyed(Quota::per_second(rate)),
            fhir,
            base: cfg.storage.base.clone(),
            s3_config: cfg.storage.s3.clone(),
            s3_stores: Mutex::new(HashMap::new()),
            timeout: cfg.request_timeout,
            max_content: u64::from(cfg.max_content_mb).saturating_mul(1 << 20),
            default_hash: cfg.storage.hash_algorithm,
        }
    }

    /// Waits until the host may take one more request.
    pub(super) async fn pace(&self, host: &str) {
        // Keys are host names and bucket names only: a few per check.
        self.limiter.until_key_ready(&host.to_string()).await;
    }

    /// Where a location points. Relative locations resolve against the FHIR
    /// base (for FHIR inventories) or the configured base.
    pub fn resolve(&self, location: &str, from_fhir: bool) -> Result<Target, Failure> {
        let bad = |why: &str| (Reason::InvalidLocation, why.to_string());
        let loc = location.trim();
        if let Some(rest) = loc.strip_prefix("s3://") {
            let (bucket, key) = rest
                .split_once('/')
                .ok_or_else(|| bad("s3 location without a key"))?;
            let key = object_store::path::Path::parse(key)
                .map_err(|_| bad("s3 key is not a valid object path"))?;
            if bucket.is_empty() {
                return Err(bad("s3 location without a bucket"));
            }
            self.allowed.bucket(bucket)?;
            return Ok(Target::S3 {
                bucket: bucket.to_string(),
                key,
            });
        }
        if loc.starts_with("http://") || loc.starts_with("https://") {
            let url = url::Url::parse(loc).map_err(|_| bad("malformed URL"))?;
            return self.http_target(url, from_fhir);
        }
        if let Some(path) = loc.strip_prefix("file://") {
            return self.local(path);
        }
        if loc.starts_with('/') {
            return self.local(loc);
        }
        if loc.contains("://") {
            return Err(bad(
                "unsupported scheme (use http, https, s3, file or a path)",
            ));
        }
        if from_fhir && let Some(f) = &self.fhir {
            let joined = format!("{}/{}", f.base().as_str().trim_end_matches('/'), loc);
            let url = url::Url::parse(&joined).map_err(|_| bad("relative URL does not resolve"))?;
            return self.http_target(url, true);
        }
        match &self.base {
            Some(Base::Url(base)) => {
                let url = base
                    .join(loc)
                    .map_err(|_| bad("relative URL does not resolve"))?;
                // A scheme-relative `//host/x` joins to another host: checked too.
                self.http_target(url, false)
            }
            Some(Base::Folder(dir)) => {
                let rel = PathBuf::from(loc);
                if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                    return Err(bad("relative path with `..`"));
                }
                Ok(Target::File(dir.join(rel)))
            }
            None => Err(bad("relative location and no storage base configured")),
        }
    }

    /// An allowed http(s) target; FHIR credentials go only to the FHIR server.
    fn http_target(&self, url: url::Url, from_fhir: bool) -> Result<Target, Failure> {
        self.allowed.url(&url)?;
        let fhir = from_fhir && self.fhir.as_ref().is_some_and(|f| f.same_server(&url));
        Ok(Target::Http { url, fhir })
    }

    /// An absolute local path, allowed only under the folder base.
    fn local(&self, path: &str) -> Result<Target, Failure> {
        let p = PathBuf::from(path);
        if !p.is_absolute() {
            return Err((
                Reason::InvalidLocation,
                "file URL with a relative path".into(),
            ));
        }
        self.allowed.file(&p)?;
        Ok(Target::File(p))
    }

    /// Is it there, how big, of which type (HEAD, stat, object head)?
    pub async fn probe(&self, target: &Target, accept: &str) -> Result<Seen, Failure> {
        match target {
            Target::Http { url, fhir } => self.http_head(url, *fhir, accept).await,
            Target::File(path) => {
                self.pace("local files").await;
                super::files::stat(path).await
            }
            Target::S3 { bucket, key } => self.s3_head(bucket, key).await,
        }
    }

    /// Streams the content through the verifier; returns the served type.
    pub async fn fetch(
        &self,
        target: &Target,
        accept: &str,
        v: Verifier,
    ) -> Result<(Verifier, Option<String>), Failure> {
        match target {
            Target::Http { url, fhir } => self.http_get(url, *fhir, accept, v).await,
            Target::File(path) => {
                self.pace("local files").await;
                super::files::read(path.clone(), v, self.timeout)
                    .await
                    .map(|v| (v, None))
            }
            Target::S3 { bucket, key } => self.s3_get(bucket, key, v).await,
        }
    }
}
