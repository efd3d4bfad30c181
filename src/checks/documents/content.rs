//! A document's content as it streams past: counted, hashed, and its first
//! and last bytes kept for sniffing, never held whole. Every storage kind
//! feeds the same [`Verifier`]; it knows nothing of where bytes come from.

use aws_lc_rs::digest::{self, Context};
use base64::Engine;

use crate::config::documents::HashAlgorithm;

/// Bytes kept from the start (magic numbers) and the end (PDF's `%%EOF`).
const HEAD: usize = 512;
const TAIL: usize = 1024;

/// Streams content: counts, hashes, keeps the first and last bytes.
pub(crate) struct Verifier {
    hasher: Option<(HashAlgorithm, Context)>,
    pub(super) size: u64,
    pub(super) head: Vec<u8>,
    pub(super) tail: Vec<u8>,
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

    pub(super) fn digest(self) -> Option<Vec<u8>> {
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

/// Why an inventory's hash cannot be read (shown as missing metadata).
#[derive(Debug, thiserror::Error)]
pub(crate) enum BadHash {
    #[error("hash algorithm is not one of {0}")]
    UnknownAlgorithm(&'static str),
    #[error("hash without an algorithm, and its length does not tell")]
    NoAlgorithm,
    #[error("hash is not hex")]
    NotHex,
    #[error("hash is neither hex nor base64 of {0}")]
    NotEncoded(&'static str),
    #[error("hash is not the length of {0}")]
    WrongLength(&'static str),
}

/// The expected digest: the algorithm named (or the default, or told by
/// the length), the value read as hex or base64.
pub(crate) fn expected_hash(
    hash: &str,
    named: Option<&str>,
    default: Option<HashAlgorithm>,
) -> Result<(HashAlgorithm, Vec<u8>), BadHash> {
    let hash = hash.trim();
    let is_hex = hash.len().is_multiple_of(2) && hash.bytes().all(|b| b.is_ascii_hexdigit());
    let alg = match named {
        Some(n) => {
            HashAlgorithm::parse(n).ok_or(BadHash::UnknownAlgorithm(HashAlgorithm::NAMES))?
        }
        None => match (default, is_hex, hash.len()) {
            (Some(a), _, _) => a,
            (None, true, 40) | (None, false, 28) => HashAlgorithm::Sha1,
            (None, true, 64) | (None, false, 44) => HashAlgorithm::Sha256,
            _ => return Err(BadHash::NoAlgorithm),
        },
    };
    let bytes = if is_hex && hash.len() == alg.digest_len() * 2 {
        (0..hash.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hash[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| BadHash::NotHex)?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(hash)
            .map_err(|_| BadHash::NotEncoded(alg.as_str()))?
    };
    if bytes.len() != alg.digest_len() {
        return Err(BadHash::WrongLength(alg.as_str()));
    }
    Ok((alg, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(alg: HashAlgorithm, bytes: &[u8]) -> Vec<u8> {
        let mut v = Verifier::new(Some(alg));
        for chunk in bytes.chunks(7) {
            v.feed(chunk);
        }
        v.digest().expect("a hasher")
    }

    #[test]
    fn hashes_in_every_spelling_are_read_and_match_streamed_content() {
        let body = b"hello world";
        // Known digests of "hello world".
        let sha1_hex = "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed";
        let sha1_b64 = "Kq5sNclPz7QV2+lfQIuc6R7oRu0=";
        let sha256_hex = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
        let sha3_512_hex = "840006653e9ac9e95117a15c915caab81662918e925de9e004f774ff82d7079a40d4d27b1b372657c61d46d470304c88c788b3a4527ad074d1dccbee5dbaa99a";
        for (hash, named, alg) in [
            (sha1_hex, None, HashAlgorithm::Sha1),
            (sha1_b64, None, HashAlgorithm::Sha1),
            (sha256_hex, Some("SHA-256"), HashAlgorithm::Sha256),
            (sha3_512_hex, Some("sha3-512"), HashAlgorithm::Sha3_512),
        ] {
            let (a, want) = expected_hash(hash, named, None).expect(hash);
            assert_eq!(a, alg);
            assert_eq!(digest_of(alg, body), want, "{hash}");
        }
        assert!(
            expected_hash(&"ab".repeat(64), None, None).is_err(),
            "128 hex digits need a named algorithm"
        );
        assert!(expected_hash("zz", Some("sha1"), None).is_err());
    }

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
