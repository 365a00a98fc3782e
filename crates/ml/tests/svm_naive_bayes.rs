//! Linear SVM and naive Bayes against metrics computed with scikit-learn
//! 1.9.0 on the shared datasets (venv: `python3 -m venv /tmp/skl &&
//! /tmp/skl/bin/pip install scikit-learn==1.9.0 pandas`).
//!
//! ```python
//! import pandas as pd
//! from sklearn.preprocessing import StandardScaler, OrdinalEncoder
//! from sklearn.svm import LinearSVC
//! from sklearn.naive_bayes import GaussianNB, CategoricalNB
//! D = "/work/shared/fixtures/datasets/"
//! bc = pd.read_csv(D + "breast_cancer.csv"); Xb = bc.drop(columns="diagnosis").values; yb = bc.diagnosis.values
//! Xbs = StandardScaler().fit_transform(Xb)
//! LinearSVC().fit(Xbs, yb).score(Xbs, yb)              # 0.9876977152899824 (562/569)
//! LinearSVC(tol=1e-8, dual=False, max_iter=10**6).fit(Xbs, yb)  # converged coefficients
//! LinearSVC(loss="hinge", dual=True, max_iter=100000).fit(Xbs, yb).score(Xbs, yb)  # 0.9876977152899824
//! iris = pd.read_csv(D + "iris.csv"); X = iris.drop(columns="species").values; y = iris.species.values
//! Xi = StandardScaler().fit_transform(X); LinearSVC().fit(Xi, y).score(Xi, y)   # 0.9466666666666667
//! GaussianNB().fit(X, y).score(X, y)                    # 0.96
//! GaussianNB().fit(X, y).predict_proba(X[[0, 70, 133]]) # see `gaussian_nb_iris`
//! GaussianNB().fit(Xb, yb).score(Xb, yb)                # 0.9420035149384886 (536/569)
//! oh = pd.read_csv(D + "iris_onehot.csv"); enc = OrdinalEncoder()
//! Xc = enc.fit_transform(oh[["petal_size"]]); yc = oh.is_virginica.values
//! c = CategoricalNB().fit(Xc, yc); c.score(Xc, yc)      # 0.9333333333333333
//! [c.predict_proba([[i]]) for i in range(3)]            # large, medium, small
//! ```

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{Table, dataset, max_abs_diff};
use pai_ml::{
    Frame, LinearSvmParams, NaiveBayesParams, PredictedValues, Predictor, StandardScalerParams,
    SvmLoss, Target, class_target, fit_linear_svm, fit_naive_bayes, fit_standard_scaler,
};

fn accuracy(out: &pai_ml::PredictionOutput, target: &Target<'_>) -> f64 {
    let (PredictedValues::Labels(l), Target::Classes { codes, .. }) = (&out.values, target) else {
        panic!("labels and classes expected")
    };
    l.iter().zip(codes).filter(|(a, b)| a == b).count() as f64 / l.len() as f64
}

/// Standardises every feature of `table` with the engine's scaler.
fn standardised(table: &Table, label: &str) -> (Vec<String>, Vec<(String, pai_ml::OwnedColumn)>) {
    let features = table.features_except(label);
    let scaler = fit_standard_scaler(
        &table.frame(),
        &StandardScalerParams {
            selected_cols: features.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    (features, scaler.transform(&table.frame()).unwrap())
}

fn frame_of(cols: &[(String, pai_ml::OwnedColumn)], n_rows: usize) -> Frame<'_> {
    Frame {
        columns: cols
            .iter()
            .map(|(n, c)| (n.clone(), c.as_column_data()))
            .collect(),
        n_rows,
    }
}

#[test]
fn linear_svm_breast_cancer_accuracy() {
    let table = dataset("breast_cancer");
    let target = class_target(&table.frame(), "diagnosis").unwrap();
    let (features, scaled) = standardised(&table, "diagnosis");
    let frame = frame_of(&scaled, table.n_rows);
    for loss in [SvmLoss::SquaredHinge, SvmLoss::Hinge] {
        let params = LinearSvmParams {
            loss,
            max_iter: 100_000,
            ..Default::default()
        };
        let model = fit_linear_svm(&frame, &features, &target, &params).unwrap();
        let out = model.predict(&frame).unwrap();
        let acc = accuracy(&out, &target);
        assert!(
            (acc - 0.9876977152899824).abs() <= 0.005,
            "{loss:?}: accuracy {acc}"
        );
        let d = out.detail.unwrap();
        assert_eq!(d.keys, vec!["0", "1"]);
        assert_eq!(d.values[0], -d.values[1], "binary margins are ±f");
    }
    // The squared-hinge optimum is unique. LinearSVC()'s default run (primal
    // solver, tol 1e-4) stops 2.3e-3 away from it (coef_[0][:3] =
    // 0.2589232, 0.0148825, 0.2336729); run to convergence,
    // `LinearSVC(tol=1e-8, dual=False, max_iter=10**6)` gives
    // 0.26123413, 0.014046, 0.23415056, intercept -0.2114621 (objective
    // ½‖w̃‖² + Σ sq. hinge = 31.0556380116), which the dual solver reaches.
    let model = fit_linear_svm(&frame, &features, &target, &LinearSvmParams::default()).unwrap();
    let want = [0.26123413, 0.014046, 0.23415056];
    assert!(
        max_abs_diff(&model.coefficients[0][..3], &want) < 1e-4,
        "{:?}",
        &model.coefficients[0][..3]
    );
    assert!(
        (model.intercepts[0] + 0.2114621).abs() < 1e-4,
        "{}",
        model.intercepts[0]
    );
}

#[test]
fn linear_svm_one_vs_rest_on_iris() {
    let table = dataset("iris");
    let target = class_target(&table.frame(), "species").unwrap();
    let (features, scaled) = standardised(&table, "species");
    let frame = frame_of(&scaled, table.n_rows);
    let model = fit_linear_svm(&frame, &features, &target, &LinearSvmParams::default()).unwrap();
    assert_eq!(model.coefficients.len(), 3);
    let acc = accuracy(&model.predict(&frame).unwrap(), &target);
    assert!((acc - 0.9466666666666667).abs() <= 0.005, "accuracy {acc}");
    let fit = || {
        serde_json::to_vec(
            &fit_linear_svm(&frame, &features, &target, &LinearSvmParams::default()).unwrap(),
        )
    };
    assert_eq!(fit().unwrap(), fit().unwrap());
}

#[test]
fn gaussian_nb_iris() {
    let table = dataset("iris");
    let frame = table.frame();
    let target = class_target(&frame, "species").unwrap();
    let model = fit_naive_bayes(&frame, &[], &target, &NaiveBayesParams::default()).unwrap();
    assert!(model.categorical.is_empty());
    let out = model.predict(&frame).unwrap();
    assert!((accuracy(&out, &target) - 0.96).abs() < 1e-12);
    let d = out.detail.unwrap();
    let want = [
        (0usize, [1.0, 1.3578426545097534e-18, 7.112835116303153e-26]),
        (
            70,
            [
                2.591538028250168e-130,
                0.15449408494388256,
                0.8455059150561174,
            ],
        ),
        (
            133,
            [
                2.6838258262863244e-131,
                0.7126451442155292,
                0.28735485578447095,
            ],
        ),
    ];
    for (r, p) in want {
        assert!(
            max_abs_diff(&d.values[r * 3..r * 3 + 3], &p) < 1e-9,
            "row {r}"
        );
    }
    let fit = || {
        serde_json::to_vec(
            &fit_naive_bayes(&frame, &[], &target, &NaiveBayesParams::default()).unwrap(),
        )
    };
    assert_eq!(fit().unwrap(), fit().unwrap());
}

#[test]
fn gaussian_nb_breast_cancer() {
    let table = dataset("breast_cancer");
    let frame = table.frame();
    let target = class_target(&frame, "diagnosis").unwrap();
    let model = fit_naive_bayes(&frame, &[], &target, &NaiveBayesParams::default()).unwrap();
    let acc = accuracy(&model.predict(&frame).unwrap(), &target);
    assert!((acc - 0.9420035149384886).abs() < 1e-12, "accuracy {acc}");
}

/// `petal_size` alone: CategoricalNB(alpha=1).
#[test]
fn categorical_nb_petal_size() {
    let table = dataset("iris_onehot");
    let frame = table.frame();
    let target = class_target(&frame, "is_virginica").unwrap();
    let model = fit_naive_bayes(
        &frame,
        &["petal_size".to_string()],
        &target,
        &NaiveBayesParams::default(),
    )
    .unwrap();
    assert_eq!(
        model.categorical[0].categories,
        vec!["large", "medium", "small"]
    );
    let out = model.predict(&frame).unwrap();
    assert!((accuracy(&out, &target) - 0.9333333333333333).abs() < 1e-12);
    let want = [
        ("large", [0.046716615249008386, 0.9532833847509915]),
        ("medium", [0.8372827804107426, 0.16271721958925747]),
        ("small", [0.9813033218369941, 0.01869667816300598]),
    ];
    let pai_ml::ColumnData::Text(sizes) = frame.column("petal_size").unwrap() else {
        panic!()
    };
    let d = out.detail.unwrap();
    for (cat, p) in want {
        let r = sizes.iter().position(|s| *s == Some(cat)).unwrap();
        assert!(
            max_abs_diff(&d.values[r * 2..r * 2 + 2], &p) < 1e-12,
            "{cat}"
        );
    }
}

/// Mixed features: the product of GaussianNB (numeric) and CategoricalNB
/// (text) likelihoods with one prior, computed in scikit-learn as
/// `g._joint_log_likelihood(Xn) + c._joint_log_likelihood(Xc) -
/// c.class_log_prior_`, normalised; training accuracy 0.8733.
#[test]
fn mixed_nb_iris_onehot() {
    let table = dataset("iris_onehot");
    let frame = table.frame();
    let target = class_target(&frame, "is_virginica").unwrap();
    let model = fit_naive_bayes(&frame, &[], &target, &NaiveBayesParams::default()).unwrap();
    assert_eq!(model.gaussian.len(), 2);
    assert_eq!(model.categorical.len(), 1);
    let out = model.predict(&frame).unwrap();
    assert!((accuracy(&out, &target) - 0.8733333333333333).abs() < 1e-12);
    let d = out.detail.unwrap();
    let want = [
        (0usize, [0.999234445605417, 0.0007655543945829297]),
        (60, [0.9978194539140615, 0.0021805460859381947]),
        (120, [0.003744106459558683, 0.9962558935404413]),
        (149, [0.04407121537748052, 0.9559287846225194]),
    ];
    for (r, p) in want {
        assert!(
            max_abs_diff(&d.values[r * 2..r * 2 + 2], &p) < 1e-9,
            "row {r}"
        );
    }
}
