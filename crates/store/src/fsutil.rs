//! Atomic file writes and content digests.
//!
//! Every file the engine publishes is written to a temporary name in the
//! target directory and then renamed (or hard-linked, when it must not
//! replace an existing file), so readers never see a partial file.
//!
//! A large file can be digested while it is written ([`DigestWriter`]):
//! its digest is then remembered with the file's identity (device, inode,
//! size, modification and change times), and [`digest_path`] uses it
//! instead of reading the file back, as long as that identity is unchanged.

use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

pub use crate::digest_writer::DigestWriter;

/// A temporary path beside `target`, unique within this process and across
/// processes (pid + counter + time).
pub fn temp_path_for(target: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.tmp-{}-{n}-{nanos}", std::process::id()))
}

/// Publishes a finished temporary file at `target`.
///
/// With `overwrite` false this never replaces an existing file, even when
/// several processes race: the hard link either creates `target` or fails.
/// The temporary file is removed in every case.
pub fn publish(temp: &Path, target: &Path, overwrite: bool) -> std::io::Result<()> {
    let result = if overwrite {
        std::fs::rename(temp, target)
    } else {
        std::fs::hard_link(temp, target)
    };
    let _ = std::fs::remove_file(temp);
    result
}

/// Writes `bytes` to `target` atomically.
pub fn write_atomic(target: &Path, bytes: &[u8], overwrite: bool) -> std::io::Result<()> {
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temp = temp_path_for(target);
    let written = (|| {
        let mut f = std::fs::File::create(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    publish(&temp, target, overwrite)
}

/// Flushes a directory's entries (a rename into it) to disk; best effort,
/// since some file systems refuse to sync directories.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A file's identity (for [`KNOWN_DIGESTS`], and the components' table
/// hand-off): device, inode, size, and
/// modification and change times in nanoseconds. Renaming the file or its
/// directory keeps it; writing to the file changes it.
pub type FileId = (u64, u64, u64, i128, i128);

/// The [`FileId`] of a file with metadata `meta`.
pub fn file_id(meta: &std::fs::Metadata) -> FileId {
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    (
        meta.dev(),
        meta.ino(),
        meta.len(),
        ns(meta.mtime(), meta.mtime_nsec()),
        ns(meta.ctime(), meta.ctime_nsec()),
    )
}

/// The sha256 of files written through a [`DigestWriter`] in this process,
/// by file identity; the most recent few only.
static KNOWN_DIGESTS: Mutex<Vec<(FileId, [u8; 32])>> = Mutex::new(Vec::new());
/// How many digests [`KNOWN_DIGESTS`] keeps.
const KNOWN_MAX: usize = 256;

/// A digest remembered for the file with metadata `meta`, if any.
fn known_digest(meta: &std::fs::Metadata) -> Option<[u8; 32]> {
    let id = file_id(meta);
    let known = KNOWN_DIGESTS.lock().ok()?;
    known.iter().rev().find(|(k, _)| *k == id).map(|(_, d)| *d)
}

/// Remembers `digest` as the sha256 of the file with metadata `meta`.
pub(crate) fn remember_digest(meta: &std::fs::Metadata, digest: [u8; 32]) {
    if let Ok(mut known) = KNOWN_DIGESTS.lock() {
        if known.len() >= KNOWN_MAX {
            known.remove(0);
        }
        known.push((file_id(meta), digest));
    }
}

/// `sha256:<hex>` and the total size over the files under `path` (a file or
/// a directory, walked in name order so the digest is stable). A single
/// file written through a [`DigestWriter`] and unchanged since is not read
/// again.
pub fn digest_path(path: &Path) -> std::io::Result<(String, u64)> {
    let mut files = Vec::new();
    collect_files(path, &mut files)?;
    files.sort();
    if let [file] = files.as_slice() {
        let meta = std::fs::metadata(file)?;
        if let Some(digest) = known_digest(&meta) {
            return Ok((format!("sha256:{}", hex::encode(digest)), meta.len()));
        }
    }
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    for f in &files {
        if files.len() > 1 {
            let rel = f.strip_prefix(path).unwrap_or(f);
            hasher.update(rel.to_string_lossy().as_bytes());
            hasher.update([0]);
        }
        let mut file = std::fs::File::open(f)?;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
    }
    Ok((format!("sha256:{}", hex::encode(hasher.finalize())), size))
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            collect_files(&entry?.path(), out)?;
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pai_core::sha256_hex;

    #[test]
    fn no_clobber_keeps_the_first_file() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("a.csv");
        write_atomic(&t, b"one", false).unwrap();
        let err = write_atomic(&t, b"two", false).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&t).unwrap(), b"one");
        write_atomic(&t, b"three", true).unwrap();
        assert_eq!(std::fs::read(&t).unwrap(), b"three");
        // no temporary files are left behind
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn racing_no_clobber_writes_have_one_winner() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("race.bin");
        let wins: usize = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|i| {
                    let t = t.clone();
                    s.spawn(move || usize::from(write_atomic(&t, &[i as u8; 1000], false).is_ok()))
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(wins, 1);
        let content = std::fs::read(&t).unwrap();
        assert_eq!(content.len(), 1000);
        assert!(content.iter().all(|b| *b == content[0]));
    }

    #[test]
    fn digests_computed_while_writing_match_and_follow_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("sub").join("x");
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        let mut w = DigestWriter::create(&f).unwrap();
        // more than a direct block, in pieces of all sizes, and an odd tail
        let mut want_bytes = Vec::new();
        for k in 0..4000usize {
            let piece: Vec<u8> = (0..k * 3 + 1).map(|i| (i * 7 + k) as u8).collect();
            w.write_all(&piece).unwrap();
            want_bytes.extend_from_slice(&piece);
        }
        w.finish().unwrap();
        let size = want_bytes.len() as u64;
        let bytes = std::fs::read(&f).unwrap();
        assert_eq!(bytes, want_bytes);
        let want = format!("sha256:{}", sha256_hex(&bytes));
        assert_eq!(digest_path(&f).unwrap(), (want.clone(), size));
        // a renamed directory keeps the file's identity
        let moved = dir.path().join("moved");
        std::fs::rename(f.parent().unwrap(), &moved).unwrap();
        assert_eq!(digest_path(&moved).unwrap(), (want, size));
        // a change to the file is seen: its digest is computed from the bytes
        std::fs::OpenOptions::new()
            .append(true)
            .open(moved.join("x"))
            .unwrap()
            .write_all(b"more")
            .unwrap();
        let bytes = std::fs::read(moved.join("x")).unwrap();
        assert_eq!(
            digest_path(&moved).unwrap().0,
            format!("sha256:{}", sha256_hex(&bytes))
        );
    }

    #[test]
    fn digest_matches_sha256_of_known_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x");
        std::fs::write(&f, b"abc").unwrap();
        let (d, size) = digest_path(&f).unwrap();
        assert_eq!(size, 3);
        assert_eq!(
            d,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
