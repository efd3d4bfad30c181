//! What every storage backend shares: what a reachability probe saw, and
//! the streaming verifier content passes through (counted, hashed, its
//! first and last bytes kept), so the backends need nothing of the check
//! that drives them.

use aws_lc_rs::digest::{self, Context};

use super::Failure;
use crate::config::documents::HashAlgorithm;
use crate::results::Reason;

/// What a reachability probe saw.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub size: Option<u64>,
    pub content_type: Option<String>,
}

/// Bytes kept from the start (magic numbers) and the end (PDF's `%%EOF`).
const HEAD: usize = 512;
const TAIL: usize = 1024;

/// Streams content: counts, hashes, keeps the first and last bytes, and
/// stops as soon as more arrives than the metadata's size or the cap.
pub(crate) struct Verifier {
    hasher: Option<(HashAlgorithm, Context)>,
    size: u64,
    /// The inventory's size, if known: more bytes than this is a mismatch already.
    expected: Option<u64>,
    /// `max_content_mb` in bytes.
    cap: u64,
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
}

impl Verifier {
    pub fn new(alg: Option<HashAlgorithm>) -> Verifier {
        Verifier {
            hasher: alg.map(|a| (a, Context::new(algorithm(a)))),
            size: 0,
            expected: None,
            cap: u64::MAX,
            head: Vec::with_capacity(HEAD),
            tail: Vec::with_capacity(TAIL),
        }
    }

    /// Bounded by the inventory's size (if any) and the cap in bytes.
    pub fn limited(mut self, expected: Option<u64>, cap: u64) -> Verifier {
        self.expected = expected;
        self.cap = cap;
        self
    }

    /// A size declared before any byte is read (Content-Length, a file's
    /// or object's size): refused up front when over the cap or not the
    /// inventory's size, so a host declaring 4 GB is never read at all.
    pub fn declared(&self, len: u64) -> Result<(), Failure> {
        if len > self.cap {
            return Err((
                Reason::TooLarge,
                format!(
                    "declared {len} bytes, over max_content_mb ({} MiB): not read",
                    self.cap >> 20
                ),
            ));
        }
        match self.expected {
            Some(m) if m != len => Err((
                Reason::SizeMismatch,
                format!("metadata says {m} bytes, declared {len}: not read"),
            )),
            _ => Ok(()),
        }
    }

    /// Takes the next bytes; past the cap or the inventory's size, reading stops.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.size = self.size.saturating_add(bytes.len() as u64);
        if self.size > self.cap {
            return Err((
                Reason::TooLarge,
                format!(
                    "more than max_content_mb ({} MiB) sent: reading stopped",
                    self.cap >> 20
                ),
            ));
        }
        if let Some(m) = self.expected.filter(|m| self.size > *m) {
            return Err((
                Reason::SizeMismatch,
                format!("metadata says {m} bytes, more were sent: reading stopped"),
            ));
        }
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
        Ok(())
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
            v.feed(chunk).expect("no limit");
        }
        assert_eq!(v.tail, body[body.len() - TAIL..]);
        assert_eq!(v.head, body[..HEAD]);
        assert_eq!(v.size(), 5000);
    }

    #[test]
    fn a_declared_or_sent_size_past_the_cap_or_the_metadata_stops_reading() {
        let mib = 1u64 << 20;
        let v = Verifier::new(None).limited(None, mib);
        let (r, why) = v.declared(4 << 30).expect_err("4 GiB over a 1 MiB cap");
        assert_eq!(r, Reason::TooLarge);
        assert!(why.contains("4294967296") && why.contains("1 MiB"), "{why}");
        assert!(v.declared(mib).is_ok());
        let v = Verifier::new(None).limited(Some(10), mib);
        assert_eq!(v.declared(11).map_err(|f| f.0), Err(Reason::SizeMismatch));
        let mut v = Verifier::new(None).limited(Some(10), mib);
        v.feed(&[0; 10]).expect("the whole document");
        assert_eq!(v.feed(&[0]).map_err(|f| f.0), Err(Reason::SizeMismatch));
        let mut v = Verifier::new(None).limited(None, mib);
        v.feed(&vec![0; mib as usize]).expect("up to the cap");
        assert_eq!(v.feed(&[0]).map_err(|f| f.0), Err(Reason::TooLarge));
    }
}
