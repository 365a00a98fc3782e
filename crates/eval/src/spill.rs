//! External sorting support: sorted runs written to anonymous temporary files in `spill_dir`
//! (unlinked at creation, so they vanish when closed — on success, on error and on a crash), a
//! level-wise compaction that keeps at most [`FAN_IN`] runs per level open, and the streaming
//! k-way merge that yields the globally sorted sequence without materializing it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use crate::error::EvalError;
use crate::item::Item;

/// Runs merged at once (and most runs of one level kept open).
const FAN_IN: usize = 64;
/// Items decoded per read from a run file.
const READ_ITEMS: usize = 8192;

/// One sorted run on disk.
#[derive(Debug)]
struct Run {
    file: File,
    len: u64,
    level: u32,
}

/// The spilled runs of one builder.
#[derive(Debug)]
pub(crate) struct Spill<I: Item> {
    dir: PathBuf,
    runs: Vec<Run>,
    written: usize,
    _item: PhantomData<I>,
}

impl<I: Item> Spill<I> {
    /// No runs yet; files will go to `dir`.
    pub(crate) fn new(dir: &Path) -> Self {
        Spill {
            dir: dir.to_path_buf(),
            runs: Vec::new(),
            written: 0,
            _item: PhantomData,
        }
    }

    /// Whether nothing was spilled.
    pub(crate) fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Number of sorted runs written from memory (merges not counted).
    pub(crate) fn runs_written(&self) -> usize {
        self.written
    }

    fn io_err(&self, source: std::io::Error) -> EvalError {
        EvalError::Spill {
            dir: self.dir.clone(),
            source,
        }
    }

    /// Writes an already sorted sequence (the concatenation of `sorted`) as a new run.
    pub(crate) fn write_run(&mut self, sorted: &[Vec<I>]) -> Result<(), EvalError> {
        let mut w = RunWriter::create(&self.dir).map_err(|e| self.io_err(e))?;
        for part in sorted {
            for &it in part {
                w.push(it).map_err(|e| self.io_err(e))?;
            }
        }
        let run = w.finish(0).map_err(|e| self.io_err(e))?;
        self.runs.push(run);
        self.written += 1;
        self.compact()
    }

    /// Merges the newest `FAN_IN` runs into one while they share a level.
    fn compact(&mut self) -> Result<(), EvalError> {
        loop {
            let m = self.runs.len();
            if m < FAN_IN {
                return Ok(());
            }
            let level = self.runs[m - 1].level;
            if self.runs[m - FAN_IN..].iter().any(|r| r.level != level) {
                return Ok(());
            }
            let group = self.runs.split_off(m - FAN_IN);
            let sources = group
                .into_iter()
                .map(|r| RunReader::<I>::new(r).map(Source::File))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.io_err(e))?;
            let mut merger = Merger::new(sources).map_err(|e| self.io_err(e))?;
            let mut w = RunWriter::create(&self.dir).map_err(|e| self.io_err(e))?;
            while let Some(it) = merger.next_item().map_err(|e| self.io_err(e))? {
                w.push(it).map_err(|e| self.io_err(e))?;
            }
            let run = w.finish(level + 1).map_err(|e| self.io_err(e))?;
            self.runs.push(run);
        }
    }

    /// A merger over every run plus the sorted in-memory remainder.
    pub(crate) fn into_merger(
        self,
        memory: Vec<Vec<I>>,
    ) -> Result<(Merger<I>, PathBuf), EvalError> {
        let dir = self.dir.clone();
        let mut sources = Vec::with_capacity(self.runs.len() + 1);
        for r in self.runs {
            sources.push(Source::File(RunReader::new(r).map_err(|e| {
                EvalError::Spill {
                    dir: dir.clone(),
                    source: e,
                }
            })?));
        }
        if !memory.is_empty() {
            sources.push(Source::Memory(MemoryRun {
                buckets: memory,
                bucket: 0,
                pos: 0,
            }));
        }
        let merger = Merger::new(sources).map_err(|e| EvalError::Spill {
            dir: dir.clone(),
            source: e,
        })?;
        Ok((merger, dir))
    }
}

/// Buffered writer of one run file.
struct RunWriter<I: Item> {
    out: BufWriter<File>,
    bytes: Vec<u8>,
    len: u64,
    _item: PhantomData<I>,
}

impl<I: Item> RunWriter<I> {
    fn create(dir: &Path) -> std::io::Result<Self> {
        let file = tempfile::tempfile_in(dir)?;
        Ok(RunWriter {
            out: BufWriter::with_capacity(1 << 16, file),
            bytes: Vec::with_capacity(I::BYTES),
            len: 0,
            _item: PhantomData,
        })
    }

    fn push(&mut self, it: I) -> std::io::Result<()> {
        self.bytes.clear();
        it.encode(&mut self.bytes);
        self.len += 1;
        self.out.write_all(&self.bytes)
    }

    fn finish(self, level: u32) -> std::io::Result<Run> {
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        Ok(Run {
            file,
            len: self.len,
            level,
        })
    }
}

/// Streams the items of one run file back.
struct RunReader<I: Item> {
    file: File,
    remaining: u64,
    bytes: Vec<u8>,
    items: Vec<I>,
    pos: usize,
}

impl<I: Item> RunReader<I> {
    fn new(run: Run) -> std::io::Result<Self> {
        let mut file = run.file;
        file.seek(SeekFrom::Start(0))?;
        Ok(RunReader {
            file,
            remaining: run.len,
            bytes: Vec::new(),
            items: Vec::new(),
            pos: 0,
        })
    }

    fn next_item(&mut self) -> std::io::Result<Option<I>> {
        if self.pos == self.items.len() {
            if self.remaining == 0 {
                return Ok(None);
            }
            let take = self.remaining.min(READ_ITEMS as u64) as usize;
            self.bytes.resize(take * I::BYTES, 0);
            self.file.read_exact(&mut self.bytes)?;
            self.items.clear();
            self.items
                .extend(self.bytes.chunks_exact(I::BYTES).map(I::decode));
            self.remaining -= take as u64;
            self.pos = 0;
        }
        let it = self.items[self.pos];
        self.pos += 1;
        Ok(Some(it))
    }
}

/// The sorted in-memory remainder taking part in the final merge.
struct MemoryRun<I: Item> {
    buckets: Vec<Vec<I>>,
    bucket: usize,
    pos: usize,
}

impl<I: Item> MemoryRun<I> {
    fn next_item(&mut self) -> Option<I> {
        while let Some(b) = self.buckets.get(self.bucket) {
            if let Some(&it) = b.get(self.pos) {
                self.pos += 1;
                return Some(it);
            }
            self.bucket += 1;
            self.pos = 0;
        }
        None
    }
}

enum Source<I: Item> {
    File(RunReader<I>),
    Memory(MemoryRun<I>),
}

impl<I: Item> Source<I> {
    fn next_item(&mut self) -> std::io::Result<Option<I>> {
        match self {
            Source::File(r) => r.next_item(),
            Source::Memory(m) => Ok(m.next_item()),
        }
    }
}

/// Streaming k-way merge by `(key, tie)`.
pub(crate) struct Merger<I: Item> {
    sources: Vec<Source<I>>,
    heap: BinaryHeap<Reverse<(u64, u64, usize)>>,
}

impl<I: Item> Merger<I> {
    fn new(mut sources: Vec<Source<I>>) -> std::io::Result<Self> {
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (i, s) in sources.iter_mut().enumerate() {
            if let Some(it) = s.next_item()? {
                heap.push(Reverse((it.key(), it.tie(), i)));
            }
        }
        Ok(Merger { sources, heap })
    }

    /// The next item of the merged sequence.
    pub(crate) fn next_item(&mut self) -> std::io::Result<Option<I>> {
        let Some(Reverse((key, tie, i))) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(next) = self.sources[i].next_item()? {
            self.heap.push(Reverse((next.key(), next.tie(), i)));
        }
        Ok(Some(I::from_parts(key, tie)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_and_merge_keep_everything_sorted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut spill: Spill<u64> = Spill::new(dir.path());
        let mut all = Vec::new();
        let mut s = 99u64;
        for _ in 0..(FAN_IN * 2 + 5) {
            let mut run: Vec<u64> = (0..37)
                .map(|_| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                    s >> 40
                })
                .collect();
            run.sort_unstable();
            all.extend_from_slice(&run);
            spill.write_run(&[run]).expect("write");
        }
        assert_eq!(spill.runs_written(), FAN_IN * 2 + 5);
        assert!(
            spill.runs.len() <= FAN_IN,
            "compaction keeps few runs: {}",
            spill.runs.len()
        );
        let memory = vec![vec![0u64, 5, 9], vec![u64::MAX]];
        all.extend([0, 5, 9, u64::MAX]);
        all.sort_unstable();
        let (mut merger, _) = spill.into_merger(memory).expect("merger");
        let mut got = Vec::new();
        while let Some(x) = merger.next_item().expect("read") {
            got.push(x);
        }
        assert_eq!(got, all);
        assert_eq!(std::fs::read_dir(dir.path()).expect("read dir").count(), 0);
    }

    #[test]
    fn missing_directory_is_a_spill_error() {
        let mut spill: Spill<u64> = Spill::new(Path::new("/nonexistent/pai-eval-spill"));
        let err = spill.write_run(&[vec![1, 2]]).expect_err("must fail");
        assert!(err.to_string().contains("spill_dir"), "{err}");
    }
}
