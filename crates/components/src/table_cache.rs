//! The in-process hand-off of table artifacts between nodes: a table a node
//! writes stays in memory, keyed by the identity of the file it was written
//! to, so that a later node of the same process reads it without going back
//! to the disk (artifacts are written with direct I/O and are not in the
//! page cache).
//!
//! The file stays the truth: an entry is found only while the file's
//! identity (device, inode, size, modification and change times) is the one
//! recorded when it was written or read, so a file that changed since is
//! read again. The cache holds at most [`capacity`] bytes
//! (`PAI_TABLE_CACHE_MB`, default 1024; 0 turns it off), least recently
//! used entries going first; a table larger than that is never held. The
//! scheduler brackets each run with [`run_started`] and [`run_ended`]; when
//! no run is left, the cache is emptied, so a long-running process (the
//! trigger) holds no tables between runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use arrow::array::RecordBatch;
use pai_store::fsutil::{FileId, file_id};

/// One cached table: the batches of the artifact with identity `id`.
struct Entry {
    id: FileId,
    batches: Vec<RecordBatch>,
    bytes: usize,
}

/// The cached tables, least recently used first.
static ENTRIES: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// How many runs of this process are running.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// A run of this process started.
pub fn run_started() {
    RUNNING.fetch_add(1, Ordering::SeqCst);
}

/// A run of this process ended; the last one to end empties the cache.
pub fn run_ended() {
    let before = RUNNING
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            Some(n.saturating_sub(1))
        })
        .unwrap_or(0);
    if before <= 1
        && let Ok(mut entries) = ENTRIES.lock()
    {
        entries.clear();
    }
}

/// The environment variable that sets the cache's size in MiB.
pub const CAPACITY_ENV: &str = "PAI_TABLE_CACHE_MB";

/// The cache's capacity in bytes (read once per process).
pub fn capacity() -> usize {
    static CAPACITY: OnceLock<usize> = OnceLock::new();
    *CAPACITY.get_or_init(|| {
        let mb = std::env::var(CAPACITY_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(1024);
        mb.saturating_mul(1 << 20)
    })
}

/// The memory the batches hold.
pub fn size_of(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::get_array_memory_size).sum()
}

/// Remembers `batches` as the content of the file with metadata `meta`,
/// when they fit in `capacity` bytes.
pub fn put(meta: &std::fs::Metadata, batches: Vec<RecordBatch>, capacity: usize) {
    let bytes = size_of(&batches);
    if bytes > capacity {
        return;
    }
    let id = file_id(meta);
    let Ok(mut entries) = ENTRIES.lock() else {
        return;
    };
    entries.retain(|e| e.id != id);
    let mut total: usize = entries.iter().map(|e| e.bytes).sum::<usize>() + bytes;
    while total > capacity && !entries.is_empty() {
        total -= entries.remove(0).bytes;
    }
    entries.push(Entry { id, batches, bytes });
}

/// The batches remembered for the file with metadata `meta`, if its
/// identity is unchanged; the entry becomes the most recently used.
pub fn get(meta: &std::fs::Metadata) -> Option<Vec<RecordBatch>> {
    let id = file_id(meta);
    let mut entries = ENTRIES.lock().ok()?;
    let at = entries.iter().position(|e| e.id == id)?;
    let entry = entries.remove(at);
    let batches = entry.batches.clone();
    entries.push(entry);
    Some(batches)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(v: i64, rows: usize) -> RecordBatch {
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)])),
            vec![Arc::new(Int64Array::from(vec![v; rows]))],
        )
        .unwrap()
    }

    #[test]
    fn entries_follow_the_file_and_the_capacity() {
        let dir = tempfile::tempdir().unwrap();
        let (p, q) = (dir.path().join("p"), dir.path().join("q"));
        std::fs::write(&p, b"p").unwrap();
        std::fs::write(&q, b"q").unwrap();
        let (mp, mq) = (
            std::fs::metadata(&p).unwrap(),
            std::fs::metadata(&q).unwrap(),
        );
        let one = batch(1, 1000);
        let cap = size_of(std::slice::from_ref(&one)) * 3 / 2;
        put(&mp, vec![one.clone()], cap);
        assert_eq!(get(&mp).unwrap(), vec![one.clone()]);
        // a second table beyond the capacity pushes the first out
        put(&mq, vec![batch(2, 1000)], cap);
        assert!(get(&mp).is_none());
        assert_eq!(get(&mq).unwrap(), vec![batch(2, 1000)]);
        // a table larger than the capacity is not held
        put(&mp, vec![batch(3, 10_000)], cap);
        assert!(get(&mp).is_none());
        // the file written again is another file
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&q, b"q2").unwrap();
        assert!(get(&std::fs::metadata(&q).unwrap()).is_none());
    }
}
