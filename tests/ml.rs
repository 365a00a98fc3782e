//! End-to-end tests of the training, preprocessing, prediction and
//! evaluation components through the binary: the example pipeline, models
//! checked against scikit-learn's outputs on the shared fixtures, tampered
//! model artifacts, and bad input.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::{Path, PathBuf};

use common::{Ws, manifest, repo, run_id};

/// A dataset committed under `data/` (the fixtures' datasets, identical).
fn dataset(name: &str) -> PathBuf {
    repo().join("data").join(name)
}

/// The rows of an expected-output CSV of `tests/fixtures/pmml` (header skipped).
fn expected(name: &str) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/pmml").join(name)).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect()
}

/// The columns of a CSV header, minus `except`.
fn header(path: &Path, except: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .next()
        .unwrap()
        .split(',')
        .filter(|c| !except.contains(c))
        .map(str::to_string)
        .collect()
}

/// Runs `nodes` as a pipeline; returns whether it succeeded and its `show`.
fn run_nodes(ws: &Ws, nodes: &str) -> (bool, serde_json::Value) {
    let m = ws.write("p.yaml", &manifest("ml-test", nodes));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    let show = ws.show(&run_id(&out));
    (out.status.success(), show)
}

/// The error recorded against node `id`.
fn node_error(show: &serde_json::Value, id: &str) -> String {
    Ws::node(show, id)["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// One scored row: the prediction and the detail object, if any.
struct Scored {
    prediction: String,
    detail: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Reads a CSV written from `predict` with `reserved_cols: []`.
fn scored(path: &Path) -> Vec<Scored> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| match l.split_once(',') {
            Some((p, d)) => {
                let json = d.trim_matches('"').replace("\"\"", "\"");
                Scored {
                    prediction: p.to_string(),
                    detail: Some(serde_json::from_str(&json).unwrap()),
                }
            }
            None => Scored {
                prediction: l.to_string(),
                detail: None,
            },
        })
        .collect()
}

/// Nodes: read `data` → `train` (component and params) → predict on the
/// same rows → write `scores.csv`.
fn train_and_score(data: &Path, component: &str, params: &str) -> String {
    format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: train\n      component: {component}\n      inputs: {{ data: read.output }}\n      params: {params}\n    - id: score\n      component: predict\n      inputs: {{ model: train.model, data: read.output }}\n      params: {{ reserved_cols: [] }}\n    - id: save\n      component: write_table\n      inputs: {{ data: score.output }}\n      params: {{ path: scores.csv, overwrite: true }}\n",
        data.display()
    )
}

#[test]
fn example_pipeline_runs_and_scores_the_holdout_well() {
    let ws = Ws::new();
    let text = std::fs::read_to_string(repo().join("pipelines/breast_cancer_lr.yaml")).unwrap();
    let m = ws.write("pipelines/breast_cancer_lr.yaml", &text);
    std::fs::create_dir_all(ws.path().join("data")).unwrap();
    std::fs::copy(
        repo().join("data/breast_cancer.csv"),
        ws.path().join("data/breast_cancer.csv"),
    )
    .unwrap();
    let v = ws.run(&["validate", m.to_str().unwrap()]);
    assert!(v.status.success(), "{}", common::stderr(&v));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let show = ws.show(&run_id(&out));
    let metrics = &Ws::node(&show, "evaluate")["metrics"];
    assert_eq!(metrics["count"], 114);
    assert!(metrics["auc"].as_f64().unwrap() > 0.98, "{metrics}");
    assert!(metrics["accuracy"].as_f64().unwrap() > 0.9, "{metrics}");
    assert!(metrics["log_loss"].as_f64().unwrap() < 0.3, "{metrics}");
    let train = &Ws::node(&show, "train")["metrics"];
    assert!(train["accuracy"].as_f64().unwrap() > 0.95, "{train}");
    // the metrics artifact is the same document
    let path = Ws::node(&show, "evaluate")["outputs"][0]["path"]
        .as_str()
        .unwrap();
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(&file, metrics);
    // the model metadata records its lineage and input schema
    let meta_path = Ws::node(&show, "train")["outputs"][0]["path"]
        .as_str()
        .unwrap();
    assert!(meta_path.ends_with("model.meta"));
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(meta_path).unwrap()).unwrap();
    assert_eq!(meta["model_class"], "LogisticRegressionModel");
    assert_eq!(meta["format_version"], 1);
    assert_eq!(meta["lineage"]["node"], "train");
    assert_eq!(meta["lineage"]["pipeline"], "breast-cancer-lr");
    assert_eq!(meta["label"]["classes"], serde_json::json!(["0", "1"]));
    assert_eq!(meta["input_schema"].as_array().unwrap().len(), 30);
    let scores = std::fs::read_to_string(ws.path().join("out/breast_cancer_scores.csv")).unwrap();
    assert_eq!(scores.lines().count(), 115);
    assert!(scores.starts_with("diagnosis,prediction_result,prediction_detail\n"));
}

#[test]
fn scaled_logistic_regression_matches_scikit_learn() {
    let ws = Ws::new();
    let data = dataset("breast_cancer.csv");
    let features = header(&data, &["diagnosis"]).join(", ");
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: scale\n      component: standard_scaler\n      inputs: {{ data: read.output }}\n      params: {{ selected_cols: [{features}] }}\n    - id: train\n      component: logistic_regression\n      inputs: {{ data: scale.output }}\n      params: {{ label_col: diagnosis }}\n    - id: rescale\n      component: predict\n      inputs: {{ model: scale.model, data: read.output }}\n    - id: score\n      component: predict\n      inputs: {{ model: train.model, data: rescale.output }}\n      params: {{ reserved_cols: [] }}\n    - id: save\n      component: write_table\n      inputs: {{ data: score.output }}\n      params: {{ path: scores.csv, overwrite: true }}\n",
        data.display()
    );
    let (ok, show) = run_nodes(&ws, &nodes);
    assert!(ok, "{show}");
    let got = scored(&ws.path().join("scores.csv"));
    let want = expected("lr_scaled_breast_cancer.expected.csv");
    assert_eq!(got.len(), want.len());
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.prediction, format!("{}", w[0] as i64), "row {i}");
        let d = g.detail.as_ref().unwrap();
        worst = worst
            .max((d["0"].as_f64().unwrap() - w[1]).abs())
            .max((d["1"].as_f64().unwrap() - w[2]).abs());
    }
    assert!(worst < 1e-4, "largest probability difference {worst}");
}

#[test]
fn linear_regression_matches_scikit_learn() {
    let ws = Ws::new();
    let nodes = train_and_score(
        &dataset("diabetes.csv"),
        "linear_regression",
        "{ label_col: progression }",
    );
    let (ok, show) = run_nodes(&ws, &nodes);
    assert!(ok, "{show}");
    let got = scored(&ws.path().join("scores.csv"));
    let want = expected("linreg_diabetes.expected.csv");
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let p: f64 = g.prediction.parse().unwrap();
        assert!((p - w[0]).abs() < 1e-6, "row {i}: {p} vs {}", w[0]);
        assert!(g.detail.is_none());
    }
    let r2 = Ws::node(&show, "train")["metrics"]["r2"].as_f64().unwrap();
    assert!((0.5..0.53).contains(&r2), "{r2}");
}

/// `seed` is scikit-learn's `random_state`: with 2, scikit-learn's
/// `KMeans(3, n_init=1)` gives the fixture's labels exactly (see
/// crates/ml/tests/kmeans.rs), so the ids must match too.
#[test]
fn kmeans_matches_scikit_learn() {
    let ws = Ws::new();
    let nodes = train_and_score(
        &dataset("iris.csv"),
        "kmeans",
        "{ k: 3, seed: 2, feature_cols: [sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm] }",
    );
    let (ok, show) = run_nodes(&ws, &nodes);
    assert!(ok, "{show}");
    let got = scored(&ws.path().join("scores.csv"));
    let want = expected("kmeans3_iris.expected.csv");
    assert_eq!(got.len(), want.len());
    let mut map = std::collections::BTreeMap::new();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let ours: usize = g.prediction.parse().unwrap();
        let theirs = w[0] as usize;
        assert_eq!(ours, theirs, "row {i}");
        assert_eq!(*map.entry(ours).or_insert(theirs), theirs, "row {i}");
        // the distance to the assigned centre is the same
        let d = g.detail.as_ref().unwrap()[&ours.to_string()]
            .as_f64()
            .unwrap();
        assert!((d - w[1 + theirs]).abs() < 1e-6, "row {i}: {d}");
    }
    let mut targets: Vec<usize> = map.values().copied().collect();
    targets.dedup();
    assert_eq!(targets.len(), 3, "{map:?}");
}

#[test]
fn decision_tree_matches_scikit_learn() {
    let ws = Ws::new();
    let nodes = train_and_score(
        &dataset("breast_cancer.csv"),
        "decision_tree",
        "{ label_col: diagnosis, max_depth: 5 }",
    );
    let (ok, show) = run_nodes(&ws, &nodes);
    assert!(ok, "{show}");
    let got = scored(&ws.path().join("scores.csv"));
    let want = expected("dtree_breast_cancer.expected.csv");
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.prediction, format!("{}", w[0] as i64), "row {i}");
        let d = g.detail.as_ref().unwrap();
        assert!((d["0"].as_f64().unwrap() - w[1]).abs() < 1e-9, "row {i}");
        assert!((d["1"].as_f64().unwrap() - w[2]).abs() < 1e-9, "row {i}");
    }
}

/// A small table: `x1`, `x2`, `y`.
const SMALL: &str = "x1,x2,y\n1.0,0.5,0\n2.0,1.5,1\n3.0,0.0,0\n4.0,2.5,1\n5.0,1.0,1\n0.5,0.2,0\n";

#[test]
fn a_tampered_model_artifact_is_refused() {
    let ws = Ws::new();
    ws.write("train.csv", SMALL);
    // `score.csv` does not exist yet, so `predict` fails and `train` succeeds
    let nodes = "    - id: read\n      component: read_table\n      params: { path: train.csv }\n    - id: train\n      component: logistic_regression\n      inputs: { data: read.output }\n      params: { label_col: y }\n    - id: read_score\n      component: read_table\n      params: { path: score.csv }\n    - id: score\n      component: predict\n      inputs: { model: train.model, data: read_score.output }\n";
    let (ok, show) = run_nodes(&ws, nodes);
    assert!(!ok);
    let meta = PathBuf::from(
        Ws::node(&show, "train")["outputs"][0]["path"]
            .as_str()
            .unwrap(),
    );
    let model = meta.with_extension("model");
    let bytes = std::fs::read(&model).unwrap();
    ws.write("score.csv", SMALL);
    let mut last = show["run"]["id"].as_str().unwrap().to_string();
    let tampered = [
        bytes[..bytes.len() - 7].to_vec(),
        String::from_utf8(bytes.clone())
            .unwrap()
            .replacen("\"x1\"", "\"x9\"", 1)
            .into_bytes(),
    ];
    for bad in tampered {
        std::fs::write(&model, &bad).unwrap();
        let out = ws.run(&["run", "--resume", &last]);
        assert!(!out.status.success());
        last = run_id(&out);
        let show = ws.show(&last);
        let err = node_error(&show, "score");
        assert!(
            err.contains("truncated or altered") && err.contains("model.model"),
            "{err}"
        );
    }
    // restored, it works again
    std::fs::write(&model, &bytes).unwrap();
    let out = ws.run(&["run", "--resume", &last]);
    assert!(out.status.success(), "{}", common::stderr(&out));
}

/// Runs read(`csv`) → `component` with `params`; returns the node's error.
fn train_error(csv: &str, component: &str, params: &str) -> String {
    let ws = Ws::new();
    ws.write("d.csv", csv);
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: d.csv }}\n    - id: train\n      component: {component}\n      inputs: {{ data: read.output }}\n      params: {params}\n"
    );
    let (ok, show) = run_nodes(&ws, &nodes);
    assert!(!ok, "{show}");
    node_error(&show, "train")
}

#[test]
fn bad_training_input_is_named() {
    let nan = "x1,x2,y\n1.0,0.5,0\n2.0,,1\n3.0,0.0,0\n4.0,1.0,1\n";
    let e = train_error(nan, "logistic_regression", "{ label_col: y }");
    assert!(
        e.contains("column `x2`, row 1") && e.contains("imputer"),
        "{e}"
    );
    let e = train_error(SMALL, "logistic_regression", "{ label_col: label }");
    assert!(e.contains("column `label` is missing"), "{e}");
    let single = "x1,y\n1.0,1\n2.0,1\n3.0,1\n";
    let e = train_error(single, "decision_tree", "{ label_col: y }");
    assert!(e.contains("single class `1`"), "{e}");
    let e = train_error("a,b\n1,2\n3,4\n5,6\n", "kmeans", "{ k: 10 }");
    assert!(e.contains("`k`") && e.contains('3'), "{e}");
    let e = train_error(
        SMALL,
        "linear_regression",
        "{ label_col: y, feature_cols: [x1, x3] }",
    );
    assert!(e.contains("column `x3` is missing"), "{e}");
}

#[test]
fn predicting_with_other_features_is_refused() {
    let ws = Ws::new();
    ws.write("train.csv", SMALL);
    ws.write("other.csv", "x1,x3\n1.0,2.0\n");
    let nodes = "    - id: read\n      component: read_table\n      params: { path: train.csv }\n    - id: train\n      component: naive_bayes\n      inputs: { data: read.output }\n      params: { label_col: y }\n    - id: other\n      component: read_table\n      params: { path: other.csv }\n    - id: score\n      component: predict\n      inputs: { model: train.model, data: other.output }\n";
    let (ok, show) = run_nodes(&ws, nodes);
    assert!(!ok);
    let e = node_error(&show, "score");
    assert!(
        e.contains("trained on features [x1, x2]") && e.contains("x1, x3"),
        "{e}"
    );
}

#[test]
fn preprocessing_stages_and_other_models_run() {
    let ws = Ws::new();
    let data = dataset("iris_onehot.csv");
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: fill\n      component: imputer\n      inputs: {{ data: read.output }}\n      params: {{ strategy: most_frequent }}\n    - id: encode\n      component: one_hot_encoder\n      inputs: {{ data: fill.output }}\n      params: {{ selected_cols: [petal_size] }}\n    - id: minmax\n      component: min_max_scaler\n      inputs: {{ data: encode.output }}\n      params: {{ selected_cols: [sepal_length_cm, sepal_width_cm] }}\n    - id: gbdt\n      component: gbdt_binary_classifier\n      inputs: {{ data: minmax.output }}\n      params: {{ label_col: is_virginica, num_trees: 20, min_samples_leaf: 5 }}\n    - id: svm\n      component: linear_svm\n      inputs: {{ data: minmax.output }}\n      params: {{ label_col: is_virginica }}\n    - id: reg\n      component: gbdt_regressor\n      inputs: {{ data: minmax.output }}\n      params: {{ label_col: sepal_length_cm, num_trees: 10, feature_cols: [sepal_width_cm, petal_size_large, petal_size_medium, petal_size_small] }}\n    - id: score\n      component: predict\n      inputs: {{ model: gbdt.model, data: minmax.output }}\n    - id: svm_score\n      component: predict\n      inputs: {{ model: svm.model, data: minmax.output }}\n    - id: reg_score\n      component: predict\n      inputs: {{ model: reg.model, data: minmax.output }}\n    - id: eval_bin\n      component: eval_binary_class\n      inputs: {{ data: score.output }}\n      params: {{ label_col: is_virginica }}\n    - id: eval_multi\n      component: eval_multi_class\n      inputs: {{ data: svm_score.output }}\n      params: {{ label_col: is_virginica }}\n    - id: eval_reg\n      component: eval_regression\n      inputs: {{ data: reg_score.output }}\n      params: {{ label_col: sepal_length_cm }}\n    - id: save\n      component: write_table\n      inputs: {{ data: score.output }}\n      params: {{ path: scores.csv, overwrite: true }}\n",
        data.display()
    );
    let (ok, show) = run_nodes(&ws, &nodes);
    assert!(ok, "{show}");
    let auc = Ws::node(&show, "eval_bin")["metrics"]["auc"]
        .as_f64()
        .unwrap();
    assert!(auc > 0.95, "{auc}");
    let acc = Ws::node(&show, "eval_multi")["metrics"]["accuracy"]
        .as_f64()
        .unwrap();
    assert!(acc > 0.8, "{acc}");
    let r2 = Ws::node(&show, "eval_reg")["metrics"]["r2"]
        .as_f64()
        .unwrap();
    assert!(r2 > 0.3, "{r2}");
    let scores = std::fs::read_to_string(ws.path().join("scores.csv")).unwrap();
    let head = scores.lines().next().unwrap();
    assert_eq!(
        head,
        "sepal_length_cm,sepal_width_cm,petal_size_large,petal_size_medium,petal_size_small,is_virginica,prediction_result,prediction_detail"
    );
    // integer labels come out as integers
    let first = scores.lines().nth(1).unwrap();
    assert!(first.contains(",0,0,\"{"), "{first}");
}
