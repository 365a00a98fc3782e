//! Times `fit_gbdt_binary_classifier` on a dumped binary dataset and reports
//! the training AUC, for comparison with scikit-learn's
//! `HistGradientBoostingClassifier`.
//!
//! File layout (little-endian): `u64 n_rows`, `u64 n_features`, then the
//! features column-major as `f64`, then the 0/1 labels as `f64`. Generate it
//! with scikit-learn and numpy:
//!
//! ```python
//! import numpy as np
//! from sklearn.datasets import make_classification
//! X, y = make_classification(n_samples=1_000_000, n_features=20, random_state=0)
//! with open("/tmp/treebench/mc1m.bin", "wb") as f:
//!     np.array(X.shape, dtype="<u8").tofile(f)
//!     np.asfortranarray(X).T.astype("<f8").tofile(f)
//!     y.astype("<f8").tofile(f)
//! ```
//!
//! Usage:
//! `cargo run --profile dist -p pai-ml --example gbdt_bench -- /tmp/treebench/mc1m.bin [num_trees]`

use std::time::Instant;

use pai_ml::{ColumnData, Frame, GbdtParams, PredictedValues, Predictor, Target};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "/tmp/treebench/mc1m.bin".into());
    let num_trees: usize = args.get(2).map_or(Ok(100), |s| s.parse())?;
    let bytes = std::fs::read(&path)?;
    let word = |i: usize| -> Result<[u8; 8], Box<dyn std::error::Error>> {
        Ok(bytes
            .get(i * 8..i * 8 + 8)
            .ok_or("truncated file")?
            .try_into()?)
    };
    let n = u64::from_le_bytes(word(0)?) as usize;
    let p = u64::from_le_bytes(word(1)?) as usize;
    let mut values = Vec::with_capacity((p + 1) * n);
    for i in 0..(p + 1) * n {
        values.push(f64::from_le_bytes(word(2 + i)?));
    }
    let names: Vec<String> = (0..p).map(|f| format!("f{f}")).collect();
    let frame = Frame {
        columns: names
            .iter()
            .enumerate()
            .map(|(f, name)| {
                (
                    name.clone(),
                    ColumnData::Numeric(&values[f * n..(f + 1) * n]),
                )
            })
            .collect(),
        n_rows: n,
    };
    let labels = &values[p * n..];
    let target = Target::Classes {
        column: "y".into(),
        codes: labels.iter().map(|&v| v as u32).collect(),
        classes: vec!["0".into(), "1".into()],
    };
    let params = GbdtParams {
        num_trees,
        ..GbdtParams::default()
    };
    let t = Instant::now();
    let cpu = cpu_seconds();
    let model = pai_ml::fit_gbdt_binary_classifier(&frame, &names, &target, &params)?;
    let fit = t.elapsed().as_secs_f64();
    let fit_cpu = cpu_seconds() - cpu;
    let t = Instant::now();
    let out = model.predict(&frame)?;
    let pred = t.elapsed().as_secs_f64();
    let probs: Vec<f64> = out
        .detail
        .as_ref()
        .map(|d| d.values.iter().skip(1).step_by(2).copied().collect())
        .unwrap_or_default();
    let acc = match &out.values {
        PredictedValues::Labels(l) => {
            l.iter()
                .zip(labels)
                .filter(|(a, b)| f64::from(**a) == **b)
                .count() as f64
                / n as f64
        }
        PredictedValues::Numbers(_) => f64::NAN,
    };
    println!(
        "rows={n} features={p} trees={num_trees} threads={} fit={fit:.3}s fit_cpu={fit_cpu:.2}s predict={pred:.3}s ({:.2} Mrows/s) train_auc={:.6} train_acc={acc:.6}",
        rayon::current_num_threads(),
        n as f64 / pred / 1e6,
        auc(&probs, labels)
    );
    Ok(())
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat`
/// (Linux; 0 elsewhere), in seconds at the kernel's 100 Hz tick.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
}

/// Area under the ROC curve (ties get half credit).
fn auc(scores: &[f64], labels: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] == 1.0 {
                rank_sum += avg;
            }
        }
        i = j + 1;
    }
    let pos = labels.iter().filter(|&&l| l == 1.0).count() as f64;
    let neg = labels.len() as f64 - pos;
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}
