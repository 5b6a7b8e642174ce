//! The hashes that key what is made from what: a ground-floor module, so that a phase can say
//! what its outputs are made from without knowing who keeps them (see [`crate::incremental`]).

/// The digest of a file's or a value's bytes. XXH3 rather than SipHash: sources are a
/// gigabyte at 100,000 postmortems.
pub fn digest(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// A hash of a list of byte strings, each with its length first, so that no two different
/// lists hash alike: the key of whatever is made from exactly these parts.
pub fn hash_parts<'p>(parts: impl IntoIterator<Item = &'p [u8]>) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for part in parts {
        hasher.update(&part.len().to_le_bytes());
        hasher.update(part);
    }
    hasher.digest()
}

/// Whether a list kept by document is worth writing again, when this build's `documents`
/// were not all in it (`missed`) and it held entries of documents gone or changed since
/// (`unused`). A missed document costs the next build the little work of making its entry
/// again, an unused entry only its reading; writing the list is the cost of the whole
/// archive (60-70 ms for 10,000 postmortems). So it is written again once a 64th of the
/// documents are missed or unused, which a build with no list always is.
pub fn is_worth_writing(missed: usize, unused: usize, documents: usize) -> bool {
    (missed + unused) * 64 > documents
}

/// Whether the `digests` of this build's documents (by document or entry key) differ from
/// the `last` ones a kept list held, so that the list is worth writing again.
pub fn digests_differ(digests: &[(u64, u64)], last: &rustc_hash::FxHashMap<u64, u64>) -> bool {
    digests.len() != last.len()
        || digests
            .iter()
            .any(|(key, digest)| last.get(key) != Some(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_hash_apart_where_their_concatenation_is_the_same() {
        assert_ne!(
            hash_parts([&b"ab"[..], b"c"]),
            hash_parts([&b"a"[..], b"bc"])
        );
        assert_eq!(hash_parts([&b"ab"[..]]), hash_parts([&b"ab"[..]]));
    }
}
