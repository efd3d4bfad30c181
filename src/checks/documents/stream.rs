//! What every storage backend shares: what a reachability probe saw, and
//! the streaming verifier content passes through (counted, hashed, its
//! first and last bytes kept), so the backends need nothing of the check
//! that drives them.

use aws_lc_rs::digest::{self, Context};

use crate::config::documents::HashAlgorithm;

/// What a reachability probe saw.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub size: Option<u64>,
    pub content_type: Option<String>,
}

/// Bytes kept from the start (magic numbers) and the end (PDF's `%%EOF`).
const HEAD: usize = 512;
const TAIL: usize = 1024;

/// Streams content: counts, hashes, keeps the first and last bytes.
pub(crate) struct Verifier {
    hasher: Option<(HashAlgorithm, Context)>,
    size: u64,
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
}

impl Verifier {
    pub fn new(alg: Option<HashAlgorithm>) -> Verifier {
        Verifier {
            hasher: alg.map(|a| (a, Context::new(algorithm(a)))),
            size: 0,
            head: Vec::with_capacity(HEAD),
            tail: Vec::with_capacity(TAIL),
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        if let Some((_, h)) = &mut self.hasher {
            h.update(bytes);
        }
        if self.head.len() < HEAD {
            let n = (HEAD - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
        }
        if bytes.len() >= TAIL {
            self.tail.clear();
            self.tail.extend_from_slice(&bytes[bytes.len() - TAIL..]);
        } else {
            let overflow = (self.tail.len() + bytes.len()).saturating_sub(TAIL);
            self.tail.drain(..overflow);
            self.tail.extend_from_slice(bytes);
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn digest(self) -> Option<Vec<u8>> {
        self.hasher.map(|(_, h)| h.finish().as_ref().to_vec())
    }
}

fn algorithm(a: HashAlgorithm) -> &'static digest::Algorithm {
    match a {
        HashAlgorithm::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        HashAlgorithm::Sha256 => &digest::SHA256,
        HashAlgorithm::Sha512 => &digest::SHA512,
        HashAlgorithm::Sha3_512 => &digest::SHA3_512,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes_across_chunks() {
        let mut v = Verifier::new(None);
        let body: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        for chunk in body.chunks(333) {
            v.feed(chunk);
        }
        assert_eq!(v.tail, body[body.len() - TAIL..]);
        assert_eq!(v.head, body[..HEAD]);
        assert_eq!(v.size(), 5000);
    }
}
