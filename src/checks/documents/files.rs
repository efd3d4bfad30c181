//! Documents on local or mounted file systems: `stat` for reachability, a
//! blocking read in 256 KiB chunks (on the blocking pool) for content.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Failure;
use super::stream::{Seen, Verifier};
use crate::results::Reason;

const CHUNK: usize = 256 * 1024;

fn io_failure(e: &std::io::Error) -> Failure {
    match e.kind() {
        std::io::ErrorKind::NotFound => (Reason::NotFound, "no such file".into()),
        std::io::ErrorKind::PermissionDenied => (Reason::Forbidden, "permission denied".into()),
        k => (Reason::Unreadable, format!("cannot read: {k}")),
    }
}

pub(super) async fn stat(path: &Path) -> Result<Seen, Failure> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| io_failure(&e))?;
    if !meta.is_file() {
        return Err((Reason::NotFound, "not a regular file".into()));
    }
    // Opening proves it is readable (permissions, a stale mount).
    tokio::fs::File::open(path)
        .await
        .map_err(|e| io_failure(&e))?;
    Ok(Seen {
        size: Some(meta.len()),
        content_type: None,
    })
}

pub(super) async fn read(
    path: PathBuf,
    mut v: Verifier,
    timeout: Duration,
) -> Result<Verifier, Failure> {
    let work = tokio::task::spawn_blocking(move || {
        let mut f = std::fs::File::open(&path).map_err(|e| io_failure(&e))?;
        let meta = f.metadata().map_err(|e| io_failure(&e))?;
        if !meta.is_file() {
            return Err((Reason::NotFound, "not a regular file".into()));
        }
        v.declared(meta.len())?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            match f.read(&mut buf) {
                Ok(0) => return Ok(v),
                Ok(n) => v.feed(&buf[..n])?,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err((
                        Reason::Unreadable,
                        format!("reading broke off after {} bytes: {}", v.size(), e.kind()),
                    ));
                }
            }
        }
    });
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err((Reason::Unreadable, "the read task failed".into())),
        Err(_) => Err((Reason::Timeout, format!("not read within {timeout:?}"))),
    }
}
