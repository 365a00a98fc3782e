//! Timing of k-means (`k = 8`, scikit-learn's defaults otherwise) on a
//! 1M × 20 classification table, over several seeds.
//!
//! Reads `/tmp/mc_X.f64` (raw little-endian f64, row-major, 20 columns) —
//! written from scikit-learn's
//! `make_classification(n_samples=1_000_000, n_features=20, random_state=0)`.
//! Run with
//! `cargo run --release -p pai-ml --example bench_kmeans [first_seed] [n_seeds] [k]`;
//! `RAYON_NUM_THREADS=1` for single-threaded figures.

use std::time::Instant;

use pai_ml::{ColumnData, Frame, KMeansParams, fit_kmeans};

/// CPU seconds (user + system, all threads) used by this process so far,
/// from `/proc/self/stat`; 0 where unavailable.
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let d = 20;
    let bytes = std::fs::read("/tmp/mc_X.f64").expect("/tmp/mc_X.f64");
    let x: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .collect();
    let n = x.len() / d;
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (first, seeds, k) = (arg(1, 0), arg(2, 5), arg(3, 8) as usize);
    let mut cols: Vec<Vec<f64>> = (0..d).map(|_| Vec::with_capacity(n)).collect();
    for row in x.chunks_exact(d) {
        for (c, v) in cols.iter_mut().zip(row) {
            c.push(*v);
        }
    }
    drop(x);
    let names: Vec<String> = (0..d).map(|j| format!("f{j}")).collect();
    let columns: Vec<(String, ColumnData<'_>)> = names
        .iter()
        .zip(&cols)
        .map(|(n, c)| (n.clone(), ColumnData::Numeric(c)))
        .collect();
    let frame = Frame { columns, n_rows: n };
    println!(
        "rows {n}, features {d}, k {k}, threads {}",
        rayon::current_num_threads()
    );
    let (mut wall, mut cpu) = (0.0, 0.0);
    for seed in first..first + seeds {
        let (t, c) = (Instant::now(), cpu_secs());
        let km = fit_kmeans(
            &frame,
            &names,
            &KMeansParams {
                k,
                seed,
                ..Default::default()
            },
        )
        .expect("kmeans");
        let (w, cp) = (t.elapsed().as_secs_f64(), cpu_secs() - c);
        wall += w;
        cpu += cp;
        println!(
            "seed {seed}: fit {w:.3} s wall ({cp:.2} s CPU), sizes {:?}",
            km.sizes
        );
    }
    println!("total: {wall:.3} s wall ({cpu:.2} s CPU)");
}
