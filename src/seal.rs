//! The seal on everything the build reads back from disk: the cache, the record of the last
//! build, and the journal of an update of the output.
//!
//! Anything in the repository can come from a pull request, and CI builds pull requests, so
//! a file in `.hindsight-cache/` or beside the output proves nothing by being there. Each
//! such file ends with a message authentication code (keyed BLAKE3) made with a key that
//! lives outside the repository: in the user's cache folder (`$XDG_CACHE_HOME/hindsight/key`,
//! or `~/.cache/hindsight/key`), made on first use from the operating system's random bytes
//! and readable by the user only; or in the `HINDSIGHT_CACHE_KEY` environment variable, for
//! a CI cache kept between jobs (a CI secret). A file whose code does not match was not
//! written by this program with this key, and is ignored: the build goes on as if it were
//! not there. The code covers the archive's path and the file's name too, so a file cannot
//! be moved from one archive or purpose to another.
//!
//! Without a key (no home folder, say) nothing is sealed or trusted: the cache is neither
//! read nor written, and the bookkeeping beside the output is named at random per build.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable that holds the key, for caches kept outside this machine.
pub const KEY_VARIABLE: &str = "HINDSIGHT_CACHE_KEY";

/// The fewest characters a key given in [`KEY_VARIABLE`] may have: a short key can be
/// guessed.
const SHORTEST_KEY: usize = 16;

/// The bytes of a seal, at the end of each sealed file.
pub const SEAL_LEN: usize = 32;

/// A key of this machine's user (or of a CI secret), to seal and check files with.
pub struct Key([u8; 32]);

static KEY: OnceLock<Option<Key>> = OnceLock::new();

/// The key of this user, made on first use; `None` when there is none and none can be made
/// (a note says why, once).
pub fn key() -> Option<&'static Key> {
    KEY.get_or_init(|| match Key::find() {
        Ok(key) => Some(key),
        Err(why) => {
            eprintln!("note: the build cache is off: {why}");
            None
        }
    })
    .as_ref()
}

/// Seals with a key of this process only, made of random bytes, never reading or making the
/// user's key file: for a program that runs builds in its own process, such as a test, and
/// must leave the user's key alone. Called before the first build; after it, the key is kept.
pub fn use_process_key() {
    KEY.get_or_init(|| Key::random().ok());
}

impl Key {
    /// The key of [`KEY_VARIABLE`] when it is set, of the user's key file otherwise.
    fn find() -> Result<Key, String> {
        if let Some(given) = std::env::var_os(KEY_VARIABLE).filter(|given| !given.is_empty()) {
            return Key::from_secret(given.as_encoded_bytes());
        }
        // Unit tests seal with a key of their own, made for the process: they never read or
        // make the user's key file.
        if cfg!(test) {
            return Key::random();
        }
        let file = key_file().ok_or_else(|| {
            "there is no home folder to keep its key in; set HINDSIGHT_CACHE_KEY".to_string()
        })?;
        Key::read_or_make(&file)
    }

    /// A key of random bytes, for this process only: what unit tests seal with.
    fn random() -> Result<Key, String> {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| format!("no random bytes for a key: {e}"))?;
        Ok(Key(random))
    }

    /// The key of a secret such as [`KEY_VARIABLE`] gives, at least [`SHORTEST_KEY`]
    /// bytes long. Public so that tests can seal what a holder of the key could.
    pub fn from_secret(secret: &[u8]) -> Result<Key, String> {
        if secret.len() < SHORTEST_KEY {
            return Err(format!(
                "{KEY_VARIABLE} is shorter than {SHORTEST_KEY} characters; give a longer secret"
            ));
        }
        Ok(Key(blake3::derive_key("hindsight cache key", secret)))
    }

    /// The key in `file`, made with random bytes first when there is none. Two builds that
    /// make it at once agree: each writes its own file and links it into place, and the
    /// second link fails.
    fn read_or_make(file: &Path) -> Result<Key, String> {
        let shown = file.display();
        if !file.exists() {
            make_key_file(file).map_err(|e| format!("cannot make the key {shown}: {e}"))?;
        }
        is_private(file)?;
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read the key {shown}: {e}"))?;
        parse_hex(text.trim()).map(Key).ok_or_else(|| {
            format!("the key {shown} is not 64 hexadecimal digits; remove it to make a new one")
        })
    }

    /// A hasher that seals bytes written for `purpose` (the archive and the file's name).
    pub fn hasher(&self, purpose: &[u8]) -> blake3::Hasher {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(&(purpose.len() as u64).to_le_bytes());
        hasher.update(purpose);
        hasher
    }

    /// The seal of `bytes` written for `purpose`.
    pub fn seal(&self, purpose: &[u8], bytes: &[u8]) -> [u8; SEAL_LEN] {
        *self.hasher(purpose).update(bytes).finalize().as_bytes()
    }

    /// A name no one without the key can guess, for bookkeeping files of `purpose` that
    /// a pull request must not be able to plant (see [`crate::write`]).
    pub fn name_tag(&self, purpose: &[u8]) -> String {
        let seal = self.seal(b"name", purpose);
        seal[..8].iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

/// Whether `hasher` ended with the seal `seal`, compared in constant time.
pub fn matches(hasher: &blake3::Hasher, seal: &[u8]) -> bool {
    <[u8; SEAL_LEN]>::try_from(seal).is_ok_and(|seal| hasher.finalize() == blake3::Hash::from(seal))
}

/// What a sealed file of the archive at `root`, named `name`, is sealed for: the archive's
/// path (made absolute) and the name.
pub fn purpose(root: &Path, name: &str) -> Vec<u8> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut purpose = root.into_os_string().into_encoded_bytes();
    purpose.push(0);
    purpose.extend_from_slice(name.as_bytes());
    purpose
}

/// The bytes of a sealed file (`payload` then its seal) when the seal is this key's for
/// `purpose`; otherwise `None`, after a note (once per build) that the file is ignored.
pub fn open(file: &Path, purpose: &[u8], mut bytes: Vec<u8>) -> Option<Vec<u8>> {
    let key = key()?;
    let whole = bytes.len().checked_sub(SEAL_LEN).is_some_and(|end| {
        let (payload, seal) = bytes.split_at(end);
        matches(key.hasher(purpose).update(payload), seal)
    });
    if !whole {
        ignored(file);
        return None;
    }
    bytes.truncate(bytes.len() - SEAL_LEN);
    Some(bytes)
}

/// Writes `bytes` sealed for `purpose` to `writer`.
pub fn write_sealed(writer: &mut impl Write, purpose: &[u8], bytes: &[u8]) -> std::io::Result<()> {
    let key = key().ok_or_else(|| std::io::Error::other("no key to seal with"))?;
    writer.write_all(bytes)?;
    writer.write_all(&key.seal(purpose, bytes))
}

static NOTED: AtomicBool = AtomicBool::new(false);

/// Says, once per build, that a file was ignored because this program did not write it
/// with this key (or it was damaged since).
pub fn ignored(file: &Path) {
    if !NOTED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "note: ignoring {}: it was not written by hindsight on this machine (or was damaged); the build goes on without it",
            file.display()
        );
    }
}

/// The user's key file: `$XDG_CACHE_HOME/hindsight/key`, or `~/.cache/hindsight/key`.
fn key_file() -> Option<PathBuf> {
    let absolute = |dir: std::ffi::OsString| Some(PathBuf::from(dir)).filter(|d| d.is_absolute());
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .and_then(absolute)
        .or_else(|| Some(std::env::var_os("HOME").and_then(absolute)?.join(".cache")))?;
    Some(cache.join("hindsight").join("key"))
}

/// Makes `file` with a new random key, readable and writable by its owner only.
fn make_key_file(file: &Path) -> std::io::Result<()> {
    let dir = file
        .parent()
        .ok_or_else(|| std::io::Error::other("the key has no folder"))?;
    let mut folder = std::fs::DirBuilder::new();
    folder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
    folder.create(dir)?;
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
    let hex: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let temporary = dir.join(format!(".key.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&temporary)
        .and_then(|mut created| created.write_all(format!("{hex}\n").as_bytes()))
        .and_then(|()| match std::fs::hard_link(&temporary, file) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            linked => linked,
        });
    let _ = std::fs::remove_file(&temporary);
    written
}

/// Refuses a key file that others than its owner can write: they could choose the key.
#[cfg(unix)]
fn is_private(file: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file)
        .map_err(|e| format!("cannot read the key {}: {e}", file.display()))?
        .permissions()
        .mode();
    if mode & 0o022 != 0 {
        return Err(format!(
            "the key {} can be written by others; remove it to make a new one",
            file.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn is_private(_file: &Path) -> Result<(), String> {
    Ok(())
}

fn parse_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (at, pair) in bytes.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        key[at] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hindsight").join("key");
        let made = Key::read_or_make(&file).unwrap();
        let read = Key::read_or_make(&file).unwrap();
        assert_eq!(made.0, read.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_key_file_others_can_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "ab".repeat(32)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
            assert!(Key::read_or_make(&file).is_err());
        }
    }

    #[test]
    fn a_short_secret_is_refused_and_seals_depend_on_key_and_purpose() {
        assert!(Key::from_secret(b"short").is_err());
        let a = Key::from_secret(b"a secret long enough").unwrap();
        let b = Key::from_secret(b"another secret long enough").unwrap();
        assert_ne!(a.seal(b"x", b"bytes"), b.seal(b"x", b"bytes"));
        assert_ne!(a.seal(b"x", b"bytes"), a.seal(b"y", b"bytes"));
        assert_ne!(a.seal(b"x", b"bytes"), a.seal(b"x", b"bytez"));
        let mut hasher = a.hasher(b"x");
        hasher.update(b"bytes");
        assert!(matches(&hasher, &a.seal(b"x", b"bytes")));
        assert!(!matches(&hasher, &b.seal(b"x", b"bytes")));
    }
}
