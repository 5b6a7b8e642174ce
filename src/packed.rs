//! Text kept compressed (LZ4) from the load to what shows it: a body's HTML, its plain text,
//! and highlighted code.
//!
//! Every document is held until the site is written, and the HTML was two thirds of what a
//! document holds (247 of 370 MB for 10,000 postmortems): compressed, it is a sixth as big, and
//! unpacking it for a page takes a few microseconds. The plain text, held whole, took
//! 100,000 postmortems past 4 GB.
//!
//! A body taken from the body cache ([`crate::incremental::bodies::BodyCache`]) does not even hold that:
//! its packed bytes stay in the cache's file, and are read from it only by what shows them
//! (a page made again, a feed, a search record). Most of a build that changed one file
//! shows none of them.

use std::borrow::Cow;
use std::fs::File;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

#[derive(Clone)]
pub struct Packed(Bytes);

#[derive(Clone)]
enum Bytes {
    /// Packed by this build.
    Held(Box<[u8]>),
    /// In a cache file, from byte `at` on.
    InFile(Stored, Arc<File>, u64),
    /// Read from a cache file's index, before [`Packed::place`] says where its bytes are.
    Unplaced(Stored),
}

/// What an index says of bytes kept in a file: how many they are, and their hash, checked
/// each time they are read.
#[derive(Clone, Copy, Serialize, Deserialize)]
pub struct Stored {
    len: u64,
    digest: u64,
}

impl Default for Packed {
    fn default() -> Self {
        Packed(Bytes::Held(Box::default()))
    }
}

impl Packed {
    pub fn pack(text: &str) -> Packed {
        Packed(Bytes::Held(
            lz4_flex::compress_prepend_size(text.as_bytes()).into_boxed_slice(),
        ))
    }

    /// A hash of the packed bytes: the same text packs the same way, so what is made from it
    /// can be keyed by it without unpacking anything.
    pub fn digest(&self) -> u64 {
        match &self.0 {
            Bytes::Held(bytes) => xxhash_rust::xxh3::xxh3_64(bytes),
            Bytes::InFile(stored, ..) | Bytes::Unplaced(stored) => stored.digest,
        }
    }

    /// The text, unpacked.
    pub fn get(&self) -> String {
        self.unpack().expect(
            "a Packed holds the compressed bytes of a String, in memory or in a checked file",
        )
    }

    /// The text, or `None` when the bytes are not what `pack` makes (read from a damaged
    /// file).
    ///
    /// The size the bytes claim is checked before anything is allocated for it: LZ4 makes
    /// no more than 255 bytes of each, so a larger claim (4 GiB in 60 bytes) is damage.
    pub fn unpack(&self) -> Option<String> {
        let bytes = self.bytes()?;
        let (claimed, packed) = bytes.split_first_chunk::<4>()?;
        let most = (packed.len() as u64).saturating_mul(255).saturating_add(16);
        if u64::from(u32::from_le_bytes(*claimed)) > most {
            return None;
        }
        lz4_flex::decompress_size_prepended(&bytes)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    }

    /// The length of the text in bytes, as the packed bytes' first four say, without
    /// unpacking them; `None` when they cannot be read.
    pub fn unpacked_len(&self) -> Option<u64> {
        let claimed: [u8; 4] = match &self.0 {
            Bytes::Held(bytes) => *bytes.first_chunk::<4>()?,
            Bytes::InFile(_, file, at) => read_at(file, *at, 4)?.try_into().ok()?,
            Bytes::Unplaced(_) => return None,
        };
        Some(u64::from(u32::from_le_bytes(claimed)))
    }

    /// The packed bytes, read from their file if they are kept there; `None` when the file
    /// no longer holds them.
    pub fn bytes(&self) -> Option<Cow<'_, [u8]>> {
        match &self.0 {
            Bytes::Held(bytes) => Some(Cow::Borrowed(bytes)),
            Bytes::InFile(stored, file, at) => {
                let bytes = read_at(file, *at, usize::try_from(stored.len).ok()?)?;
                (xxhash_rust::xxh3::xxh3_64(&bytes) == stored.digest).then_some(Cow::Owned(bytes))
            }
            Bytes::Unplaced(_) => None,
        }
    }

    /// What an index of a cache file says of these bytes, which the file holds elsewhere.
    pub fn stored(&self) -> Stored {
        match &self.0 {
            Bytes::Held(bytes) => Stored {
                len: bytes.len() as u64,
                digest: self.digest(),
            },
            Bytes::InFile(stored, ..) | Bytes::Unplaced(stored) => *stored,
        }
    }

    /// Packed bytes whose index entry is `stored`, and which are not placed yet.
    pub fn unplaced(stored: Stored) -> Packed {
        Packed(Bytes::Unplaced(stored))
    }

    /// Says that these bytes, read from an index, are in `file` from byte `at` on, and moves
    /// `at` past them; `false` when they were placed already, or run past `end`.
    pub fn place(&mut self, file: &Arc<File>, at: &mut u64, end: u64) -> bool {
        let Bytes::Unplaced(stored) = self.0 else {
            return false;
        };
        match at.checked_add(stored.len) {
            Some(next) if next <= end => {
                self.0 = Bytes::InFile(stored, Arc::clone(file), *at);
                *at = next;
                true
            }
            _ => false,
        }
    }
}

#[cfg(unix)]
fn read_at(file: &File, at: u64, len: usize) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, at).ok()?;
    Some(bytes)
}

/// Elsewhere than Unix no body is cached (see [`crate::incremental::bodies::BodyCache::key`]), so nothing
/// is ever placed in a file.
#[cfg(not(unix))]
fn read_at(_file: &File, _at: u64, _len: usize) -> Option<Vec<u8>> {
    None
}

impl PartialEq for Packed {
    fn eq(&self, other: &Self) -> bool {
        self.digest() == other.digest() && self.bytes() == other.bytes()
    }
}

impl Eq for Packed {}

/// Whole, as the bytes themselves: how the highlight cache keeps its code.
impl Serialize for Packed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes = self
            .bytes()
            .ok_or_else(|| serde::ser::Error::custom("packed bytes no longer in their file"))?;
        serializer.serialize_bytes(&bytes)
    }
}

impl<'de> Deserialize<'de> for Packed {
    /// Any bytes: whoever reads them must [`Packed::unpack`] them, not `get` them.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Whole;
        impl serde::de::Visitor<'_> for Whole {
            type Value = Packed;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("compressed text")
            }
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Packed, E> {
                Ok(Packed(Bytes::Held(bytes.into())))
            }
        }
        deserializer.deserialize_bytes(Whole)
    }
}

/// As an index entry (`#[serde(with = "crate::packed::indexed")]`): only what [`Stored`]
/// says, for a file that holds the bytes after its index. How the body cache keeps bodies.
pub mod indexed {
    use super::{Packed, Stored};

    pub fn serialize<S: serde::Serializer>(
        packed: &Packed,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&packed.stored(), serializer)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Packed, D::Error> {
        <Stored as serde::Deserialize>::deserialize(deserializer).map(Packed::unplaced)
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Packed({:?})", self.unpack())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_claiming_more_than_lz4_can_make_are_refused_unallocated() {
        let mut bytes = lz4_flex::compress_prepend_size(b"hello");
        bytes[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let claimed = Packed(Bytes::Held(bytes.into_boxed_slice()));
        assert_eq!(claimed.unpack(), None);
        assert_eq!(Packed::pack("hello").unpack().as_deref(), Some("hello"));
        let long = "a".repeat(100_000);
        assert_eq!(Packed::pack(&long).unpack(), Some(long));
    }

    #[test]
    fn bytes_placed_in_a_file_are_read_from_it_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let text = "Every request failed for nine minutes.";
        let packed = Packed::pack(text);
        let bytes = packed.bytes().unwrap().into_owned();
        let path = dir.path().join("blobs");
        std::fs::write(&path, [b"head".as_slice(), &bytes, b"tail"].concat()).unwrap();
        let file = Arc::new(File::open(&path).unwrap());
        let end = 4 + bytes.len() as u64;

        let mut kept = Packed::unplaced(packed.stored());
        assert_eq!(kept.unpack(), None, "not placed yet");
        let mut at = 4;
        assert!(kept.place(&file, &mut at, end));
        assert_eq!(at, end);
        assert_eq!(kept.get(), text);
        assert_eq!(kept.digest(), packed.digest());
        assert_eq!(kept, packed);
        assert!(!kept.place(&file, &mut at, end), "placed once");

        let mut past_the_end = Packed::unplaced(packed.stored());
        assert!(!past_the_end.place(&file, &mut 5, end));

        let mut elsewhere = Packed::unplaced(packed.stored());
        assert!(elsewhere.place(&file, &mut 3, end));
        assert_eq!(elsewhere.unpack(), None, "bytes that do not hash alike");
    }
}
