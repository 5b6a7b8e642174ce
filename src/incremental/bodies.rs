//! Documents' front matter and analysed bodies kept between builds, in
//! `bodies/<program>-<settings>/`: a document's body HTML, headings, links, text and
//! timeline section, keyed by a hash of everything the analysis reads (the file, its path,
//! the settings that change the HTML, and the program) and of the file's identity on this
//! disk. Analysing bodies was nine tenths of the load, and the load a third of a build after
//! a one-file edit.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::config::Edition;
use crate::digest::hash_parts;
use crate::document::Meta;
use crate::markdown::Body;

use super::cache::{CACHE_DIR, Hashed, write_entry};

/// Bumped whenever what a cached body holds, or how its key is made, changes.
const BODY_FORMAT: &str = "hindsight-body-cache-7";

/// A document's front matter and analysed body, as the body cache keeps them.
type Analysed = (Meta, Body);

/// The folder of the body cache in the cache folder, and how many files it is split into:
/// an edit rewrites the file its body was in and the one it goes to, not every body.
const BODIES: &str = "bodies";
const BODY_SHARDS: usize = 256;

/// Bodies analysed by earlier builds, with their documents' front matter, by
/// [`BodyCache::key`]: a document whose file, path, settings and program are all as they
/// were is not parsed again, nor its code highlighted. Parsing its front matter again was
/// four fifths of what loading a document whose body was kept cost.
///
/// The bodies are split over [`BODY_SHARDS`] files by key, each ending with the seal of its
/// bytes, so that a damaged or planted file is noticed and ignored rather than trusted. A build holds
/// only each file's index; a body's packed HTML and text stay in the file until something
/// shows them (see [`crate::packed`]). A body's HTML reaches pages without being sanitized
/// again: what keeps a cache made elsewhere from ever being used is the seal on each file
/// (see [`crate::seal`]), and the identity of the file on this disk in its key (see
/// [`BodyCache::key`]).
pub struct BodyCache {
    /// What the last build wrote, by shard; a body taken for a document leaves its map.
    shards: Vec<Mutex<FxHashMap<u64, Analysed>>>,
    /// The keys each shard's file held, sorted: a shard whose keys this build has too is
    /// not written again.
    held: Vec<Vec<u64>>,
    /// The program, hashed (see [`super::uptodate::program`]).
    program: u64,
    /// The folder of this program's bodies made with these settings, under [`BODIES`]: the
    /// program's hash, then the settings'.
    folder: String,
    /// How many bodies documents took.
    taken: std::sync::atomic::AtomicUsize,
}

impl BodyCache {
    /// The bodies of the archive at `root` made by this program for this edition with
    /// these settings (base path, raw HTML), none when there are none; `None` when the
    /// program cannot be identified, since a body made by another program may differ.
    ///
    /// Bodies made with other settings are kept in another folder and not read at all: a
    /// build of the public edition neither holds the internal edition's bodies in memory
    /// nor evicts them.
    pub fn open(root: &Path, config: &crate::config::Config, edition: Edition) -> Option<Self> {
        let program = super::uptodate::program()?;
        let folder = format!(
            "{program:016x}-{:016x}",
            hash_parts([
                BODY_FORMAT.as_bytes(),
                &[edition as u8, u8::from(config.markdown.unsafe_html)],
                config.base_path().as_bytes(),
            ])
        );
        let shards: Vec<FxHashMap<u64, Analysed>> = (0..BODY_SHARDS)
            .into_par_iter()
            .map(|shard| read_shard(root, &shard_path(&folder, shard)).unwrap_or_default())
            .collect();
        let held = shards
            .iter()
            .map(|entries| {
                let mut keys: Vec<u64> = entries.keys().copied().collect();
                keys.sort_unstable();
                keys
            })
            .collect();
        Some(BodyCache {
            shards: shards.into_iter().map(Mutex::new).collect(),
            held,
            program,
            folder,
            taken: Default::default(),
        })
    }

    /// What a body is made from, hashed: the whole file, by the XXH3 `digest` of its bytes
    /// (diagnostics count lines from its start), its path (relative links resolve from it),
    /// the settings that change its HTML, and the program. A body rendered without some
    /// targets' links (in the public edition) has no key, and is never cached.
    ///
    /// The digest is the one [`super::uptodate`] records: a file whose stamp is unchanged
    /// since need not even be read to find its body (see [`super::uptodate::Sources::unread`]).
    ///
    /// The key also holds the `identity` of the very file read (its device, inode and
    /// change time, to the nanosecond: [`identity`]), which no one can know before the
    /// file is written on this disk: a cache committed to the repository, or handed over in
    /// a pull request, never matches, so it cannot put HTML into the site. Elsewhere than
    /// Unix there is no such identity, and no body is cached.
    pub fn key(
        &self,
        digest: u64,
        identity: &[u8; 32],
        context: &crate::markdown::Context,
    ) -> Option<u64> {
        if !context.render_html || context.withheld_targets.is_some() {
            return None;
        }
        Some(hash_parts([
            BODY_FORMAT.as_bytes(),
            &self.program.to_le_bytes(),
            identity,
            context.path.as_os_str().as_encoded_bytes(),
            context.base_path.as_bytes(),
            context.base_url.as_bytes(),
            &[context.edition as u8, u8::from(context.unsafe_html)],
            &digest.to_le_bytes(),
        ]))
    }

    /// [`BodyCache::key`] for the bytes `source`, read from the file whose metadata is `file`.
    pub fn key_of_read(
        &self,
        source: &str,
        file: &std::fs::Metadata,
        context: &crate::markdown::Context,
    ) -> Option<u64> {
        let digest = super::uptodate::digest(source.as_bytes());
        self.key(digest, &file_identity(file)?, context)
    }

    /// The front matter and body an earlier build made from what `key` hashes, if kept.
    pub fn take(&self, key: u64) -> Option<Analysed> {
        let body = self.shards[shard_of(key)]
            .lock()
            .expect("no thread panics while holding the cache")
            .remove(&key);
        if body.is_some() {
            self.taken
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        body
    }

    /// How many bodies were taken so far.
    pub fn taken(&self) -> usize {
        self.taken.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Writes the bodies of this build, each with its key, into the shards whose keys
    /// changed; a shard left with no body is removed, and so are the bodies other programs
    /// made, which no build of this one can use. Failures are ignored.
    pub fn save<'a>(self, root: &Path, bodies: impl Iterator<Item = (u64, (&'a Meta, &'a Body))>) {
        let mut by_shard: Vec<Vec<(u64, (&Meta, &Body))>> = vec![Vec::new(); BODY_SHARDS];
        for (key, body) in bodies {
            by_shard[shard_of(key)].push((key, body));
        }
        let bodies = root.join(CACHE_DIR).join(BODIES);
        let this_program = format!("{:016x}-", self.program);
        for entry in std::fs::read_dir(&bodies).into_iter().flatten().flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().starts_with(&this_program) {
                let _ = match entry.file_type() {
                    Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(entry.path()),
                    _ => std::fs::remove_file(entry.path()),
                };
            }
        }
        let dir = bodies.join(&self.folder);
        by_shard
            .into_par_iter()
            .zip(self.held)
            .enumerate()
            .for_each(|(shard, (mut entries, held))| {
                entries.sort_unstable_by_key(|(key, _)| *key);
                entries.dedup_by_key(|(key, _)| *key);
                if entries.iter().map(|(key, _)| *key).eq(held) {
                    return;
                }
                let name = shard_path(&self.folder, shard);
                if entries.is_empty() {
                    let _ = std::fs::remove_file(dir.join(shard_name(shard)));
                    return;
                }
                write_shard(root, &name, &entries);
            });
    }
}

impl crate::load::Bodies for BodyCache {
    fn key(
        &self,
        digest: u64,
        identity: &[u8; 32],
        context: &crate::markdown::Context,
    ) -> Option<u64> {
        BodyCache::key(self, digest, identity, context)
    }

    fn key_of_read(
        &self,
        source: &str,
        file: &std::fs::Metadata,
        context: &crate::markdown::Context,
    ) -> Option<u64> {
        BodyCache::key_of_read(self, source, file, context)
    }

    fn take(&self, key: u64) -> Option<(Meta, Body)> {
        BodyCache::take(self, key)
    }
}

/// A file's device, inode and change time, as bytes.
#[cfg(unix)]
fn file_identity(file: &std::fs::Metadata) -> Option<[u8; 32]> {
    use std::os::unix::fs::MetadataExt;
    Some(identity(
        file.dev(),
        file.ino(),
        (file.ctime(), file.ctime_nsec()),
    ))
}

#[cfg(not(unix))]
fn file_identity(_file: &std::fs::Metadata) -> Option<[u8; 32]> {
    None
}

/// A file's identity (see [`BodyCache::key`]) from its device, inode and change time
/// (seconds and nanoseconds), as a stamp of [`super::uptodate`] holds them.
pub fn identity(device: u64, inode: u64, changed: (i64, i64)) -> [u8; 32] {
    let mut identity = [0; 32];
    for (i, value) in [device, inode, changed.0 as u64, changed.1 as u64]
        .into_iter()
        .enumerate()
    {
        identity[i * 8..i * 8 + 8].copy_from_slice(&value.to_le_bytes());
    }
    identity
}

fn shard_of(key: u64) -> usize {
    // The key's top byte: the low bits pick hash-table buckets within the shard.
    (key >> 56) as usize % BODY_SHARDS
}

fn shard_name(shard: usize) -> String {
    format!("{shard:02x}.bin")
}

/// The name of a shard's file in the cache folder.
fn shard_path(folder: &str, shard: usize) -> String {
    format!("{BODIES}/{folder}/{}", shard_name(shard))
}

/// Writes the bodies of one shard: the length of an index, the index (each key with its
/// front matter and body, whose packed HTML and text it only describes), the packed bytes
/// of each body in the index's order, and a hash of all that. A build reads the index, and
/// leaves the packed bytes in the file until something shows them (see [`crate::packed::Packed`]).
fn write_shard(root: &Path, name: &str, entries: &[(u64, (&Meta, &Body))]) {
    let Some(key) = crate::seal::key() else {
        return;
    };
    let purpose = crate::seal::purpose(root, name);
    write_entry(root, name, |file| {
        let index = postcard::to_stdvec(&(BODY_FORMAT, entries)).map_err(std::io::Error::other)?;
        let mut hashed = Hashed {
            file: &mut *file,
            hasher: key.hasher(&purpose),
        };
        hashed.write_all(&(index.len() as u64).to_le_bytes())?;
        hashed.write_all(&index)?;
        for (_, (_, body)) in entries {
            for packed in body.packed() {
                let bytes = packed.bytes().ok_or_else(|| {
                    std::io::Error::other("a kept body's bytes are no longer in their file")
                })?;
                hashed.write_all(&bytes)?;
            }
        }
        let seal = hashed.hasher.finalize();
        file.write_all(seal.as_bytes())
    });
}

/// The bodies of one shard's file (see [`write_shard`]), when its seal is this machine's
/// (see [`crate::seal`]) and it is of this format. The whole file is checked, in pieces,
/// but only its index is held; the index's length is checked against the file's before
/// anything is allocated for it.
fn read_shard(root: &Path, name: &str) -> Option<FxHashMap<u64, Analysed>> {
    use std::io::Read;
    let path = root.join(CACHE_DIR).join(name);
    let mut file = File::open(&path).ok()?;
    let key = crate::seal::key()?;
    let unsealed = || {
        crate::seal::ignored(&path);
        None
    };
    let Some(end) = file
        .metadata()
        .ok()?
        .len()
        .checked_sub(crate::seal::SEAL_LEN as u64)
    else {
        return unsealed();
    };
    let mut hashed = Hashed {
        file: std::io::sink(),
        hasher: key.hasher(&crate::seal::purpose(root, name)),
    };
    let mut length = [0; 8];
    file.read_exact(&mut length).ok()?;
    let Some(index_end) = u64::from_le_bytes(length)
        .checked_add(8)
        .filter(|&at| at <= end)
    else {
        return unsealed();
    };
    let mut index = vec![0; usize::try_from(index_end - 8).ok()?];
    file.read_exact(&mut index).ok()?;
    hashed.write_all(&length).ok()?;
    hashed.write_all(&index).ok()?;
    // Through a large buffer, which `io::copy` reads into directly: a few reads a file.
    let mut buffered = BufWriter::with_capacity(1 << 20, hashed);
    let copied = std::io::copy(&mut (&mut file).take(end - index_end), &mut buffered).ok()?;
    let hashed = buffered.into_inner().ok()?;
    let mut seal = [0; crate::seal::SEAL_LEN];
    file.read_exact(&mut seal).ok()?;
    if copied != end - index_end || !crate::seal::matches(&hashed.hasher, &seal) {
        return unsealed();
    }
    let (written_as, mut entries) =
        postcard::from_bytes::<(String, Vec<(u64, Analysed)>)>(&index).ok()?;
    if written_as != BODY_FORMAT {
        return None;
    }
    let file = Arc::new(file);
    let mut at = index_end;
    for (_, (_, body)) in &mut entries {
        for packed in body.packed_mut() {
            if !packed.place(&file, &mut at, end) {
                return None;
            }
        }
    }
    (at == end).then(|| entries.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The body cache of `root` for what [`crate::markdown::Context::for_tests`] renders.
    fn open_bodies(root: &Path) -> BodyCache {
        BodyCache::open(root, &crate::config::Config::default(), Edition::Internal).unwrap()
    }

    /// The shard file of `key` in `root`'s body cache.
    fn shard_file(root: &Path, key: u64) -> PathBuf {
        let folder = open_bodies(root).folder;
        root.join(CACHE_DIR)
            .join(BODIES)
            .join(folder)
            .join(shard_name(shard_of(key)))
    }

    /// The metadata of a file of `root` holding `source`.
    fn written(root: &Path, name: &str, source: &str) -> std::fs::Metadata {
        std::fs::write(root.join(name), source).unwrap();
        std::fs::metadata(root.join(name)).unwrap()
    }

    /// A document as its file reads, and the body cache of `root` after a build loaded it.
    fn analysed(root: &Path, source: &str) -> (Analysed, u64) {
        let path = Path::new("content/postmortems/a.md");
        let context = crate::markdown::Context::for_tests(path);
        let cache = open_bodies(root);
        let file = written(root, "a.md", source);
        let key = cache.key_of_read(source, &file, &context).unwrap();
        let kind = crate::document::Kind::Postmortem;
        let loaded = crate::load::parse_document(path, kind, source, &context).unwrap();
        let (meta, body) = (loaded.document.meta, loaded.document.body);
        cache.save(root, [(key, (&meta, &body))].into_iter());
        ((meta, body), key)
    }

    const BODY: &str =
        "## Timeline\n\n- 10:00 paged\n\n```rust\nfn a() {}\n```\n\nSee [x](../premortems/x.md).\n";

    /// A postmortem with [`BODY`], whose front matter has every kind of value the cache
    /// writes as text: dates, times with an offset and nanoseconds, and a free-form table.
    const SOURCE: &str = r#"+++
title = "Checkout failed"
date = 2024-03-05
summary = "Orders failed."
severity = "sev2"
services = ["checkout-api"]

[incident]
started = 2024-03-05T14:02:03.123456789+02:00
resolved = 2024-03-05T15:00:00Z

[[actions]]
title = "Alert sooner"
owner = "payments"
due = 2024-04-01

[extra]
runbook = "https://example.com/rb"
pages = [1, 2.5, true]
when = 2024-03-05
[extra.team]
name = "payments"
+++
## Timeline

- 10:00 paged

```rust
fn a() {}
```

See [x](../premortems/x.md).
"#;

    #[test]
    fn a_saved_body_is_taken_back_whole_under_its_key_only() {
        let root = tempfile::tempdir().unwrap();
        let ((meta, body), key) = analysed(root.path(), SOURCE);
        let cache = open_bodies(root.path());
        assert!(cache.take(key.wrapping_add(1)).is_none());
        let (kept_meta, kept) = cache.take(key).expect("the body is kept");
        assert_eq!(format!("{kept_meta:?}"), format!("{meta:?}"));
        assert!(format!("{meta:?}").contains("123456789"), "{meta:?}");
        assert_eq!(kept.html.get(), body.html.get());
        assert_eq!(kept.text, body.text);
        assert_eq!(
            format!("{:?}", kept.headings),
            format!("{:?}", body.headings)
        );
        assert_eq!(
            format!("{:?}", kept.content_links),
            format!("{:?}", body.content_links)
        );
        assert_eq!(
            format!("{:?}", kept.timeline),
            format!("{:?}", body.timeline)
        );
        assert!(cache.take(key).is_none(), "a body is taken once");
    }

    #[test]
    fn the_key_changes_with_the_file_its_path_and_the_settings_that_shape_its_html() {
        let root = tempfile::tempdir().unwrap();
        let cache = open_bodies(root.path());
        let path = Path::new("content/postmortems/a.md");
        let base = crate::markdown::Context::for_tests(path);
        let file = written(root.path(), "a.md", BODY);
        let key = |source: &str, context: &crate::markdown::Context| {
            cache.key_of_read(source, &file, context).unwrap()
        };
        let other_path = Path::new("content/postmortems/b.md");
        let same = key(BODY, &base);
        assert_eq!(same, key(BODY, &crate::markdown::Context::for_tests(path)));
        let changes = [
            key(&format!("{BODY} "), &base),
            key(BODY, &crate::markdown::Context::for_tests(other_path)),
            key(
                BODY,
                &crate::markdown::Context {
                    base_path: "/archive",
                    ..crate::markdown::Context::for_tests(path)
                },
            ),
            key(
                BODY,
                &crate::markdown::Context {
                    edition: crate::config::Edition::Public,
                    ..crate::markdown::Context::for_tests(path)
                },
            ),
            key(
                BODY,
                &crate::markdown::Context {
                    unsafe_html: true,
                    ..crate::markdown::Context::for_tests(path)
                },
            ),
        ];
        for changed in changes {
            assert_ne!(changed, same);
        }
        let withheld = std::collections::HashSet::new();
        let public_links = crate::markdown::Context {
            withheld_targets: Some(&withheld),
            ..crate::markdown::Context::for_tests(path)
        };
        assert_eq!(
            cache.key_of_read(BODY, &file, &public_links),
            None,
            "never cached"
        );
    }

    #[test]
    fn a_body_is_kept_for_the_very_file_it_was_made_from_not_for_a_copy() {
        let root = tempfile::tempdir().unwrap();
        let cache = open_bodies(root.path());
        let context = crate::markdown::Context::for_tests(Path::new("content/postmortems/a.md"));
        let file = written(root.path(), "a.md", BODY);
        let copy = written(root.path(), "copy.md", BODY);
        // What a cache made elsewhere, say committed with the archive, would be keyed by.
        assert_ne!(
            cache.key_of_read(BODY, &file, &context),
            cache.key_of_read(BODY, &copy, &context)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(root.path().join("a.md"), BODY).unwrap();
        let rewritten = std::fs::metadata(root.path().join("a.md")).unwrap();
        assert_ne!(
            cache.key_of_read(BODY, &file, &context),
            cache.key_of_read(BODY, &rewritten, &context),
            "the same bytes written again are another file's"
        );
    }

    #[test]
    fn a_damaged_body_file_is_ignored() {
        let root = tempfile::tempdir().unwrap();
        let (_, key) = analysed(root.path(), SOURCE);
        let file = shard_file(root.path(), key);
        let mut bytes = std::fs::read(&file).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x20;
        std::fs::write(&file, &bytes).unwrap();
        assert!(open_bodies(root.path()).take(key).is_none());
    }

    #[test]
    fn a_shard_written_again_carries_the_bodies_it_only_read_the_index_of() {
        let root = tempfile::tempdir().unwrap();
        let ((meta, body), key) = analysed(root.path(), SOURCE);
        let cache = open_bodies(root.path());
        let (kept_meta, kept) = cache.take(key).unwrap();
        // Another body in the same shard: the shard is written again, with the kept body's
        // bytes read from the file being replaced.
        let other = key ^ 1;
        let edited = crate::load::parse_document(
            Path::new("content/postmortems/b.md"),
            crate::document::Kind::Postmortem,
            &SOURCE.replace("Orders failed.", "Orders failed twice."),
            &crate::markdown::Context::for_tests(Path::new("content/postmortems/b.md")),
        )
        .unwrap()
        .document;
        cache.save(
            root.path(),
            [
                (key, (&kept_meta, &kept)),
                (other, (&edited.meta, &edited.body)),
            ]
            .into_iter(),
        );
        let cache = open_bodies(root.path());
        let (_, first) = cache.take(key).unwrap();
        let (second_meta, second) = cache.take(other).unwrap();
        assert_eq!(first.html.get(), body.html.get());
        assert_eq!(first.text.get(), body.text.get());
        assert_eq!(second.text.get(), edited.body.text.get());
        assert!(format!("{second_meta:?}").contains("Orders failed twice."));
        assert_eq!(format!("{meta:?}"), format!("{kept_meta:?}"));
    }

    #[test]
    fn a_shard_is_rewritten_only_when_its_bodies_change_and_removed_when_empty() {
        let root = tempfile::tempdir().unwrap();
        let ((meta, body), key) = analysed(root.path(), SOURCE);
        let file = shard_file(root.path(), key);
        let written = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let cache = open_bodies(root.path());
        cache.take(key);
        cache.save(root.path(), [(key, (&meta, &body))].into_iter());
        assert_eq!(
            std::fs::metadata(&file).unwrap().modified().unwrap(),
            written
        );

        // The document is gone: its body goes too.
        open_bodies(root.path()).save(root.path(), std::iter::empty());
        assert!(!file.exists());
    }

    #[test]
    fn bodies_of_other_settings_are_kept_apart_and_those_of_other_programs_removed() {
        let root = tempfile::tempdir().unwrap();
        let ((meta, body), key) = analysed(root.path(), SOURCE);
        let config = crate::config::Config::default();
        let cache = BodyCache::open(root.path(), &config, Edition::Public).unwrap();
        assert!(
            cache.take(key).is_none(),
            "the internal edition's bodies are not read"
        );
        let bodies = root.path().join(CACHE_DIR).join(BODIES);
        let other_program = bodies.join("0000000000000000-0000000000000000");
        std::fs::create_dir_all(&other_program).unwrap();
        cache.save(root.path(), [(key, (&meta, &body))].into_iter());
        assert!(
            shard_file(root.path(), key).exists(),
            "the internal edition's stay"
        );
        assert!(!other_program.exists(), "another program's are removed");
        assert_eq!(std::fs::read_dir(&bodies).unwrap().count(), 2);
    }
}
