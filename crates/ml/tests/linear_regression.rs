//! Linear regression against scikit-learn: the diabetes fixture (closed
//! form, 1e-8) and ridge.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{dataset, expected, max_abs_diff};
use pai_ml::{
    ColumnData, Frame, LinearRegressionParams, PredictedValues, Predictor, continuous_target,
    fit_linear_regression,
};

/// `RegressionTable` of `linreg_diabetes.sklearn2pmml.pmml`.
const SKLEARN_COEF: [f64; 10] = [
    -10.009866299810652,
    -239.81564367242223,
    519.8459200544597,
    324.38464550232317,
    -792.17563855223,
    476.7390210052578,
    101.04326793803425,
    177.06323767134612,
    751.2736995571032,
    67.62669218370438,
];

fn numbers(out: pai_ml::PredictionOutput) -> Vec<f64> {
    match out.values {
        PredictedValues::Numbers(v) => v,
        PredictedValues::Labels(_) => panic!("numbers expected"),
    }
}

#[test]
fn diabetes_matches_sklearn_fixture() {
    let table = dataset("diabetes");
    let frame = table.frame();
    let target = continuous_target(&frame, "progression").unwrap();
    let model =
        fit_linear_regression(&frame, &[], &target, &LinearRegressionParams::default()).unwrap();
    assert!(max_abs_diff(&model.coefficients, &SKLEARN_COEF) < 1e-8);
    assert!((model.intercept - 152.13348416289597).abs() < 1e-8);
    let got = numbers(model.predict(&frame).unwrap());
    let want = expected("linreg_diabetes.expected.csv");
    let diff = max_abs_diff(&got, want.num("predicted"));
    assert!(diff < 1e-8, "predictions differ by {diff}");
}

/// `Ridge(alpha=1.0).fit(X, y).predict(X[[0, 1, 441]])` with scikit-learn
/// 1.9.0 on diabetes; intercept 152.133484162896.
#[test]
fn ridge_matches_sklearn() {
    let table = dataset("diabetes");
    let frame = table.frame();
    let target = continuous_target(&frame, "progression").unwrap();
    let params = LinearRegressionParams {
        l2: 1.0,
        ..Default::default()
    };
    let model = fit_linear_regression(&frame, &[], &target, &params).unwrap();
    let got = numbers(model.predict(&frame).unwrap());
    let want = [182.67335420683418, 90.9986065584179, 83.56441301532374];
    assert!(max_abs_diff(&[got[0], got[1], got[441]], &want) < 1e-8);
    assert!((model.intercept - 152.133484162896).abs() < 1e-8);
}

/// A duplicated and a constant feature get coefficient 0; predictions are
/// unchanged.
#[test]
fn collinear_features_get_zero_weight() {
    let table = dataset("diabetes");
    let bmi = table.num("bmi").to_vec();
    let constant = vec![3.0; table.n_rows];
    let mut frame = table.frame();
    frame
        .columns
        .insert(3, ("bmi_copy".into(), ColumnData::Numeric(&bmi)));
    frame
        .columns
        .insert(0, ("constant".into(), ColumnData::Numeric(&constant)));
    let target = continuous_target(&frame, "progression").unwrap();
    let model =
        fit_linear_regression(&frame, &[], &target, &LinearRegressionParams::default()).unwrap();
    assert_eq!(model.features[0], "constant");
    assert_eq!(model.coefficients[0], 0.0);
    assert_eq!(model.features[4], "bmi_copy");
    assert_eq!(model.coefficients[4], 0.0);
    let got = numbers(model.predict(&frame).unwrap());
    let want = expected("linreg_diabetes.expected.csv");
    assert!(max_abs_diff(&got, want.num("predicted")) < 1e-8);
}

#[test]
fn fitting_twice_gives_identical_bytes() {
    let table = dataset("diabetes");
    let frame = table.frame();
    let target = continuous_target(&frame, "progression").unwrap();
    let fit = || {
        let m = fit_linear_regression(&frame, &[], &target, &LinearRegressionParams::default())
            .unwrap();
        serde_json::to_vec(&m).unwrap()
    };
    assert_eq!(fit(), fit());
}

#[test]
fn classes_are_refused_as_a_regression_label() {
    let table = dataset("iris");
    let frame = table.frame();
    let target = pai_ml::class_target(&frame, "species").unwrap();
    let err = fit_linear_regression(&frame, &[], &target, &LinearRegressionParams::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `label_col`: label column `species` holds classes; a regressor needs a numeric label"
    );
    let _ = Frame::default();
}
