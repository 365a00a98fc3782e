//! Behaviour tests of the whole engine through the public API: known values, brute-force
//! cross-checks, weights, spilling, thread-count independence and every edge case.

use crate::{EvalError, LorenzBuilder, LorenzOptions, LorenzResult, lorenz_curve};

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in `[0, 1)`.
fn uniform(state: &mut u64) -> f64 {
    (splitmix64(state) >> 11) as f64 / (1u64 << 53) as f64
}

/// Skewed positive data with ties: exp-like spread plus a share of repeated values.
fn random_values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            let u = uniform(&mut s);
            if u < 0.1 {
                3.0
            } else {
                (-(1.0 - uniform(&mut s)).ln()) * 100.0
            }
        })
        .collect()
}

fn opts(q: u32) -> LorenzOptions {
    LorenzOptions {
        quantile: q,
        ..LorenzOptions::default()
    }
}

fn gini_of(values: &[f64]) -> f64 {
    lorenz_curve("x", values, None, &opts(100))
        .expect("gini")
        .gini
}

/// Σ Σ wᵢwⱼ|xᵢ − xⱼ| / (2·W·S), the definition, in O(n²).
fn brute_gini(values: &[f64], weights: &[f64]) -> f64 {
    let w: f64 = weights.iter().sum();
    let s: f64 = values.iter().zip(weights).map(|(x, w)| x * w).sum();
    let mut mad = 0.0;
    for (xi, wi) in values.iter().zip(weights) {
        for (xj, wj) in values.iter().zip(weights) {
            mad += wi * wj * (xi - xj).abs();
        }
    }
    mad / (2.0 * w * s)
}

fn assert_close(a: f64, b: f64, rel: f64) {
    assert!(
        (a - b).abs() <= rel * b.abs().max(1e-300),
        "{a} vs {b} (rel tolerance {rel})"
    );
}

fn assert_points_close(a: &LorenzResult, b: &LorenzResult, tol: f64) {
    assert_eq!(a.points.len(), b.points.len());
    for (p, q) in a.points.iter().zip(&b.points) {
        assert_eq!(p.0, q.0);
        assert!((p.1 - q.1).abs() <= tol, "{p:?} vs {q:?}");
    }
}

#[test]
fn documentation_sample_zero_to_ten() {
    let xs: Vec<f64> = (0..=10).map(f64::from).collect();
    let r = lorenz_curve("score", &xs, None, &opts(100)).expect("curve");
    assert!((r.gini - 4.0 / 11.0).abs() < 1e-12, "{}", r.gini);
    assert_eq!(r.count, 11);
    assert_eq!(r.total_weight, 11.0);
    assert_eq!(r.sum, 55.0);
    assert_eq!(r.mean, 5.0);
    assert_eq!(r.points.len(), 101);
    assert_eq!(r.points[0], (0.0, 0.0));
    assert_eq!(r.points[100], (1.0, 1.0));
    // p = 0.5: t = 5.5 → (S₅ + 0.5·x₆)/S = (0+1+2+3+4 + 0.5·5)/55 = 12.5/55.
    assert_eq!(r.points[50].0, 0.5);
    assert!((r.points[50].1 - 12.5 / 55.0).abs() < 1e-15);
    assert!(!r.all_zero);
    assert_eq!(r.spilled_runs, 0);
}

#[test]
fn constant_and_single_spike_columns() {
    assert!(gini_of(&[7.5; 1000]).abs() < 1e-15);
    for n in [2usize, 3, 10, 1000] {
        let mut xs = vec![0.0; n];
        xs[n / 2] = 42.0;
        assert_close(gini_of(&xs), (n as f64 - 1.0) / n as f64, 1e-12);
    }
}

#[test]
fn random_data_matches_mean_absolute_difference() {
    for (n, seed) in [(2usize, 1u64), (17, 2), (1000, 3), (3000, 4)] {
        let xs = random_values(n, seed);
        let ones = vec![1.0; n];
        assert_close(gini_of(&xs), brute_gini(&xs, &ones), 1e-12);
    }
}

#[test]
fn weighted_random_data_matches_weighted_mean_absolute_difference() {
    let xs = random_values(2000, 11);
    let mut s = 5u64;
    let ws: Vec<f64> = (0..xs.len()).map(|_| uniform(&mut s) * 3.0).collect();
    let r = lorenz_curve("x", &xs, Some(&ws), &opts(100)).expect("weighted");
    assert!(r.weighted);
    assert_close(r.gini, brute_gini(&xs, &ws), 1e-12);
    assert_close(r.total_weight, ws.iter().sum(), 1e-12);
}

#[test]
fn frequency_weights_equal_repeated_rows() {
    let xs = random_values(3000, 21);
    let mut s = 9u64;
    let ws: Vec<f64> = (0..xs.len())
        .map(|_| (splitmix64(&mut s) % 5) as f64)
        .collect();
    let repeated: Vec<f64> = xs
        .iter()
        .zip(&ws)
        .flat_map(|(&x, &w)| std::iter::repeat_n(x, w as usize))
        .collect();
    for q in [7, 100, 20_000] {
        let w = lorenz_curve("x", &xs, Some(&ws), &opts(q)).expect("weighted");
        let r = lorenz_curve("x", &repeated, None, &opts(q)).expect("repeated");
        assert_close(w.gini, r.gini, 1e-12);
        assert_eq!(w.total_weight, r.count as f64);
        assert_close(w.sum, r.sum, 1e-12);
        assert_points_close(&w, &r, 1e-12);
    }
}

#[test]
fn zero_weights_are_allowed_and_count_but_add_nothing() {
    let xs = [1.0, 100.0, 2.0, 3.0];
    let ws = [1.0, 0.0, 2.0, 1.0];
    let w = lorenz_curve("x", &xs, Some(&ws), &opts(10)).expect("weighted");
    let r = lorenz_curve("x", &[1.0, 2.0, 2.0, 3.0], None, &opts(10)).expect("plain");
    assert_eq!(w.count, 4);
    assert_close(w.gini, r.gini, 1e-12);
    assert_points_close(&w, &r, 1e-12);
}

fn spill_opts(
    dir: &std::path::Path,
    budget_items: u64,
    item_bytes: u64,
    threads: usize,
) -> LorenzOptions {
    LorenzOptions {
        quantile: 1000,
        threads,
        memory_budget_bytes: budget_items * item_bytes,
        allow_negative: false,
        spill_dir: dir.to_path_buf(),
    }
}

fn pushed(
    field: &str,
    xs: &[f64],
    ws: Option<&[f64]>,
    o: &LorenzOptions,
    batch: usize,
) -> LorenzResult {
    let mut b = LorenzBuilder::new(field, ws.is_some(), o).expect("builder");
    for (i, chunk) in xs.chunks(batch).enumerate() {
        let wchunk = ws.map(|w| &w[i * batch..i * batch + chunk.len()]);
        b.push(chunk, wchunk, None).expect("push");
    }
    b.finish().expect("finish")
}

fn empty(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir)
        .expect("read spill dir")
        .next()
        .is_none()
}

#[test]
fn spilling_gives_exactly_the_in_memory_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xs = random_values(250_000, 31);
    let in_memory = pushed(
        "x",
        &xs,
        None,
        &spill_opts(dir.path(), 1 << 30, 8, 2),
        10_000,
    );
    let spilled = pushed(
        "x",
        &xs,
        None,
        &spill_opts(dir.path(), 70_000, 8, 2),
        10_000,
    );
    assert_eq!(in_memory.spilled_runs, 0);
    assert_eq!(spilled.spilled_runs, 3);
    assert_eq!(
        LorenzResult {
            spilled_runs: 0,
            ..spilled
        },
        in_memory
    );
    assert!(empty(dir.path()));
}

#[test]
fn tiny_budget_with_many_runs_and_compaction_is_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xs = random_values(30_000, 41);
    let mut s = 3u64;
    let ws: Vec<f64> = (0..xs.len())
        .map(|_| (splitmix64(&mut s) % 4) as f64 * 0.5)
        .collect();
    for ws in [None, Some(&ws[..])] {
        let bytes = if ws.is_some() { 16 } else { 8 };
        let in_memory = pushed(
            "x",
            &xs,
            ws,
            &spill_opts(dir.path(), 1 << 26, bytes, 1),
            777,
        );
        let spilled = pushed("x", &xs, ws, &spill_opts(dir.path(), 100, bytes, 1), 777);
        assert_eq!(
            spilled.spilled_runs, 299,
            "runs of 100 items, the last 100 stay in memory"
        );
        assert_eq!(
            LorenzResult {
                spilled_runs: 0,
                ..spilled
            },
            in_memory
        );
        assert!(empty(dir.path()));
    }
}

#[test]
fn spill_files_are_removed_on_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = LorenzBuilder::new("x", false, &spill_opts(dir.path(), 10, 8, 1)).expect("builder");
    b.push(&random_values(95, 1), None, None).expect("push");
    let err = b.push(&[1.0, -2.0], None, None).expect_err("negative");
    assert!(err.to_string().contains("row 96"), "{err}");
    drop(b);
    assert!(empty(dir.path()));
}

#[test]
fn missing_spill_dir_is_a_clear_error() {
    let o = LorenzOptions {
        memory_budget_bytes: 80,
        spill_dir: "/nonexistent/pai-eval".into(),
        ..LorenzOptions::default()
    };
    let err = lorenz_curve("x", &random_values(100, 1), None, &o).expect_err("spill fails");
    assert!(matches!(err, EvalError::Spill { .. }), "{err}");
    assert!(err.to_string().contains("`spill_dir`"), "{err}");
}

#[test]
fn thread_count_does_not_change_the_result() {
    let xs = random_values(300_000, 51);
    let mut s = 8u64;
    let ws: Vec<f64> = (0..xs.len()).map(|_| uniform(&mut s)).collect();
    for ws in [None, Some(&ws[..])] {
        let one = pushed(
            "x",
            &xs,
            ws,
            &LorenzOptions {
                threads: 1,
                quantile: 1000,
                ..LorenzOptions::default()
            },
            65_536,
        );
        let two = pushed(
            "x",
            &xs,
            ws,
            &LorenzOptions {
                threads: 2,
                quantile: 1000,
                ..LorenzOptions::default()
            },
            65_536,
        );
        let three = pushed(
            "x",
            &xs,
            ws,
            &LorenzOptions {
                threads: 3,
                quantile: 1000,
                ..LorenzOptions::default()
            },
            1000,
        );
        assert_eq!(one, two);
        assert_eq!(one, three);
    }
}

#[test]
fn fewer_rows_than_quantile_interpolates_between_data_points() {
    let r = lorenz_curve("x", &[3.0, 1.0, 2.0], None, &opts(4)).expect("curve");
    // Data points (1/3, 1/6), (2/3, 1/2), (1, 1); S = 6.
    let want = [
        (0.0, 0.0),
        (0.25, 0.125),
        (0.5, 2.0 / 6.0),
        (0.75, 3.75 / 6.0),
        (1.0, 1.0),
    ];
    assert_eq!(r.points.len(), want.len());
    for (got, want) in r.points.iter().zip(want) {
        assert_eq!(got.0, want.0);
        assert!((got.1 - want.1).abs() < 1e-15, "{got:?} vs {want:?}");
    }
    assert_close(r.gini, 4.0 / 18.0, 1e-12);
    let q = 1_000_000;
    let r = lorenz_curve("x", &[3.0, 1.0, 2.0], None, &opts(q)).expect("curve");
    assert_eq!(r.points.len(), q as usize + 1);
    assert_eq!(r.points[q as usize / 2], (0.5, 2.0 / 6.0));
}

#[test]
fn quantile_one_gives_just_the_endpoints() {
    let r = lorenz_curve("x", &[1.0, 5.0], None, &opts(1)).expect("curve");
    assert_eq!(r.points, vec![(0.0, 0.0), (1.0, 1.0)]);
    assert_close(r.gini, 4.0 / 12.0, 1e-12);
}

#[test]
fn ties_and_input_order_do_not_matter() {
    let a = lorenz_curve("x", &[2.0, 2.0, 5.0, 2.0], None, &opts(8)).expect("a");
    let b = lorenz_curve("x", &[5.0, 2.0, 2.0, 2.0], None, &opts(8)).expect("b");
    assert_eq!(a, b);
    assert_close(a.gini, 9.0 / 44.0, 1e-12);
    let ws = [1.0, 2.0, 0.5, 3.0];
    let c = lorenz_curve("x", &[2.0, 2.0, 5.0, 2.0], Some(&ws), &opts(8)).expect("c");
    let d = lorenz_curve(
        "x",
        &[2.0, 2.0, 2.0, 5.0],
        Some(&[3.0, 1.0, 2.0, 0.5]),
        &opts(8),
    )
    .expect("d");
    assert_eq!(c, d);
    // -0.0 and 0.0 are the same value.
    let e = lorenz_curve("x", &[-0.0, 1.0, 0.0], None, &opts(4)).expect("e");
    let f = lorenz_curve("x", &[0.0, 1.0, 0.0], None, &opts(4)).expect("f");
    assert_eq!(e, f);
}

#[test]
fn single_row_is_the_line_of_equality() {
    let r = lorenz_curve("x", &[4.0], None, &opts(4)).expect("curve");
    assert_eq!(r.gini, 0.0);
    for (k, &(p, v)) in r.points.iter().enumerate() {
        assert_eq!(p, k as f64 / 4.0);
        assert!((v - p).abs() < 1e-15);
    }
}

#[test]
fn negative_values_error_with_field_and_row_unless_allowed() {
    let mut b = LorenzBuilder::new("income", false, &opts(10)).expect("builder");
    b.push(&[1.0, 2.0], None, None).expect("push");
    b.push_nulls(3);
    let err = b.push(&[3.0, -1.5], None, None).expect_err("negative");
    assert!(
        matches!(err, EvalError::NegativeValue { row: 6, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("field `income`") && msg.contains("row 6") && msg.contains("allow_negative"),
        "{msg}"
    );

    let allow = LorenzOptions {
        allow_negative: true,
        ..opts(10)
    };
    let r = lorenz_curve("x", &[-1.0, 0.0, 3.0], None, &allow).expect("allowed");
    assert_close(r.gini, 16.0 / 12.0, 1e-12);
    assert_close(r.gini, brute_gini(&[-1.0, 0.0, 3.0], &[1.0; 3]), 1e-12);
    assert_eq!(r.points.first(), Some(&(0.0, 0.0)));
    assert_eq!(r.points.last(), Some(&(1.0, 1.0)));
    // p = 0.2: t = 0.6 → 0.6·(−1)/2 = −0.3.
    assert!((r.points[2].1 + 0.3).abs() < 1e-15, "{:?}", r.points[2]);

    let err = lorenz_curve("x", &[-1.0, 1.0], None, &allow).expect_err("zero sum");
    assert!(matches!(err, EvalError::ZeroSum { .. }), "{err}");
}

#[test]
fn all_zero_column_is_flagged_and_flat() {
    let r = lorenz_curve("x", &[0.0, 0.0, -0.0], None, &opts(4)).expect("curve");
    assert!(r.all_zero);
    assert_eq!(r.gini, 0.0);
    assert_eq!(r.sum, 0.0);
    assert_eq!(r.count, 3);
    assert_eq!(
        r.points,
        vec![
            (0.0, 0.0),
            (0.25, 0.25),
            (0.5, 0.5),
            (0.75, 0.75),
            (1.0, 1.0)
        ]
    );
    // Positive values carrying zero weight leave the column all zero too.
    let w = lorenz_curve("x", &[0.0, 5.0], Some(&[1.0, 0.0]), &opts(4)).expect("weighted");
    assert!(w.all_zero);
}

#[test]
fn empty_input_is_a_clear_error() {
    let err = lorenz_curve("x", &[], None, &opts(10)).expect_err("empty");
    assert_eq!(
        err.to_string().split(" (").next(),
        Some("field `x` has no non-null values")
    );
    let mut b = LorenzBuilder::new("y", false, &opts(10)).expect("builder");
    b.push_nulls(4);
    b.push(&[f64::NAN, 1.0], None, Some(&[true, false]))
        .expect("push");
    let err = b.finish().expect_err("all dropped");
    assert!(
        matches!(
            err,
            EvalError::NoValues {
                nulls: 5,
                nans: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn nan_and_nulls_are_dropped_and_counted() {
    let mut b = LorenzBuilder::new("x", false, &opts(10)).expect("builder");
    b.push(
        &[1.0, f64::NAN, 2.0, 99.0],
        None,
        Some(&[true, true, true, false]),
    )
    .expect("push");
    b.push(&[f64::NAN, 3.0], None, None).expect("push");
    b.push_nulls(2);
    assert_eq!(b.rows(), 8);
    let r = b.finish().expect("finish");
    let clean = lorenz_curve("x", &[1.0, 2.0, 3.0], None, &opts(10)).expect("clean");
    assert_eq!(r.count, 3);
    assert_eq!(r.dropped_nan, 2);
    assert_eq!(r.dropped_null, 3);
    assert_eq!(r.dropped(), 5);
    assert_eq!(
        LorenzResult {
            dropped_nan: 0,
            dropped_null: 0,
            ..r
        },
        clean
    );
}

#[test]
fn bad_weights_and_values_are_errors() {
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let err =
            lorenz_curve("x", &[1.0, 2.0], Some(&[1.0, bad]), &opts(10)).expect_err("bad weight");
        assert!(
            matches!(err, EvalError::InvalidWeight { row: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("field `x`"), "{err}");
    }
    let err =
        lorenz_curve("x", &[1.0, 2.0], Some(&[0.0, 0.0]), &opts(10)).expect_err("zero weight");
    assert!(matches!(err, EvalError::ZeroTotalWeight { .. }), "{err}");
    let err = lorenz_curve("x", &[1.0, f64::INFINITY], None, &opts(10)).expect_err("infinite");
    assert!(
        matches!(err, EvalError::InfiniteValue { row: 1, .. }),
        "{err}"
    );
    // A NaN value drops the row before its weight is looked at.
    let r = lorenz_curve("x", &[1.0, f64::NAN], Some(&[1.0, -5.0]), &opts(10))
        .expect("nan row dropped");
    assert_eq!(r.dropped_nan, 1);
}

#[test]
fn batch_shape_errors() {
    let mut w = LorenzBuilder::new("x", true, &opts(10)).expect("builder");
    let err = w.push(&[1.0], None, None).expect_err("weights missing");
    assert!(matches!(err, EvalError::WeightsMismatch { .. }), "{err}");
    let err = w.push(&[1.0], Some(&[1.0, 2.0]), None).expect_err("length");
    assert!(
        err.to_string().contains("weight column has 2 rows"),
        "{err}"
    );
    let mut p = LorenzBuilder::new("x", false, &opts(10)).expect("builder");
    assert!(p.push(&[1.0], Some(&[1.0]), None).is_err());
    assert!(p.push(&[1.0], None, Some(&[true, true])).is_err());
    assert!(LorenzBuilder::new("x", false, &opts(0)).is_err());
}

#[test]
fn results_serialize_for_the_component() {
    let r = lorenz_curve("x", &[1.0, 3.0], None, &opts(2)).expect("curve");
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(json["field"], "x");
    assert_eq!(json["points"][1][0], 0.5);
    assert_eq!(json["count"], 2);
}

/// Sort + compute 10M random values with 1 and 2 threads; run with
/// `cargo test --release -p pai-eval -- --ignored --nocapture ten_million`.
#[test]
#[ignore]
fn ten_million_timing() {
    let n = 10_000_000;
    let mut s = 77u64;
    let xs: Vec<f64> = (0..n).map(|_| uniform(&mut s) * 1000.0).collect();
    let mut results = Vec::new();
    for threads in [1, 2, 1, 2] {
        let o = LorenzOptions {
            threads,
            quantile: 100,
            ..LorenzOptions::default()
        };
        let start = std::time::Instant::now();
        let mut b = LorenzBuilder::new("x", false, &o).expect("builder");
        for chunk in xs.chunks(65_536) {
            b.push(chunk, None, None).expect("push");
        }
        let pushed = start.elapsed();
        let r = b.finish().expect("finish");
        let total = start.elapsed();
        println!(
            "threads {threads}: push {pushed:?}, total {total:?}, gini {}",
            r.gini
        );
        results.push(r);
    }
    assert_eq!(results[0], results[1]);
    assert!((results[0].gini - 1.0 / 3.0).abs() < 1e-3);
}
