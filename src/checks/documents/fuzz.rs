//! Fuzzing document bytes and inventory hashes: the sniffer takes any
//! bytes, the streaming verifier gives the same size, head, tail and digest
//! however the body is cut into chunks, and any hash text is read or
//! refused. The long pass is `bench/fuzz.sh`.

use proptest::prelude::*;

use super::sniff::sniff;
use super::stream::Verifier;
use super::verify::expected_hash;
use crate::config::documents::HashAlgorithm;

fn algorithm() -> impl Strategy<Value = Option<HashAlgorithm>> {
    prop_oneof![
        Just(None),
        Just(Some(HashAlgorithm::Sha1)),
        Just(Some(HashAlgorithm::Sha256)),
        Just(Some(HashAlgorithm::Sha512)),
        Just(Some(HashAlgorithm::Sha3_512)),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let magic = prop_oneof![
        Just(b"%PDF-1.7\n".to_vec()),
        Just(b"II*\0".to_vec()),
        Just(vec![0xFF, 0xD8, 0xFF]),
        Just(b"\x89PNG\r\n\x1a\n".to_vec()),
        Just(Vec::new()),
    ];
    (magic, proptest::collection::vec(any::<u8>(), 0..3000)).prop_map(|(mut m, rest)| {
        m.extend(rest);
        m
    })
}

proptest! {
    #[test]
    fn chunking_does_not_change_what_the_verifier_sees(
        bytes in body(),
        cuts in proptest::collection::vec(1usize..700, 1..20),
        alg in algorithm(),
    ) {
        let _ = sniff(&bytes);
        let mut whole = Verifier::new(alg);
        whole.feed(&bytes).expect("no limit");
        let mut parts = Verifier::new(alg);
        let (mut at, mut i) = (0, 0);
        while at < bytes.len() {
            let n = cuts[i % cuts.len()].min(bytes.len() - at);
            parts.feed(&bytes[at..at + n]).expect("no limit");
            at += n;
            i += 1;
        }
        prop_assert_eq!(parts.size(), bytes.len() as u64);
        prop_assert_eq!(&parts.head, &whole.head);
        prop_assert_eq!(&parts.tail, &whole.tail);
        prop_assert_eq!(sniff(&parts.head), sniff(&bytes));
        prop_assert_eq!(parts.digest(), whole.digest());
    }

    #[test]
    fn any_hash_text_is_read_or_refused(
        hash in prop_oneof!["\\PC{0,140}", "[0-9a-fA-F]{0,130}", "[A-Za-z0-9+/=]{0,90}"],
        named in proptest::option::of(prop_oneof!["[a-z0-9-]{0,10}", Just("sha256".to_string())]),
        default in algorithm(),
    ) {
        if let Ok((alg, digest)) = expected_hash(&hash, named.as_deref(), default) {
            prop_assert_eq!(digest.len(), alg.digest_len());
        }
    }
}
