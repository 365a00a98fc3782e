//! Timing of logistic regression (fit, predict) and k-means on a 1M × 20
//! classification table.
//!
//! Reads `/tmp/mc_X.f64` and `/tmp/mc_y.f64` (raw little-endian f64, row-major
//! X) when present — written by scikit-learn's
//! `make_classification(n_samples=1_000_000, n_features=20, random_state=0)`
//! — otherwise generates a similar table. Run with
//! `cargo run --profile dist -p pai-ml --example bench_linear [rows]`.

use std::time::Instant;

use pai_ml::{
    ColumnData, Frame, KMeansParams, LogisticRegressionParams, PredictedValues, Predictor,
    class_target, fit_kmeans, fit_logistic_regression,
};

mod common;

use common::{cpu_secs, read_f64};

/// A rough stand-in for make_classification: two Gaussian clusters per class
/// in 5 informative dimensions, 15 noise dimensions.
fn generate(n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut s = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut gauss = move || {
        let (u, v) = (next().max(1e-300), next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let mut x = vec![0.0; n * d];
    let mut y = vec![0.0; n];
    for i in 0..n {
        let class = i % 2;
        let cluster = (i / 2) % 2;
        y[i] = class as f64;
        for j in 0..d {
            let centre = if j < 5 {
                if (class + cluster + j) % 2 == 0 {
                    1.0
                } else {
                    -1.0
                }
            } else {
                0.0
            };
            x[i * d + j] = centre + gauss();
        }
    }
    (x, y)
}

fn main() {
    let d = 20;
    let (x, y) = match (read_f64("/tmp/mc_X.f64"), read_f64("/tmp/mc_y.f64")) {
        (Some(x), Some(y)) if x.len() == y.len() * d => {
            println!("data: /tmp/mc_X.f64 (scikit-learn make_classification)");
            (x, y)
        }
        _ => {
            let n = std::env::args()
                .nth(1)
                .and_then(|a| a.parse().ok())
                .unwrap_or(1_000_000);
            println!("data: generated approximation");
            generate(n, d)
        }
    };
    let n = y.len();
    let cols: Vec<Vec<f64>> = (0..d)
        .map(|j| (0..n).map(|i| x[i * d + j]).collect())
        .collect();
    let names: Vec<String> = (0..d).map(|j| format!("f{j}")).collect();
    let mut columns: Vec<(String, ColumnData<'_>)> = names
        .iter()
        .zip(&cols)
        .map(|(n, c)| (n.clone(), ColumnData::Numeric(c)))
        .collect();
    columns.push(("label".into(), ColumnData::Numeric(&y)));
    let frame = Frame { columns, n_rows: n };
    let target = class_target(&frame, "label").expect("target");
    println!(
        "rows {n}, features {d}, threads {}",
        rayon::current_num_threads()
    );

    let (t, c) = (Instant::now(), cpu_secs());
    let model = fit_logistic_regression(
        &frame,
        &names,
        &target,
        &LogisticRegressionParams::default(),
    )
    .expect("fit");
    let (fit, fit_cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - c);
    let (t, c) = (Instant::now(), cpu_secs());
    let out = model.predict(&frame).expect("predict");
    let (pred, pred_cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - c);
    let PredictedValues::Labels(labels) = out.values else {
        return;
    };
    let acc = labels
        .iter()
        .zip(&y)
        .filter(|(l, y)| **l as f64 == **y)
        .count() as f64
        / n as f64;
    println!(
        "logistic regression: fit {fit:.3} s wall ({fit_cpu:.2} s CPU), train accuracy {acc:.6}; predict {pred:.3} s wall ({pred_cpu:.2} s CPU) = {:.1} M rows/s",
        n as f64 / pred / 1e6
    );

    let (t, c) = (Instant::now(), cpu_secs());
    let km = fit_kmeans(
        &frame,
        &names,
        &KMeansParams {
            k: 8,
            seed: std::env::var("SEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
            ..Default::default()
        },
    )
    .expect("kmeans");
    let (fit, fit_cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - c);
    let t = Instant::now();
    let out = km.predict(&frame).expect("predict");
    let pred = t.elapsed().as_secs_f64();
    let inertia: f64 = out
        .detail
        .map(|d| {
            let PredictedValues::Labels(l) = &out.values else {
                return 0.0;
            };
            l.iter()
                .enumerate()
                .map(|(i, &c)| d.values[i * 8 + c as usize].powi(2))
                .sum()
        })
        .unwrap_or(0.0);
    println!(
        "k-means k=8: fit {fit:.3} s wall ({fit_cpu:.2} s CPU), inertia {inertia:.1}, sizes {:?}; predict {pred:.3} s",
        km.sizes
    );
}
