//! k-means against scikit-learn's `KMeans(n_clusters=3)` fixture on iris.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{dataset, expected};
use pai_ml::{KMeansDistance, KMeansInit, KMeansParams, PredictedValues, Predictor, fit_kmeans};

fn labels(out: &pai_ml::PredictionOutput) -> Vec<u32> {
    match &out.values {
        PredictedValues::Labels(v) => v.clone(),
        PredictedValues::Numbers(_) => panic!("labels expected"),
    }
}

/// The same clusters with the same ids, the same centres (1e-12) and the
/// same distances (1e-6) as scikit-learn.
///
/// The engine draws its initial centres as scikit-learn does for the same
/// `random_state` (numpy's MT19937 stream), so a seed with which
/// scikit-learn reaches the fixture's clusters must give them here too,
/// ids included. Iris has two Lloyd fixed points that k-means++ reaches
/// about equally often (62/50/38, the fixture's, and 61/50/39); the seeds
/// below are the first with which scikit-learn 1.9.1 lands on the
/// fixture's labels exactly:
/// `[s for s in range(60) if (KMeans(3, n_init=1, random_state=s).fit(X).labels_ == want).all()]`
/// gives 2, 18, 27, … and with `init="random"` 23, 40, 59. Seeds 0 and 1
/// land on the other optimum in both (checked below too).
#[test]
fn iris_k3_matches_sklearn_fixture() {
    let table = dataset("iris");
    let frame = table.frame();
    let features = table.features_except("species");
    let want = expected("kmeans3_iris.expected.csv");
    let want_cluster: Vec<u32> = want.num("cluster").iter().map(|v| *v as u32).collect();
    let fit = |seed: u64, init: KMeansInit| {
        let params = KMeansParams {
            k: 3,
            seed,
            init,
            ..Default::default()
        };
        fit_kmeans(&frame, &features, &params).unwrap()
    };
    for seed in [0, 1] {
        let model = fit(seed, KMeansInit::KMeansPlusPlus);
        let mut sizes = model.sizes.clone();
        sizes.sort_unstable();
        assert_eq!(sizes, vec![39, 50, 61], "seed {seed}: the other optimum");
    }
    for (seed, init) in [
        (2, KMeansInit::KMeansPlusPlus),
        (18, KMeansInit::KMeansPlusPlus),
        (23, KMeansInit::Random),
        (40, KMeansInit::Random),
    ] {
        let model = fit(seed, init);
        let out = model.predict(&frame).unwrap();
        let got = labels(&out);
        assert_eq!(
            got, want_cluster,
            "seed {seed}: clusters differ from scikit-learn's"
        );
        let map = [0usize, 1, 2];
        let mut sizes = model.sizes.clone();
        sizes.sort_unstable();
        assert_eq!(sizes, vec![38, 50, 62]);
        // Centres equal the fixture PMML's `Cluster` arrays (its ids 0, 1, 2).
        let pmml = [
            [
                5.901612903225806,
                2.7483870967741937,
                4.393548387096774,
                1.4338709677419355,
            ],
            [5.006, 3.428, 1.4620000000000002, 0.24600000000000055],
            [
                6.85,
                3.0736842105263156,
                5.742105263157894,
                2.0710526315789473,
            ],
        ];
        for (ours, &theirs) in map.iter().enumerate() {
            assert!(common::max_abs_diff(&model.centers[ours], &pmml[theirs]) < 1e-12);
        }
        let detail = out.detail.unwrap();
        assert_eq!(detail.keys, vec!["0", "1", "2"]);
        assert_eq!(out.classes, vec!["0", "1", "2"]);
        for (ours, &theirs) in map.iter().enumerate() {
            let col = want.num(&format!("distance_{theirs}"));
            for (r, w) in col.iter().enumerate() {
                let g = detail.values[r * 3 + ours];
                assert!((g - w).abs() < 1e-6, "seed {seed}, row {r}: {g} vs {w}");
            }
        }
    }
}

#[test]
fn fitting_twice_gives_identical_bytes() {
    let table = dataset("breast_cancer");
    let frame = table.frame();
    let features = table.features_except("diagnosis");
    let params = KMeansParams {
        k: 5,
        ..Default::default()
    };
    let fit = || serde_json::to_vec(&fit_kmeans(&frame, &features, &params).unwrap()).unwrap();
    assert_eq!(fit(), fit());
}

#[test]
fn cosine_clusters_by_direction() {
    let xs = [1.0, 2.0, 10.0, 0.1, 0.2, 1.0];
    let ys = [0.0, 0.1, 0.5, 1.0, 2.0, 9.0];
    let frame = pai_ml::Frame {
        columns: vec![
            ("x".into(), pai_ml::ColumnData::Numeric(&xs)),
            ("y".into(), pai_ml::ColumnData::Numeric(&ys)),
        ],
        n_rows: 6,
    };
    let params = KMeansParams {
        k: 2,
        distance: KMeansDistance::Cosine,
        ..Default::default()
    };
    let model = fit_kmeans(&frame, &[], &params).unwrap();
    let out = model.predict(&frame).unwrap();
    let l = labels(&out);
    assert_eq!(l[0], l[1]);
    assert_eq!(l[1], l[2]);
    assert_eq!(l[3], l[4]);
    assert_eq!(l[4], l[5]);
    assert_ne!(l[0], l[3]);
    for c in &model.centers {
        assert!(
            (c[0] * c[0] + c[1] * c[1] - 1.0).abs() < 1e-12,
            "centres are unit length"
        );
    }
    let d = out.detail.unwrap();
    assert!(d.values.iter().all(|v| (-1e-12..=2.0).contains(v)));
}
