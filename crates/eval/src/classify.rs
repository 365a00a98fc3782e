//! [`Classifier`]: the key-to-bucket map of the sample sort, built from a deterministic
//! pseudo-random sample so that buckets hold similar numbers of items.

use crate::item::Item;

/// Samples taken per bucket.
const OVERSAMPLE: usize = 32;

/// Maps keys to buckets with one table lookup: the key range of a sample is cut into
/// [`CELLS`] equal cells and consecutive cells are assigned to buckets so that each bucket gets
/// about the same share of the sample. The map is monotone in the key (keys outside the sampled
/// range are clamped to the edge cells), so bucket order is key order and equal keys always
/// share a bucket.
pub(crate) struct Classifier {
    lo: u64,
    shift: u32,
    table: Vec<u8>,
}

/// Cells of the classifier table (a power of two; the `u8` table stays in L1).
const CELLS: usize = 1 << 14;

impl Classifier {
    /// Builds the table from a deterministic pseudo-random sample of `blocks` (`n` items).
    pub(crate) fn new<I: Item>(blocks: &[Vec<I>], n: usize, buckets: usize) -> Self {
        let mut starts = Vec::with_capacity(blocks.len());
        let mut acc = 0usize;
        for b in blocks {
            starts.push(acc);
            acc += b.len();
        }
        let m = buckets * OVERSAMPLE;
        let mut state = 0x5EED_1EAF_u64;
        let sample: Vec<u64> = (0..m)
            .map(|_| {
                let idx = (splitmix64(&mut state) % n as u64) as usize;
                let b = starts.partition_point(|&s| s <= idx) - 1;
                blocks[b][idx - starts[b]].key()
            })
            .collect();
        let lo = sample.iter().copied().min().unwrap_or(0);
        let hi = sample.iter().copied().max().unwrap_or(0);
        let span = hi - lo;
        let mut shift = 0u32;
        while (span >> shift) >= CELLS as u64 {
            shift += 1;
        }
        let mut c = Classifier {
            lo,
            shift,
            table: vec![0; CELLS],
        };
        let mut counts = vec![0usize; CELLS];
        for &k in &sample {
            counts[c.cell(k)] += 1;
        }
        let mut before = 0usize;
        for (slot, &count) in c.table.iter_mut().zip(&counts) {
            let b = ((2 * before + count) * buckets / (2 * m)).min(buckets - 1);
            // `buckets <= 256`, so the id fits a byte.
            *slot = u8::try_from(b).unwrap_or(u8::MAX);
            before += count;
        }
        c
    }

    #[inline]
    fn cell(&self, key: u64) -> usize {
        ((key.saturating_sub(self.lo) >> self.shift) as usize).min(CELLS - 1)
    }

    /// The bucket of `key`.
    #[inline]
    pub(crate) fn bucket(&self, key: u64) -> usize {
        usize::from(self.table[self.cell(key)])
    }
}

/// One step of the splitmix64 generator.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::key_of;

    #[test]
    fn classifier_is_monotone_and_balanced() {
        let mut s = 5u64;
        let v: Vec<u64> = (0..100_000)
            .map(|_| key_of((splitmix64(&mut s) % (1 << 30)) as f64))
            .collect();
        let c = Classifier::new(std::slice::from_ref(&v), v.len(), 64);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        let ids: Vec<usize> = sorted.iter().map(|&k| c.bucket(k)).collect();
        assert!(
            ids.windows(2).all(|w| w[0] <= w[1]),
            "bucket ids follow key order"
        );
        let mut counts = vec![0usize; 64];
        for &b in &ids {
            counts[b] += 1;
        }
        let max = counts.iter().copied().max().unwrap_or(0);
        assert!(max < 3 * 100_000 / 64, "buckets are balanced: {counts:?}");
        assert_eq!(c.bucket(0), 0);
    }
}
