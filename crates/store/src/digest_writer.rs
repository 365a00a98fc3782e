//! [`DigestWriter`]: writes a new file while computing the sha256 of every
//! byte written, so that [`crate::fsutil::digest_path`] need not read the
//! file back. The bytes are staged in large blocks; a file of more than one
//! block is hashed on a thread of its own, block by block in order, while
//! the next blocks are filled and written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

/// Bytes per block (and per write).
const BLOCK: usize = 4 << 20;
/// The alignment direct I/O needs for memory, file offsets and lengths.
const ALIGN: usize = 4096;
/// Blocks in flight at most: one being filled, one being written, one
/// being hashed.
const POOL: usize = 3;

/// `O_DIRECT`, where it is known.
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "x86")))]
const O_DIRECT: Option<i32> = Some(0o40000);
#[cfg(all(target_os = "linux", any(target_arch = "aarch64", target_arch = "arm")))]
const O_DIRECT: Option<i32> = Some(0o200000);
#[cfg(not(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm"
    )
)))]
const O_DIRECT: Option<i32> = None;

/// A [`BLOCK`]-byte block at an [`ALIGN`]-aligned address inside an
/// over-allocated buffer; its first `len` bytes are filled.
struct Block {
    buf: Vec<u8>,
    start: usize,
    len: usize,
}

impl Block {
    fn new() -> Self {
        let buf = vec![0u8; BLOCK + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        Block { buf, start, len: 0 }
    }

    fn whole(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.start + BLOCK]
    }

    fn filled(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.len]
    }
}

/// Where the hashing happens.
enum Hashing {
    /// On the writing thread (a file of one block, or no thread to be had).
    Inline(Sha256),
    /// On a thread of its own, fed full blocks in order, which it hands back.
    Thread {
        blocks: SyncSender<Arc<Block>>,
        returned: Receiver<Arc<Block>>,
        hasher: JoinHandle<Sha256>,
        /// Blocks made so far (at most [`POOL`]).
        made: usize,
    },
}

/// Writes a new file while computing the sha256 of every byte written.
///
/// Where the platform allows, the file is written with direct I/O, in large
/// aligned blocks that go from this process's memory to the disk without
/// passing through the page cache: a large artifact is written once, and
/// copying it into freshly allocated cache pages costs more CPU than the
/// write itself (on virtual machines whose free memory is returned to the
/// host, several times more). Where direct I/O is refused, the file is
/// written normally.
pub struct DigestWriter {
    file: std::fs::File,
    path: PathBuf,
    direct: bool,
    /// The block being filled.
    block: Block,
    /// The file offset of the block's first byte.
    offset: u64,
    size: u64,
    hashing: Hashing,
}

impl DigestWriter {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        Self::create_with(path, O_DIRECT)
    }

    /// Creates the file with the direct-I/O open flag `o_direct` (`None`:
    /// ordinary writes).
    fn create_with(path: &Path, o_direct: Option<i32>) -> std::io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let direct = o_direct.and_then(|flag| {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .custom_flags(flag)
                .open(path)
                .ok()
        });
        let (file, direct) = match direct {
            Some(f) => (f, true),
            None => (std::fs::File::create(path)?, false),
        };
        Ok(DigestWriter {
            file,
            path: path.to_path_buf(),
            direct,
            block: Block::new(),
            offset: 0,
            size: 0,
            hashing: Hashing::Inline(Sha256::new()),
        })
    }

    /// Writes the filled part of the block (padded with zeros to the
    /// alignment under direct I/O) at its offset; on a refusal of direct
    /// I/O, reopens the file for ordinary writes and writes it that way.
    fn write_out(
        file: &mut std::fs::File,
        direct: &mut bool,
        path: &Path,
        block: &Block,
        offset: u64,
        padded: usize,
    ) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        if *direct {
            let bytes = &block.buf[block.start..block.start + padded];
            match file.write_all_at(bytes, offset) {
                Ok(()) => return Ok(()),
                // EINVAL: this file system does not take direct writes after all
                Err(e) if e.raw_os_error() == Some(22) => {
                    *file = std::fs::OpenOptions::new().write(true).open(path)?;
                    *direct = false;
                }
                Err(e) => return Err(e),
            }
        }
        file.write_all_at(block.filled(), offset)
    }

    /// Hashes and writes the block, then starts an empty one. `last`: the
    /// file ends with this block.
    fn flush_block(&mut self, last: bool) -> std::io::Result<()> {
        let len = self.block.len;
        let padded = if self.direct {
            len.next_multiple_of(ALIGN)
        } else {
            len
        };
        self.block.whole()[len..padded].fill(0);
        if !last && matches!(self.hashing, Hashing::Inline(_)) {
            self.start_hash_thread();
        }
        match &mut self.hashing {
            Hashing::Inline(h) => {
                h.update(self.block.filled());
                Self::write_out(
                    &mut self.file,
                    &mut self.direct,
                    &self.path,
                    &self.block,
                    self.offset,
                    padded,
                )?;
                self.block.len = 0;
            }
            Hashing::Thread {
                blocks,
                returned,
                made,
                ..
            } => {
                // the next block: one the hasher is done with, a new one
                // while the pool is not full, or the next one it hands back
                let next = match returned.try_recv() {
                    Ok(b) => Some(b),
                    Err(_) if *made < POOL => {
                        *made += 1;
                        None
                    }
                    Err(_) => returned.recv().ok(),
                };
                let mut next = next
                    .and_then(|b| Arc::try_unwrap(b).ok())
                    .unwrap_or_else(Block::new);
                next.len = 0;
                let full = Arc::new(std::mem::replace(&mut self.block, next));
                blocks.send(full.clone()).map_err(|_| {
                    std::io::Error::other("the sha256 thread of a file being written stopped")
                })?;
                Self::write_out(
                    &mut self.file,
                    &mut self.direct,
                    &self.path,
                    &full,
                    self.offset,
                    padded,
                )?;
            }
        }
        self.offset += len as u64;
        if last && padded != len {
            self.file.set_len(self.offset)?;
        }
        Ok(())
    }

    /// Moves the hashing to a thread of its own (kept inline when no thread
    /// can be started).
    fn start_hash_thread(&mut self) {
        let Hashing::Inline(h) = &self.hashing else {
            return;
        };
        let mut hasher = h.clone();
        let (blocks, todo) = sync_channel::<Arc<Block>>(POOL);
        let (give_back, returned) = sync_channel::<Arc<Block>>(POOL);
        let spawned = std::thread::Builder::new()
            .name("sha256".into())
            .spawn(move || {
                for block in todo {
                    hasher.update(block.filled());
                    let _ = give_back.send(block);
                }
                hasher
            });
        if let Ok(hasher) = spawned {
            self.hashing = Hashing::Thread {
                blocks,
                returned,
                hasher,
                made: 1,
            };
        }
    }

    /// Ends the file and remembers its digest, provided that everything in
    /// it was written through this writer (its size says so).
    pub fn finish(mut self) -> std::io::Result<()> {
        self.flush_block(true)?;
        self.file.flush()?;
        let hasher = match self.hashing {
            Hashing::Inline(h) => h,
            Hashing::Thread {
                blocks,
                returned,
                hasher,
                ..
            } => {
                drop(blocks);
                drop(returned);
                hasher.join().map_err(|_| {
                    std::io::Error::other("the sha256 thread of a file being written failed")
                })?
            }
        };
        let meta = self.file.metadata()?;
        if meta.len() == self.size {
            crate::fsutil::remember_digest(&meta, hasher.finalize().into());
        }
        Ok(())
    }
}

impl Write for DigestWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let at = self.block.len;
        let n = buf.len().min(BLOCK - at);
        self.block.whole()[at..at + n].copy_from_slice(&buf[..n]);
        self.block.len += n;
        self.size += n as u64;
        if self.block.len == BLOCK {
            self.flush_block(false)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // blocks go out whole; `finish` writes the last one
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `bytes` in pieces of varying sizes; the digest remembered for
    /// the file is the sha256 of its bytes, which are `bytes`.
    fn round_trip(o_direct: Option<i32>, len: usize) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x");
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + i / 4093) as u8).collect();
        let mut w = DigestWriter::create_with(&f, o_direct).unwrap();
        let mut rest = bytes.as_slice();
        let mut k = 0usize;
        while !rest.is_empty() {
            let n = ((k * 7919) % 300_000 + 1).min(rest.len());
            w.write_all(&rest[..n]).unwrap();
            rest = &rest[n..];
            k += 1;
        }
        w.finish().unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), bytes);
        let want = format!("sha256:{}", pai_core::sha256_hex(&bytes));
        assert_eq!(crate::fsutil::digest_path(&f).unwrap(), (want, len as u64));
    }

    #[test]
    fn files_of_every_size_digest_to_their_bytes() {
        // empty, inside one block, exactly blocks, more blocks than the pool
        for len in [
            0,
            1,
            4095,
            4097,
            BLOCK,
            BLOCK + 1,
            3 * BLOCK,
            7 * BLOCK + 12_345,
        ] {
            round_trip(O_DIRECT, len);
            round_trip(None, len);
        }
    }
}
