//! A TCP proxy on loopback in front of a real server that can pass,
//! refuse (close every connection, old and new) or freeze (keep every
//! connection open and forward nothing: a stopped server or a dead network
//! path, as the client sees it).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Pass = 0,
    Refuse = 1,
    Freeze = 2,
}

pub struct Faulty {
    pub port: u16,
    mode: Arc<AtomicU8>,
    changed: Arc<Notify>,
}

struct Shared {
    mode: Arc<AtomicU8>,
    changed: Arc<Notify>,
}

impl Shared {
    fn mode(&self) -> Mode {
        match self.mode.load(Ordering::SeqCst) {
            0 => Mode::Pass,
            1 => Mode::Refuse,
            _ => Mode::Freeze,
        }
    }

    /// Waits while frozen; false once the proxy refuses.
    async fn may_pass(&self) -> bool {
        loop {
            let notified = self.changed.notified();
            match self.mode() {
                Mode::Pass => return true,
                Mode::Refuse => return false,
                Mode::Freeze => notified.await,
            }
        }
    }
}

impl Faulty {
    pub async fn start(upstream: String) -> Faulty {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let (mode, changed) = (Arc::new(AtomicU8::new(0)), Arc::new(Notify::new()));
        let shared = Arc::new(Shared {
            mode: mode.clone(),
            changed: changed.clone(),
        });
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (shared, upstream) = (shared.clone(), upstream.clone());
                tokio::spawn(async move {
                    if !shared.may_pass().await {
                        return;
                    }
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::select! {
                        _ = pump(cr, sw, &shared) => {}
                        _ = pump(sr, cw, &shared) => {}
                    }
                });
            }
        });
        Faulty {
            port,
            mode,
            changed,
        }
    }

    pub fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
        self.changed.notify_waiters();
    }
}

/// Copies one direction, holding each chunk while frozen and ending the
/// connection when refused.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    shared: &Shared,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let read = tokio::select! {
            r = from.read(&mut buf) => r,
            _ = refused(shared) => return,
        };
        let n = match read {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if !shared.may_pass().await || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

async fn refused(shared: &Shared) {
    loop {
        let notified = shared.changed.notified();
        if shared.mode() == Mode::Refuse {
            return;
        }
        notified.await;
    }
}
