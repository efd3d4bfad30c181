//! Bodies from outside, read with a byte cap: a server that sends a huge or
//! endless body ends the read with a clear error instead of growing memory.
//! The caller's timeout still bounds how long the read may take.

use reqwest::Response;

/// Why a capped body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body (announced or received) is larger than the cap.
    #[error("body over {cap} bytes")]
    TooLarge { cap: u64 },
    /// The connection broke or timed out while reading.
    #[error("reading the body failed: {0}")]
    Read(#[source] reqwest::Error),
}

impl BodyError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, BodyError::Read(e) if e.is_timeout())
    }
}

/// The whole body, read chunk by chunk; at most `cap` bytes are kept.
/// A `Content-Length` over the cap is refused before reading.
pub async fn read_capped(mut resp: Response, cap: u64) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(BodyError::TooLarge { cap });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
        let len = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
        if len > cap {
            return Err(BodyError::TooLarge { cap });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, Bytes};
    use futures_util::stream;
    use std::convert::Infallible;

    /// A loopback server answering every request with `body()`.
    async fn serve(body: fn() -> Body) -> String {
        let app = axum::Router::new().fallback(move || async move { body() });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/")
    }

    fn endless() -> Body {
        let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
        Body::from_stream(stream::repeat_with(move || {
            Ok::<_, Infallible>(chunk.clone())
        }))
    }

    #[tokio::test]
    async fn an_endless_chunked_body_stops_at_the_cap() {
        let url = serve(endless).await;
        let resp = reqwest::get(&url).await.unwrap();
        let got = read_capped(resp, 1024 * 1024).await;
        assert!(
            matches!(got, Err(BodyError::TooLarge { cap: 1_048_576 })),
            "{got:?}"
        );
        assert_eq!(
            read_capped(reqwest::get(&url).await.unwrap(), 10)
                .await
                .unwrap_err()
                .to_string(),
            "body over 10 bytes"
        );
    }

    #[tokio::test]
    async fn a_body_within_the_cap_is_read_whole() {
        let url = serve(|| Body::from("{\"ok\":true}")).await;
        let got = read_capped(reqwest::get(&url).await.unwrap(), 11)
            .await
            .unwrap();
        assert_eq!(got, b"{\"ok\":true}");
        let over = read_capped(reqwest::get(&url).await.unwrap(), 10).await;
        assert!(matches!(over, Err(BodyError::TooLarge { cap: 10 })));
    }
}
