//! The histograms the tree grower builds: per feature and bin, gradient
//! and hessian sums and row counts, in `f64` for a node and in four `f32`
//! lanes within a block of rows; filling a block from the packed rows, and
//! adding and subtracting histograms bin by bin.

use super::hist::{BinMatrix, PackedRow};

/// Gradient and hessian sums of one bin.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub(super) struct GradSums {
    pub(super) g: f64,
    pub(super) h: f64,
}

/// The histogram of one feature over a node: gradient and hessian sums and
/// row counts per bin (bins beyond the feature's count stay 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct FeatureHist {
    pub(super) sums: [GradSums; 256],
    pub(super) counts: [u32; 256],
}

/// An empty feature histogram.
pub(super) const EMPTY: FeatureHist = FeatureHist {
    sums: [GradSums { g: 0.0, h: 0.0 }; 256],
    counts: [0; 256],
};

/// The histograms of every feature of one node.
pub(super) type Hist = Vec<FeatureHist>;

/// The running sums of one bin within a block of rows: gradient, hessian,
/// row count and an unused lane, in `f32` so that one 16-byte add updates
/// them all.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(16))]
pub(super) struct Lanes(pub(super) [f32; 4]);

/// The histograms of every feature over one block of rows.
pub(super) type BlockHist = Vec<[Lanes; 256]>;

/// Rows whose bins are gathered before they are added to the histograms.
const GATHER_ROWS: usize = 64;

/// Adds every row of `rows` to the block histograms of every feature. The
/// packed rows of a batch are first gathered (a short loop, so that many
/// rows are fetched from memory at once), then added.
pub(super) fn fill(hist: &mut [[Lanes; 256]], matrix: &BinMatrix, rows: &[u32]) {
    let mut buf = [PackedRow::default(); GATHER_ROWS];
    for group in &matrix.groups {
        let Some(gh) = hist.get_mut(group.first..group.first + group.width) else {
            continue;
        };
        for batch in rows.chunks(GATHER_ROWS) {
            // Ascending distinct ids: a batch spanning as many rows as it
            // holds is a contiguous run (always at the unsampled root).
            let (first, last) = (
                batch.first().map_or(0, |&r| r as usize),
                batch.last().map_or(0, |&r| r as usize),
            );
            let run = ((last + 1).checked_sub(first) == Some(batch.len()))
                .then(|| group.rows.get(first..=last))
                .flatten();
            let packed: &[PackedRow] = match run {
                Some(run) => run,
                None => {
                    for (slot, &r) in buf.iter_mut().zip(batch) {
                        *slot = group.rows.get(r as usize).copied().unwrap_or_default();
                    }
                    buf.get(..batch.len()).unwrap_or_default()
                }
            };
            add_rows(gh, packed);
        }
    }
}

/// Adds packed rows to the block histograms of their group's features.
#[inline(always)]
pub(super) fn add_rows(hist: &mut [[Lanes; 256]], packed: &[PackedRow]) {
    for row in packed {
        let add = [row.g, row.h, 1.0, 0.0];
        for (fh, &b) in hist.iter_mut().zip(&row.bins) {
            let lanes = &mut fh[usize::from(b)].0;
            for (x, a) in lanes.iter_mut().zip(&add) {
                *x += a;
            }
        }
    }
}

/// `total += block`, bin by bin, in `f64`.
pub(super) fn add_block(total: &mut [FeatureHist], block: &[[Lanes; 256]]) {
    for (t, b) in total.iter_mut().zip(block) {
        for ((s, c), l) in t.sums.iter_mut().zip(t.counts.iter_mut()).zip(b) {
            let [g, h, n, _] = l.0;
            s.g += f64::from(g);
            s.h += f64::from(h);
            *c += n as u32;
        }
    }
}

/// `total += part`, bin by bin.
pub(super) fn add_into(total: &mut [FeatureHist], part: &[FeatureHist]) {
    for (t, p) in total.iter_mut().zip(part) {
        for (tb, pb) in t.sums.iter_mut().zip(&p.sums) {
            tb.g += pb.g;
            tb.h += pb.h;
        }
        for (tc, pc) in t.counts.iter_mut().zip(&p.counts) {
            *tc += pc;
        }
    }
}

/// `parent -= child`, bin by bin: the histogram of the parent's other child.
pub(super) fn subtract(parent: &mut [FeatureHist], child: &[FeatureHist]) {
    for (p, s) in parent.iter_mut().zip(child) {
        for (pb, sb) in p.sums.iter_mut().zip(&s.sums) {
            pb.g -= sb.g;
            pb.h -= sb.h;
        }
        for (pc, sc) in p.counts.iter_mut().zip(&s.counts) {
            *pc -= sc;
        }
    }
}
