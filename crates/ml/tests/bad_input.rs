//! Bad input: every trainer refuses it with a message naming what is wrong
//! and what to do.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::dataset;
use pai_ml::{
    ColumnData, Frame, KMeansParams, LinearRegressionParams, LinearSvmParams,
    LogisticRegressionParams, NaiveBayesParams, Predictor, StandardScalerParams, Target,
    class_target, continuous_target, fit_kmeans, fit_linear_regression, fit_linear_svm,
    fit_logistic_regression, fit_naive_bayes, fit_standard_scaler,
};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn text_in_a_numeric_feature_names_column_and_row() {
    let table = dataset("iris_onehot");
    let frame = table.frame();
    let target = class_target(&frame, "is_virginica").unwrap();
    let want = "column `petal_size`, row 0: non-numeric value \"small\" in a numeric feature; \
                encode it first (for example with `one_hot_encoder`)";
    let err = fit_logistic_regression(&frame, &[], &target, &LogisticRegressionParams::default())
        .unwrap_err();
    assert_eq!(err.to_string(), want);
    let err = fit_linear_svm(&frame, &[], &target, &LinearSvmParams::default()).unwrap_err();
    assert_eq!(err.to_string(), want);
    let err = fit_kmeans(&frame, &[], &KMeansParams::default()).unwrap_err();
    assert_eq!(err.to_string(), want);
    let err = fit_standard_scaler(
        &frame,
        &StandardScalerParams {
            selected_cols: strings(&["petal_size"]),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `petal_size`, row 0: non-numeric value \"small\"; `standard_scaler` needs numeric columns \
         (encode text first, for example with `one_hot_encoder`)"
    );
}

#[test]
fn missing_label_and_feature_columns() {
    let table = dataset("iris");
    let frame = table.frame();
    let err = class_target(&frame, "label").unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `label` is missing from the input (available: sepal_length_cm, sepal_width_cm, petal_length_cm, \
         petal_width_cm, species)"
    );
    assert!(continuous_target(&frame, "label").is_err());
    let target = class_target(&frame, "species").unwrap();
    let err = fit_naive_bayes(
        &frame,
        &strings(&["petal_size"]),
        &target,
        &NaiveBayesParams::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("column `petal_size` is missing from the input")
    );
    let err = fit_logistic_regression(
        &frame,
        &strings(&["species"]),
        &target,
        &LogisticRegressionParams::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `feature_cols`: the label column `species` is also listed as a feature; remove it from `feature_cols`"
    );
}

#[test]
fn nan_is_refused_unless_imputed() {
    let x = [1.0, 2.0, f64::NAN, 4.0];
    let y = [0.0, 1.0, 0.0, 1.0];
    let frame = Frame {
        columns: vec![
            ("x".into(), ColumnData::Numeric(&x)),
            ("y".into(), ColumnData::Numeric(&y)),
        ],
        n_rows: 4,
    };
    let want =
        "column `x`, row 2: null or NaN value; add an `imputer` node upstream to fill missing values".to_string();
    let target = class_target(&frame, "y").unwrap();
    let err = fit_logistic_regression(&frame, &[], &target, &LogisticRegressionParams::default())
        .unwrap_err();
    assert_eq!(err.to_string(), want);
    let err = fit_naive_bayes(&frame, &[], &target, &NaiveBayesParams::default()).unwrap_err();
    assert_eq!(err.to_string(), want);
    let reg = continuous_target(&frame, "y").unwrap();
    let err =
        fit_linear_regression(&frame, &[], &reg, &LinearRegressionParams::default()).unwrap_err();
    assert_eq!(err.to_string(), want);
    let frame_y_nan = Frame {
        columns: vec![("y".into(), ColumnData::Numeric(&x))],
        n_rows: 4,
    };
    assert_eq!(
        class_target(&frame_y_nan, "y").unwrap_err().to_string(),
        "column `y`, row 2: null or NaN label; drop or fill the rows without a label"
    );
}

#[test]
fn single_class_is_refused() {
    let x = [1.0, 2.0, 3.0];
    let y = [1.0, 1.0, 1.0];
    let frame = Frame {
        columns: vec![
            ("x".into(), ColumnData::Numeric(&x)),
            ("y".into(), ColumnData::Numeric(&y)),
        ],
        n_rows: 3,
    };
    let target = class_target(&frame, "y").unwrap();
    let want = "label column `y` has a single class `1`; a classifier needs at least two";
    let err = fit_logistic_regression(&frame, &[], &target, &LogisticRegressionParams::default())
        .unwrap_err();
    assert_eq!(err.to_string(), want);
    let err = fit_linear_svm(&frame, &[], &target, &LinearSvmParams::default()).unwrap_err();
    assert_eq!(err.to_string(), want);
    let err = fit_naive_bayes(&frame, &[], &target, &NaiveBayesParams::default()).unwrap_err();
    assert_eq!(err.to_string(), want);
}

#[test]
fn k_larger_than_rows_is_refused() {
    let x = [1.0, 2.0, 3.0];
    let frame = Frame {
        columns: vec![("x".into(), ColumnData::Numeric(&x))],
        n_rows: 3,
    };
    let err = fit_kmeans(
        &frame,
        &[],
        &KMeansParams {
            k: 5,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `k`: k = 5 must be between 1 and the number of rows (3); lower `k` or add rows"
    );
    let model = fit_kmeans(
        &frame,
        &[],
        &KMeansParams {
            k: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(model.sizes, vec![1, 1, 1]);
}

#[test]
fn empty_table_is_refused() {
    let empty: [f64; 0] = [];
    let frame = Frame {
        columns: vec![
            ("x".into(), ColumnData::Numeric(&empty)),
            ("y".into(), ColumnData::Numeric(&empty)),
        ],
        n_rows: 0,
    };
    let want = "the input table is empty: there is nothing to fit on";
    assert_eq!(class_target(&frame, "y").unwrap_err().to_string(), want);
    let target = Target::Classes {
        column: "y".into(),
        codes: Vec::new(),
        classes: strings(&["0", "1"]),
    };
    let err = fit_logistic_regression(&frame, &[], &target, &LogisticRegressionParams::default())
        .unwrap_err();
    assert_eq!(err.to_string(), want);
    assert_eq!(
        fit_kmeans(&frame, &[], &KMeansParams::default())
            .unwrap_err()
            .to_string(),
        want
    );
    assert_eq!(
        fit_standard_scaler(&frame, &StandardScalerParams::default())
            .unwrap_err()
            .to_string(),
        want
    );
}

#[test]
fn predict_time_features_must_match_training() {
    let table = dataset("iris");
    let frame = table.frame();
    let target = class_target(&frame, "species").unwrap();
    let renamed: Vec<(String, ColumnData<'_>)> = frame
        .columns
        .iter()
        .map(|(n, c)| {
            (
                if n == "petal_width_cm" {
                    "petal_width".to_string()
                } else {
                    n.clone()
                },
                c.clone(),
            )
        })
        .collect();
    let other = Frame {
        columns: renamed,
        n_rows: frame.n_rows,
    };
    let want = "the model was trained on features [sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm] \
                but the input has [sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width, species]";
    let nb = fit_naive_bayes(&frame, &[], &target, &NaiveBayesParams::default()).unwrap();
    assert_eq!(nb.predict(&other).unwrap_err().to_string(), want);
    let km = fit_kmeans(
        &frame,
        &table.features_except("species"),
        &KMeansParams {
            k: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(km.predict(&other).unwrap_err().to_string(), want);
    let svm = fit_linear_svm(&frame, &[], &target, &LinearSvmParams::default()).unwrap();
    assert_eq!(svm.predict(&other).unwrap_err().to_string(), want);

    // Same names, but text where a number was trained.
    let sizes: Vec<Option<&str>> = vec![Some("wide"); frame.n_rows];
    let mut mistyped = frame.clone();
    mistyped.columns[3] = ("petal_width_cm".into(), ColumnData::Text(sizes));
    let err = svm.predict(&mistyped).unwrap_err().to_string();
    assert!(
        err.starts_with("column `petal_width_cm`, row 0: non-numeric value \"wide\""),
        "{err}"
    );
}

#[test]
fn out_of_range_parameters_are_refused() {
    let table = dataset("iris");
    let frame = table.frame();
    let target = class_target(&frame, "species").unwrap();
    let err = fit_logistic_regression(
        &frame,
        &[],
        &target,
        &LogisticRegressionParams {
            l2: -1.0,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `l2`: must be a finite number >= 0, got -1"
    );
    let err = fit_linear_svm(
        &frame,
        &[],
        &target,
        &LinearSvmParams {
            l2: 0.0,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `l2`: must be a finite number > 0 (it is 1/C), got 0"
    );
    assert_eq!(
        pai_ml::KMeansInit::parse("kmeans||")
            .unwrap_err()
            .to_string(),
        "parameter `init`: unknown init `kmeans||`; use `kmeans++` or `random`"
    );
}
