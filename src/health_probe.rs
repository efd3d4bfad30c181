//! `hypercare health [URL]`: a liveness probe for images without curl
//! (the distroless runtime image has no shell). GETs the URL with a 3 s
//! timeout; exit 0 on a 2xx answer, 1 otherwise, with the reason on stderr.

use std::process::ExitCode;
use std::time::Duration;

/// Asks `url` once; the exit code a health check expects.
pub async fn probe(url: &str) -> ExitCode {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("unhealthy: cannot build an HTTP client: {e}");
            return ExitCode::from(1);
        }
    };
    match client.get(url).send().await {
        Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
        Ok(r) => {
            eprintln!("unhealthy: {url} answered {}", r.status());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("unhealthy: {url}: {e}");
            ExitCode::from(1)
        }
    }
}
