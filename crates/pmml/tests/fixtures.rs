//! The shared sklearn2pmml fixtures scored on their datasets must reproduce
//! scikit-learn's own outputs (`*.expected.csv`) within 1e-9.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{fixtures, matches, read_csv, score};
use pai_pmml::{PmmlModel, Value};

fn load(name: &str) -> PmmlModel {
    let path = fixtures().join("pmml").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    PmmlModel::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Checks `model` on `dataset` against `expected`, mapping each expected
/// column to one of ours through `map` (expected name -> our column, transform).
/// Expected column, our column, and a transform applied to our numbers.
type ColumnMap<'a> = (&'a str, &'a str, fn(f64) -> f64);

fn check(model: &PmmlModel, dataset: &str, expected: &str, map: &[ColumnMap]) {
    let input = read_csv(&fixtures().join("datasets").join(dataset));
    let want = read_csv(&fixtures().join("pmml").join(expected));
    let got = score(model, &input);
    assert_eq!(got.len(), want.rows.len());
    let names: Vec<&str> = model
        .output_columns()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    for (wname, ours, f) in map {
        let wi = want
            .col(wname)
            .unwrap_or_else(|| panic!("expected column {wname}"));
        let oi = names
            .iter()
            .position(|n| n == ours)
            .unwrap_or_else(|| panic!("our column {ours} not in {names:?}"));
        for (r, res) in got.iter().enumerate() {
            let row = res.as_ref().unwrap_or_else(|e| panic!("row {r}: {e}"));
            let v = match &row[oi] {
                Value::Number(x) => Value::Number(f(*x)),
                v => v.clone(),
            };
            let cell = want.rows[r][wi].as_deref();
            assert!(
                matches(&v, cell, 1e-9),
                "{expected} row {r} column {wname}: got {v:?}, want {cell:?}"
            );
        }
    }
}

fn id(x: f64) -> f64 {
    x
}

#[test]
fn lr_scaled_breast_cancer() {
    let m = load("lr_scaled_breast_cancer.sklearn2pmml.pmml");
    check(
        &m,
        "breast_cancer.csv",
        "lr_scaled_breast_cancer.expected.csv",
        &[
            ("predicted", "diagnosis", id),
            ("probability_0", "probability(0)", id),
            ("probability_1", "probability(1)", id),
        ],
    );
}

#[test]
fn linreg_diabetes() {
    let m = load("linreg_diabetes.sklearn2pmml.pmml");
    check(
        &m,
        "diabetes.csv",
        "linreg_diabetes.expected.csv",
        &[("predicted", "progression", id)],
    );
}

#[test]
fn dtree_breast_cancer() {
    let m = load("dtree_breast_cancer.sklearn2pmml.pmml");
    check(
        &m,
        "breast_cancer.csv",
        "dtree_breast_cancer.expected.csv",
        &[
            ("predicted", "diagnosis", id),
            ("probability_0", "probability(0)", id),
            ("probability_1", "probability(1)", id),
        ],
    );
}

#[test]
fn kmeans3_iris() {
    let m = load("kmeans3_iris.sklearn2pmml.pmml");
    check(
        &m,
        "iris.csv",
        "kmeans3_iris.expected.csv",
        &[
            ("cluster", "cluster", id),
            ("distance_0", "affinity(0)", f64::sqrt),
            ("distance_1", "affinity(1)", f64::sqrt),
            ("distance_2", "affinity(2)", f64::sqrt),
        ],
    );
}

#[test]
fn pai_designer_lr_columns() {
    let m = load("pai_designer_lr.pmml");
    assert_eq!(m.version(), "4.2");
    let names: Vec<&str> = m.output_columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["_c2", "p_1", "p_0"]);
    let inputs: Vec<&str> = m.input_fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(inputs, ["pm10", "so2", "co", "no2"]);
}

#[test]
fn batch_matches_single_records() {
    use pai_pmml::Column;
    let m = load("lr_scaled_breast_cancer.sklearn2pmml.pmml");
    let input = read_csv(&fixtures().join("datasets/breast_cancer.csv"));
    let cols: Vec<Vec<f64>> = (0..input.header.len())
        .map(|i| {
            input
                .typed_column(i)
                .iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let named: Vec<(&str, Column)> = input
        .header
        .iter()
        .zip(&cols)
        .map(|(h, c)| (h.as_str(), Column::F64(c)))
        .collect();
    let batch = m.evaluate_batch(&named).unwrap();
    assert!(batch.errors.is_empty());
    let single = score(&m, &input);
    for (r, row) in single.iter().enumerate() {
        let row = row.as_ref().unwrap();
        for (c, v) in row.iter().enumerate() {
            assert_eq!(&batch.columns[c][r], v, "row {r} column {c}");
        }
    }
    fn send_sync<T: Send + Sync>() {}
    send_sync::<PmmlModel>();
}

#[test]
fn by_name_lookup() {
    let m = load("pai_designer_lr.pmml");
    let out = m
        .evaluate_by_name(&|name| match name {
            "pm10" => Value::Number(0.9),
            "so2" => Value::Number(0.1),
            "co" => Value::Number(0.2),
            "no2" => Value::Number(0.3),
            _ => Value::Missing,
        })
        .unwrap();
    let y: f64 = -16.89823252736313 + 18.25811359934353 * 0.9 + 2.051957330416824 * 0.1
        - 0.5280526237281141 * 0.2
        + 11.60497429920501 * 0.3;
    let p1 = 1.0 / (1.0 + (-y).exp());
    assert!(matches!(out[1], Value::Number(p) if (p - p1).abs() < 1e-12));
    assert!(matches!(out[2], Value::Number(p) if (p - (1.0 - p1)).abs() < 1e-12));
}
