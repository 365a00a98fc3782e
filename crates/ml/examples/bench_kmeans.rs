//! Timing of k-means (`k = 8`, scikit-learn's defaults otherwise) on a
//! 1M × 20 classification table, over several seeds.
//!
//! Reads `/tmp/mc_X.f64` (raw little-endian f64, row-major, 20 columns) —
//! written from scikit-learn's
//! `make_classification(n_samples=1_000_000, n_features=20, random_state=0)`.
//! Run with
//! `cargo run --profile dist -p pai-ml --example bench_kmeans [first_seed] [n_seeds] [k] [max_iter]`;
//! `RAYON_NUM_THREADS=1` for single-threaded figures. Comparing with
//! `max_iter` 1 separates the cost per Lloyd iteration from the rest.

use std::time::Instant;

use pai_ml::{ColumnData, Frame, KMeansParams, fit_kmeans};

mod common;

use common::{cpu_secs, read_f64};

fn main() {
    let d = 20;
    let x = read_f64("/tmp/mc_X.f64").expect("/tmp/mc_X.f64");
    let n = x.len() / d;
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (first, seeds, k) = (arg(1, 0), arg(2, 5), arg(3, 8) as usize);
    let max_iter = arg(4, 300) as usize;
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
                max_iter,
                ..Default::default()
            },
        )
        .expect("kmeans");
        let (w, cp) = (t.elapsed().as_secs_f64(), cpu_secs() - c);
        wall += w;
        cpu += cp;
        println!(
            "seed {seed}: fit {w:.3} s wall ({cp:.2} s CPU), {} iterations, sizes {:?}",
            km.iterations, km.sizes
        );
    }
    println!("total: {wall:.3} s wall ({cpu:.2} s CPU)");
}
