//! Preprocessing stages against scikit-learn values (1.9.0):
//!
//! ```python
//! X = pd.read_csv("datasets/iris.csv").drop(columns="species").values
//! StandardScaler().fit_transform(X)[0]       # -0.9006811702978088, 1.019004351971607, ...
//! MinMaxScaler((-1, 2)).fit_transform(X)[0]  # -0.3333333333333339, 0.8749999999999996, ...
//! ```

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{dataset, max_abs_diff};
use pai_ml::{
    ColumnData, FillValue, Frame, HandleUnknown, ImputeStrategy, ImputerParams, MinMaxScalerParams,
    OneHotEncoderParams, OwnedColumn, StandardScalerParams, fit_imputer, fit_min_max_scaler,
    fit_one_hot_encoder, fit_standard_scaler,
};

fn numeric(c: &OwnedColumn) -> &[f64] {
    match c {
        OwnedColumn::Numeric(v) => v,
        OwnedColumn::Text(_) => panic!("numeric expected"),
    }
}

fn iris_features() -> Vec<String> {
    [
        "sepal_length_cm",
        "sepal_width_cm",
        "petal_length_cm",
        "petal_width_cm",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn standard_scaler_matches_sklearn() {
    let table = dataset("iris");
    let frame = table.frame();
    let params = StandardScalerParams {
        selected_cols: iris_features(),
        ..Default::default()
    };
    let model = fit_standard_scaler(&frame, &params).unwrap();
    let out = model.transform(&frame).unwrap();
    let row0: Vec<f64> = out.iter().map(|(_, c)| numeric(c)[0]).collect();
    let want = [
        -0.9006811702978088,
        1.019004351971607,
        -1.3402265266227624,
        -1.3154442950077403,
    ];
    assert!(max_abs_diff(&row0, &want) < 1e-12);
    assert_eq!(out[0].0, "sepal_length_cm");
    // Fitting twice gives the same bytes.
    let again = fit_standard_scaler(&frame, &params).unwrap();
    assert_eq!(
        serde_json::to_vec(&model).unwrap(),
        serde_json::to_vec(&again).unwrap()
    );
}

#[test]
fn standard_scaler_options_constant_and_nan() {
    let x = [1.0, f64::NAN, 3.0, 5.0];
    let c = [2.0, 2.0, 2.0, 2.0];
    let frame = Frame {
        columns: vec![
            ("x".into(), ColumnData::Numeric(&x)),
            ("c".into(), ColumnData::Numeric(&c)),
        ],
        n_rows: 4,
    };
    let model = fit_standard_scaler(&frame, &StandardScalerParams::default()).unwrap();
    // Mean 3 and population std sqrt(8/3) over the non-NaN values.
    assert_eq!(model.means, vec![3.0, 2.0]);
    assert!((model.scales[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-15);
    assert_eq!(model.scales[1], 1.0, "a constant column is only centred");
    let out = model.transform(&frame).unwrap();
    assert!(numeric(&out[0].1)[1].is_nan(), "NaN stays NaN");
    assert_eq!(numeric(&out[1].1), &[0.0; 4]);
    let no_mean = StandardScalerParams {
        with_mean: false,
        ..Default::default()
    };
    let m = fit_standard_scaler(&frame, &no_mean).unwrap();
    assert_eq!(m.means, vec![0.0, 0.0]);
    let no_std = StandardScalerParams {
        with_std: false,
        ..Default::default()
    };
    assert_eq!(
        fit_standard_scaler(&frame, &no_std).unwrap().scales,
        vec![1.0, 1.0]
    );
}

#[test]
fn min_max_scaler_matches_sklearn() {
    let table = dataset("iris");
    let frame = table.frame();
    let params = MinMaxScalerParams {
        selected_cols: iris_features(),
        min: -1.0,
        max: 2.0,
    };
    let out = fit_min_max_scaler(&frame, &params)
        .unwrap()
        .transform(&frame)
        .unwrap();
    let row0: Vec<f64> = out.iter().map(|(_, c)| numeric(c)[0]).collect();
    let want = [
        -0.3333333333333339,
        0.8749999999999996,
        -0.7966101694915255,
        -0.875,
    ];
    assert!(max_abs_diff(&row0, &want) < 1e-12);

    let c = [4.0, 4.0];
    let frame = Frame {
        columns: vec![("c".into(), ColumnData::Numeric(&c))],
        n_rows: 2,
    };
    let params = MinMaxScalerParams {
        selected_cols: Vec::new(),
        ..params
    };
    let out = fit_min_max_scaler(&frame, &params)
        .unwrap()
        .transform(&frame)
        .unwrap();
    assert_eq!(
        numeric(&out[0].1),
        &[-1.0, -1.0],
        "a constant column maps to `min`"
    );
    let bad = MinMaxScalerParams {
        min: 1.0,
        max: 1.0,
        ..Default::default()
    };
    assert_eq!(
        fit_min_max_scaler(&frame, &bad).unwrap_err().to_string(),
        "parameter `min`: `min` must be smaller than `max` and both finite, got min = 1 and max = 1"
    );
}

#[test]
fn one_hot_encoder_text_and_integers() {
    let table = dataset("iris_onehot");
    let frame = table.frame();
    let params = OneHotEncoderParams {
        selected_cols: vec!["petal_size".into(), "is_virginica".into()],
        ..Default::default()
    };
    let model = fit_one_hot_encoder(&frame, &params).unwrap();
    let out = model.transform(&frame).unwrap();
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "petal_size_large",
            "petal_size_medium",
            "petal_size_small",
            "is_virginica_0",
            "is_virginica_1"
        ]
    );
    assert_eq!(numeric(&out[2].1)[0], 1.0, "row 0 is small");
    assert_eq!(numeric(&out[0].1)[0] + numeric(&out[1].1)[0], 0.0);
    let sum: f64 = out[..3]
        .iter()
        .map(|(_, c)| numeric(c).iter().sum::<f64>())
        .sum();
    assert_eq!(sum, 150.0, "exactly one indicator per row");

    let dropped = OneHotEncoderParams {
        drop_last: true,
        ..params.clone()
    };
    let out = fit_one_hot_encoder(&frame, &dropped)
        .unwrap()
        .transform(&frame)
        .unwrap();
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["petal_size_large", "petal_size_medium", "is_virginica_0"]
    );

    // Unknown categories: an error naming column, row and value, or zeros.
    let sizes = [Some("small"), Some("huge")];
    let flags = [1.0, 0.0];
    let unseen = Frame {
        columns: vec![
            ("petal_size".into(), ColumnData::Text(sizes.to_vec())),
            ("is_virginica".into(), ColumnData::Numeric(&flags)),
        ],
        n_rows: 2,
    };
    assert_eq!(
        model.transform(&unseen).unwrap_err().to_string(),
        "column `petal_size`, row 1: category `huge` was not seen in training; set `handle_unknown: ignore` to encode it as all zeros"
    );
    let ignoring = fit_one_hot_encoder(
        &frame,
        &OneHotEncoderParams {
            handle_unknown: HandleUnknown::Ignore,
            ..params
        },
    )
    .unwrap();
    let out = ignoring.transform(&unseen).unwrap();
    assert_eq!(
        out[..3].iter().map(|(_, c)| numeric(c)[1]).sum::<f64>(),
        0.0
    );
    assert_eq!(numeric(&out[4].1), &[1.0, 0.0]);
}

#[test]
fn one_hot_encoder_refuses_fractions_and_nulls() {
    let x = [1.0, 2.5];
    let frame = Frame {
        columns: vec![("x".into(), ColumnData::Numeric(&x))],
        n_rows: 2,
    };
    let params = OneHotEncoderParams {
        selected_cols: vec!["x".into()],
        ..Default::default()
    };
    assert_eq!(
        fit_one_hot_encoder(&frame, &params)
            .unwrap_err()
            .to_string(),
        "column `x`, row 1: value 2.5 is not an integer; `one_hot_encoder` encodes text or integer-valued columns (bin or round the numbers first)"
    );
    let frame = Frame {
        columns: vec![("t".into(), ColumnData::Text(vec![Some("a"), None]))],
        n_rows: 2,
    };
    assert_eq!(
        fit_one_hot_encoder(&frame, &OneHotEncoderParams::default())
            .unwrap_err()
            .to_string(),
        "column `t`, row 1: null value; fill missing values with an `imputer` before `one_hot_encoder`"
    );
}

#[test]
fn imputer_strategies() {
    let x = [1.0, f64::NAN, 2.0, 2.0, 10.0];
    let t = vec![Some("b"), None, Some("a"), Some("b"), Some("a")];
    let frame = Frame {
        columns: vec![
            ("x".into(), ColumnData::Numeric(&x)),
            ("t".into(), ColumnData::Text(t)),
        ],
        n_rows: 5,
    };
    let fill = |strategy, fill_value, cols: &[&str]| {
        let params = ImputerParams {
            selected_cols: cols.iter().map(|c| c.to_string()).collect(),
            strategy,
            fill_value,
        };
        fit_imputer(&frame, &params).map(|m| m.transform(&frame).unwrap())
    };
    let value_at_1 = |out: Vec<(String, OwnedColumn)>| match &out[0].1 {
        OwnedColumn::Numeric(v) => v[1].to_string(),
        OwnedColumn::Text(v) => v[1].clone().unwrap(),
    };
    assert_eq!(
        value_at_1(fill(ImputeStrategy::Mean, None, &["x"]).unwrap()),
        "3.75"
    );
    assert_eq!(
        value_at_1(fill(ImputeStrategy::Median, None, &["x"]).unwrap()),
        "2"
    );
    assert_eq!(
        value_at_1(fill(ImputeStrategy::MostFrequent, None, &["x"]).unwrap()),
        "2"
    );
    assert_eq!(
        value_at_1(fill(ImputeStrategy::Constant, None, &["x"]).unwrap()),
        "0"
    );
    assert_eq!(
        value_at_1(
            fill(
                ImputeStrategy::Constant,
                Some(FillValue::Number(-1.0)),
                &["x"]
            )
            .unwrap()
        ),
        "-1"
    );
    // Text: ties go to the smallest value; the default constant is scikit-learn's.
    assert_eq!(
        value_at_1(fill(ImputeStrategy::MostFrequent, None, &["t"]).unwrap()),
        "a"
    );
    assert_eq!(
        value_at_1(fill(ImputeStrategy::Constant, None, &["t"]).unwrap()),
        "missing_value"
    );
    assert_eq!(
        value_at_1(
            fill(
                ImputeStrategy::Constant,
                Some(FillValue::Text("none".into())),
                &["t"]
            )
            .unwrap()
        ),
        "none"
    );
    assert_eq!(
        fill(ImputeStrategy::Mean, None, &["t"])
            .unwrap_err()
            .to_string(),
        "parameter `strategy`: column `t` is text, which has no mean or median; use `most_frequent` or `constant` for it"
    );
    assert_eq!(
        fill(
            ImputeStrategy::Constant,
            Some(FillValue::Text("n/a".into())),
            &["x"]
        )
        .unwrap_err()
        .to_string(),
        "parameter `fill_value`: `n/a` is not a number but column `x` is numeric; give a numeric `fill_value`"
    );
    let model = fit_imputer(&frame, &ImputerParams::default().clone_with(&["x"])).unwrap();
    assert_eq!(
        serde_json::to_string(&model).unwrap(),
        r#"{"columns":["x"],"values":[3.75]}"#
    );
}

/// Test-only helper to set the selected columns.
trait WithCols {
    fn clone_with(&self, cols: &[&str]) -> Self;
}

impl WithCols for ImputerParams {
    fn clone_with(&self, cols: &[&str]) -> Self {
        ImputerParams {
            selected_cols: cols.iter().map(|c| c.to_string()).collect(),
            ..self.clone()
        }
    }
}
