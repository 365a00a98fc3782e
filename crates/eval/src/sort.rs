//! In-memory parallel sorting of buffered items: a sample sort. The buffered blocks are
//! scattered into key-range buckets (a table lookup per item) and every bucket is sorted on its
//! own with an LSD radix sort on the key bits, in parallel. Memory stays close to the data
//! itself: scattering refills the chunks of blocks already consumed, radix sorting uses one
//! scratch pair per thread, and each sorted bucket is written back into its own chunks. The
//! output is a list of chunks whose concatenation is the sorted sequence.

use std::sync::{Mutex, PoisonError};

use rayon::ThreadPool;
use rayon::prelude::*;

use crate::classify::Classifier;
use crate::item::Item;

/// Capacity of buffered blocks and scatter chunks (they are recycled into each other).
pub(crate) const CHUNK_ITEMS: usize = 2048;
/// Aim for buckets of about this many items (they then sort inside the L2 cache).
const TARGET_BUCKET: usize = 1 << 16;
/// Upper bound on the bucket count (a power of two, at most 256: ids are bytes).
const MAX_BUCKETS: usize = 256;
/// Widest radix digit (2048 counters per pass).
const MAX_DIGIT_BITS: u32 = 11;
/// Below this, comparison sort beats radix sort.
const SMALL_SORT: usize = 256;
/// Buckets above this size are split again rather than radix-sorted with scratch buffers.
const LARGE_BUCKET: usize = 1 << 20;
/// How many times a large bucket may be split again.
const MAX_DEPTH: u32 = 3;

/// Radix sort buffers of one thread, reused from bucket to bucket.
#[derive(Default)]
struct Scratch<I> {
    a: Vec<I>,
    b: Vec<I>,
    hist: Vec<usize>,
}

/// Sorts all items of `blocks` by `(key, tie)`, consuming the blocks.
///
/// Returns non-empty chunks whose concatenation is the sorted sequence.
pub(crate) fn sort_blocks<I: Item>(
    blocks: Vec<Vec<I>>,
    pool: &ThreadPool,
    threads: usize,
) -> Vec<Vec<I>> {
    let threads = threads.max(1);
    let scratches: Vec<Mutex<Scratch<I>>> = (0..threads)
        .map(|_| Mutex::new(Scratch::default()))
        .collect();
    pool.install(|| sort_rec(blocks, 0, threads, &scratches))
}

/// Runs `f` with the calling worker's scratch buffers.
fn with_scratch<I: Item, R>(
    scratches: &[Mutex<Scratch<I>>],
    f: impl FnOnce(&mut Scratch<I>) -> R,
) -> R {
    let idx = rayon::current_thread_index().unwrap_or(0) % scratches.len();
    let mut guard = scratches[idx]
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    f(&mut guard)
}

fn sort_rec<I: Item>(
    chunks: Vec<Vec<I>>,
    depth: u32,
    threads: usize,
    scratches: &[Mutex<Scratch<I>>],
) -> Vec<Vec<I>> {
    let n: usize = chunks.iter().map(Vec::len).sum();
    if n == 0 {
        return Vec::new();
    }
    let buckets = n
        .div_ceil(TARGET_BUCKET)
        .next_power_of_two()
        .min(MAX_BUCKETS);
    if buckets <= 1 || depth >= MAX_DEPTH {
        return with_scratch(scratches, |s| sort_bucket(chunks, s));
    }
    let classifier = Classifier::new(&chunks, n, buckets);

    // Hand each thread an equal share of the chunks to scatter.
    let groups = threads.min(chunks.len());
    let per_group = chunks.len().div_ceil(groups);
    let mut grouped: Vec<Vec<Vec<I>>> = Vec::with_capacity(groups);
    let mut it = chunks.into_iter();
    loop {
        let g: Vec<Vec<I>> = it.by_ref().take(per_group).collect();
        if g.is_empty() {
            break;
        }
        grouped.push(g);
    }
    let parts: Vec<Vec<Vec<Vec<I>>>> = grouped
        .into_par_iter()
        .map(|g| scatter(g, &classifier, buckets))
        .collect();
    let mut per_bucket: Vec<Vec<Vec<I>>> = (0..buckets).map(|_| Vec::new()).collect();
    for part in parts {
        for (b, chunks) in part.into_iter().enumerate() {
            per_bucket[b].extend(chunks);
        }
    }
    let sorted: Vec<Vec<Vec<I>>> = per_bucket
        .into_par_iter()
        .map(|chunks| {
            let m: usize = chunks.iter().map(Vec::len).sum();
            if m > LARGE_BUCKET && m > n / 4 {
                sort_rec(chunks, depth + 1, threads, scratches)
            } else {
                with_scratch(scratches, |s| sort_bucket(chunks, s))
            }
        })
        .collect();
    sorted.into_iter().flatten().collect()
}

/// Distributes the items of `blocks` into per-bucket chunk lists. Each consumed block is
/// cleared and reused as a chunk, so scattering needs almost no new memory.
fn scatter<I: Item>(blocks: Vec<Vec<I>>, classifier: &Classifier, nb: usize) -> Vec<Vec<Vec<I>>> {
    let mut done: Vec<Vec<Vec<I>>> = (0..nb).map(|_| Vec::new()).collect();
    let mut tails: Vec<Vec<I>> = (0..nb).map(|_| Vec::new()).collect();
    let mut free: Vec<Vec<I>> = Vec::new();
    for mut block in blocks {
        for &item in &block {
            let b = classifier.bucket(item.key());
            let t = &mut tails[b];
            if t.len() == t.capacity() {
                let fresh = free
                    .pop()
                    .unwrap_or_else(|| Vec::with_capacity(CHUNK_ITEMS));
                let full = std::mem::replace(t, fresh);
                if !full.is_empty() {
                    done[b].push(full);
                }
            }
            t.push(item);
        }
        block.clear();
        free.push(block);
    }
    for (b, t) in tails.into_iter().enumerate() {
        if !t.is_empty() {
            done[b].push(t);
        }
    }
    done
}

/// Sorts one bucket by `(key, tie)`, writing the result back into its own chunks (or, for a
/// bucket too large for scratch buffers, into one vector sorted in place).
fn sort_bucket<I: Item>(mut chunks: Vec<Vec<I>>, scratch: &mut Scratch<I>) -> Vec<Vec<I>> {
    chunks.retain(|c| !c.is_empty());
    let n: usize = chunks.iter().map(Vec::len).sum();
    if n <= 1 {
        return chunks;
    }
    // Only the key bits that differ between items need radix passes.
    let (mut or, mut and) = (0u64, u64::MAX);
    for c in &chunks {
        for it in c {
            or |= it.key();
            and &= it.key();
        }
    }
    let varying = or ^ and;
    if varying == 0 && !I::WEIGHTED {
        return chunks; // every key is equal
    }
    if n > LARGE_BUCKET {
        let mut v = gather(chunks);
        v.sort_unstable_by_key(|it| (it.key(), it.tie()));
        return vec![v];
    }
    let Scratch { a, b, hist } = scratch;
    a.clear();
    if n <= SMALL_SORT || varying == 0 {
        for c in &chunks {
            a.extend_from_slice(c);
        }
        a.sort_unstable_by_key(|it| (it.key(), it.tie()));
        write_back(&mut chunks, a);
        return chunks;
    }
    let low = varying.trailing_zeros();
    let span = 64 - varying.leading_zeros() - low;
    let passes = span.div_ceil(MAX_DIGIT_BITS) as usize;
    let width = span.div_ceil(passes as u32);
    let radix = 1usize << width;
    let mask = (radix - 1) as u64;
    let shifts: Vec<u32> = (0..passes as u32).map(|p| low + p * width).collect();
    hist.clear();
    hist.resize(passes * radix, 0);
    for c in &chunks {
        for it in c {
            let k = it.key();
            for (p, &sh) in shifts.iter().enumerate() {
                hist[p * radix + ((k >> sh) & mask) as usize] += 1;
            }
        }
    }
    // Turn counts into start offsets.
    for h in hist.chunks_exact_mut(radix) {
        let mut acc = 0usize;
        for c in h.iter_mut() {
            let count = *c;
            *c = acc;
            acc += count;
        }
    }
    a.resize(n, I::default());
    let (off, rest) = hist.split_at_mut(radix);
    let sh = shifts[0];
    for c in &chunks {
        for &it in c {
            let d = ((it.key() >> sh) & mask) as usize;
            a[off[d]] = it;
            off[d] += 1;
        }
    }
    if passes > 1 {
        b.clear();
        b.resize(n, I::default());
        for (off, &sh) in rest.chunks_exact_mut(radix).zip(&shifts[1..]) {
            for &it in a.iter() {
                let d = ((it.key() >> sh) & mask) as usize;
                b[off[d]] = it;
                off[d] += 1;
            }
            std::mem::swap(a, b);
        }
    }
    if I::WEIGHTED {
        fix_ties(a);
    }
    write_back(&mut chunks, a);
    chunks
}

/// Copies `sorted` back over the chunks, keeping their lengths.
fn write_back<I: Item>(chunks: &mut [Vec<I>], sorted: &[I]) {
    let mut pos = 0;
    for c in chunks {
        let len = c.len();
        c.copy_from_slice(&sorted[pos..pos + len]);
        pos += len;
    }
}

/// Concatenates chunks into one exactly-sized vector, freeing each chunk once copied.
fn gather<I: Item>(chunks: Vec<Vec<I>>) -> Vec<I> {
    let total = chunks.iter().map(Vec::len).sum();
    let mut v = Vec::with_capacity(total);
    for c in chunks {
        v.extend_from_slice(&c);
    }
    v
}

/// Orders runs of equal keys by their tie-breaker so the sequence is unique.
fn fix_ties<I: Item>(v: &mut [I]) {
    let mut i = 0;
    while i < v.len() {
        let k = v[i].key();
        let mut j = i + 1;
        while j < v.len() && v[j].key() == k {
            j += 1;
        }
        if j - i > 1 {
            v[i..j].sort_unstable_by_key(|it| it.tie());
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::splitmix64;
    use crate::item::{Pair, key_of};

    fn pool(t: usize) -> ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .expect("pool")
    }

    fn keys(n: usize, seed: u64, modulo: u64) -> Vec<u64> {
        let mut s = seed;
        (0..n)
            .map(|_| key_of((splitmix64(&mut s) % modulo) as f64 * 0.25))
            .collect()
    }

    fn blocks_of<I: Clone>(v: &[I], size: usize) -> Vec<Vec<I>> {
        v.chunks(size).map(<[I]>::to_vec).collect()
    }

    #[test]
    fn sample_sort_matches_std_sort() {
        for (n, modulo) in [
            (1, 10),
            (300, 10),
            (70_000, 1_000_000),
            (300_000, 1 << 40),
            (300_000, 3),
        ] {
            let v = keys(n, n as u64, modulo);
            let mut want = v.clone();
            want.sort_unstable();
            for t in [1, 2, 3] {
                let got: Vec<u64> = sort_blocks(blocks_of(&v, 5000), &pool(t), t).concat();
                assert_eq!(got, want, "n {n} modulo {modulo} threads {t}");
            }
        }
    }

    #[test]
    fn weighted_ties_are_ordered_by_weight() {
        let mut s = 7;
        let v: Vec<Pair> = (0..200_000)
            .map(|_| {
                Pair::make(
                    key_of((splitmix64(&mut s) % 50) as f64),
                    (splitmix64(&mut s) % 7) as f64,
                )
            })
            .collect();
        let mut want = v.clone();
        want.sort_unstable_by_key(|p| (p.key(), p.tie()));
        let got = sort_blocks(blocks_of(&v, 4096), &pool(2), 2).concat();
        assert_eq!(got, want);
    }

    #[test]
    fn radix_handles_negatives_and_dominant_bucket() {
        let mut scratch = Scratch::default();
        let v: Vec<u64> = [-5.0, 3.0, -0.5, 0.0, 2.0]
            .iter()
            .cycle()
            .take(2000)
            .map(|&x| key_of(x))
            .collect();
        let mut want = v.clone();
        want.sort_unstable();
        assert_eq!(sort_bucket(blocks_of(&v, 300), &mut scratch).concat(), want);
        let same = vec![key_of(4.0); 1000];
        assert_eq!(
            sort_bucket(blocks_of(&same, 300), &mut scratch).concat(),
            same
        );
        let big: Vec<u64> = keys(LARGE_BUCKET + 5, 3, 1 << 50);
        let mut want = big.clone();
        want.sort_unstable();
        assert_eq!(
            sort_bucket(blocks_of(&big, 4096), &mut scratch).concat(),
            want
        );
        // Mostly one repeated value plus a spread: split again, then sorted.
        let mut skewed: Vec<u64> = vec![key_of(1.0); 3 << 20];
        skewed.extend(keys(100_000, 4, 1000));
        let mut want = skewed.clone();
        want.sort_unstable();
        assert_eq!(
            sort_blocks(blocks_of(&skewed, 4096), &pool(2), 2).concat(),
            want
        );
    }
}
