//! Documents in S3-compatible object stores, through `object_store`: one
//! client per bucket, built on first use, with the check's request timeout
//! and a single retry (a check reports trouble; it does not hammer).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{Attribute, ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};

use super::Failure;
use super::storage::Storage;
use super::stream::{Seen, Verifier};
use crate::results::Reason;

impl Storage {
    fn bucket(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>, Failure> {
        let mut stores = self.s3_stores.lock().map_err(|_| {
            (
                Reason::Unreachable,
                "object store clients unavailable".to_string(),
            )
        })?;
        if let Some(s) = stores.get(bucket) {
            return Ok(s.clone());
        }
        let cfg = self
            .s3_config
            .clone()
            .unwrap_or_else(|| crate::config::documents::S3Config {
                endpoint: None,
                region: "us-east-1".into(),
                access_key_id: None,
                secret_access_key: None,
                allow_http: false,
            });
        let options = ClientOptions::new()
            .with_timeout(self.timeout)
            .with_connect_timeout(self.timeout.min(Duration::from_secs(5)))
            .with_allow_http(cfg.allow_http);
        let retry = RetryConfig {
            max_retries: 1,
            retry_timeout: self.timeout,
            ..RetryConfig::default()
        };
        // Credentials from config, else the usual AWS_* variables; with
        // neither, requests go unsigned (a public bucket).
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_region(cfg.region.clone())
            .with_allow_http(cfg.allow_http)
            .with_client_options(options)
            .with_retry(retry);
        if let Some(e) = &cfg.endpoint {
            b = b.with_endpoint(e.as_str().trim_end_matches('/'));
        }
        match (&cfg.access_key_id, &cfg.secret_access_key) {
            (Some(k), Some(s)) => {
                b = b
                    .with_access_key_id(k.expose())
                    .with_secret_access_key(s.expose());
            }
            _ if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() => {
                b = b.with_skip_signature(true);
            }
            _ => {}
        }
        let store: Arc<dyn ObjectStore> = Arc::new(b.build().map_err(|e| {
            (
                Reason::InvalidLocation,
                format!("cannot set up the S3 client: {}", short(&e.to_string())),
            )
        })?);
        stores.insert(bucket.to_string(), store.clone());
        Ok(store)
    }

    pub(super) async fn s3_head(&self, bucket: &str, key: &Path) -> Result<Seen, Failure> {
        let store = self.bucket(bucket)?;
        self.pace(&format!("s3:{bucket}")).await;
        let meta = self.bounded(store.head(key)).await?;
        Ok(Seen {
            size: Some(meta.size),
            content_type: None,
        })
    }

    pub(super) async fn s3_get(
        &self,
        bucket: &str,
        key: &Path,
        mut v: Verifier,
    ) -> Result<(Verifier, Option<String>), Failure> {
        let store = self.bucket(bucket)?;
        self.pace(&format!("s3:{bucket}")).await;
        let got = self.bounded(store.get(key)).await?;
        let served = got
            .attributes
            .get(&Attribute::ContentType)
            .map(|v| v.to_string());
        v.declared(got.meta.size)?;
        let mut stream = got.into_stream();
        let read = async {
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(c) => v.feed(&c)?,
                    Err(_) => {
                        return Err((
                            Reason::Unreadable,
                            format!("reading broke off after {} bytes", v.size()),
                        ));
                    }
                }
            }
            Ok(())
        };
        tokio::time::timeout(self.timeout, read)
            .await
            .map_err(|_| {
                (
                    Reason::Timeout,
                    format!("content not read within {:?}", self.timeout),
                )
            })??;
        Ok((v, served))
    }

    async fn bounded<T>(
        &self,
        fut: impl Future<Output = object_store::Result<T>>,
    ) -> Result<T, Failure> {
        match tokio::time::timeout(self.timeout + Duration::from_secs(1), fut).await {
            Ok(Ok(t)) => Ok(t),
            Ok(Err(e)) => Err(failure(&e)),
            Err(_) => Err((
                Reason::Timeout,
                format!("no answer within {:?}", self.timeout),
            )),
        }
    }
}

/// The reason an object store error means. `object_store` folds HTTP
/// statuses other than 404 into `Generic`, so its message is read.
fn failure(e: &object_store::Error) -> Failure {
    if let object_store::Error::NotFound { .. } = e {
        return (Reason::NotFound, "no such object".into());
    }
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let reason = if lower.contains("403")
        || lower.contains("forbidden")
        || lower.contains("accessdenied")
        || lower.contains("401")
    {
        Reason::Forbidden
    } else if lower.contains("timed out") || lower.contains("timeout") {
        Reason::Timeout
    } else if lower.contains("connect") || lower.contains("dns") {
        Reason::Unreachable
    } else {
        Reason::ServerError
    };
    (reason, short(&text))
}

/// An error message cut short, without the object's URL (it can name a patient).
fn short(s: &str) -> String {
    let no_url: String = s
        .split_whitespace()
        .map(|w| if w.contains("://") { "<url>" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    no_url.chars().take(200).collect()
}
