//! End-to-end tests of `pai-engine pmml score` against independent truths:
//! scikit-learn's own outputs for the sklearn2pmml fixtures, and
//! JPMML-Evaluator's output for the real PAI Designer export.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Ws, repo, stderr};

fn fixtures() -> std::path::PathBuf {
    repo().join("tests/fixtures")
}

fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    (
        header,
        lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect(),
    )
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// Scores `model` on `data` with the CLI and returns the output table.
fn score(
    ws: &Ws,
    model: &std::path::Path,
    data: &std::path::Path,
) -> (Vec<String>, Vec<Vec<String>>) {
    let out = ws.path().join("scored.csv");
    let o = ws.run(&[
        "pmml",
        "score",
        model.to_str().unwrap(),
        "--input",
        data.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--overwrite",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    read_csv(&out)
}

/// `pai-engine pmml score MODEL -i INPUT -o OUTPUT` in `ws`.
fn pmml_score(ws: &Ws, model: &str, input: &str, output: &str) -> std::process::Output {
    ws.run(&["pmml", "score", model, "-i", input, "-o", output])
}

/// Every cell equals the oracle's within 1e-9 (empty cells: missing on both sides).
fn assert_same_as_oracle(rows: &[Vec<String>], want: &[Vec<String>]) {
    assert_eq!(rows.len(), want.len());
    for (g, w) in rows.iter().zip(want) {
        for (a, b) in g.iter().zip(w) {
            if b.is_empty() {
                assert!(a.is_empty(), "{a:?} where the oracle has a missing value");
            } else {
                assert!((num(a) - num(b)).abs() <= 1e-9, "{a} vs {b}");
            }
        }
    }
}

/// Compares `got` columns with `expected` columns pairwise within 1e-9.
fn assert_columns(
    got: &[Vec<String>],
    gi: &[usize],
    want: &[Vec<String>],
    wi: &[usize],
    label_cols: usize,
) {
    assert_eq!(got.len(), want.len());
    for (r, (g, w)) in got.iter().zip(want).enumerate() {
        for (k, (&a, &b)) in gi.iter().zip(wi).enumerate() {
            let (x, y) = (num(&g[a]), num(&w[b]));
            if k < label_cols {
                assert_eq!(x, y, "row {r}: label {x} vs {y}");
            } else {
                assert!((x - y).abs() <= 1e-9, "row {r}, column {k}: {x} vs {y}");
            }
        }
    }
}

#[test]
fn sklearn2pmml_classifiers_match_scikit_learn() {
    let ws = Ws::new();
    for (model, data) in [
        ("lr_scaled_breast_cancer", "breast_cancer"),
        ("dtree_breast_cancer", "breast_cancer"),
    ] {
        let (h, rows) = score(
            &ws,
            &fixtures().join(format!("pmml/{model}.sklearn2pmml.pmml")),
            &fixtures().join(format!("datasets/{data}.csv")),
        );
        assert_eq!(h, ["diagnosis", "probability(0)", "probability(1)"]);
        let (_, want) = read_csv(&fixtures().join(format!("pmml/{model}.expected.csv")));
        assert_columns(&rows, &[0, 1, 2], &want, &[0, 1, 2], 1);
    }
}

#[test]
fn sklearn2pmml_regression_matches_scikit_learn() {
    let ws = Ws::new();
    let (h, rows) = score(
        &ws,
        &fixtures().join("pmml/linreg_diabetes.sklearn2pmml.pmml"),
        &fixtures().join("datasets/diabetes.csv"),
    );
    assert_eq!(h, ["progression"]);
    let (_, want) = read_csv(&fixtures().join("pmml/linreg_diabetes.expected.csv"));
    assert_columns(&rows, &[0], &want, &[0], 0);
}

#[test]
fn kmeans_clusters_and_distances_match_scikit_learn() {
    let ws = Ws::new();
    let (h, rows) = score(
        &ws,
        &fixtures().join("pmml/kmeans3_iris.sklearn2pmml.pmml"),
        &fixtures().join("datasets/iris.csv"),
    );
    assert_eq!(
        h,
        ["", "cluster", "affinity(0)", "affinity(1)", "affinity(2)"]
    );
    let (_, want) = read_csv(&fixtures().join("pmml/kmeans3_iris.expected.csv"));
    // the PMML's affinity is the squared Euclidean distance
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![r[1].clone()];
            v.extend(r[2..].iter().map(|a| num(a).sqrt().to_string()));
            v
        })
        .collect();
    assert_columns(&rows, &[0, 1, 2, 3], &want, &[0, 1, 2, 3], 1);
}

#[test]
fn pai_designer_export_matches_jpmml() {
    let ws = Ws::new();
    let data = repo().join("crates/pmml/tests/data");
    let (h, rows) = score(
        &ws,
        &fixtures().join("pmml/pai_designer_lr.pmml"),
        &data.join("pai_designer_lr.input.csv"),
    );
    let (wh, want) = read_csv(&data.join("pai_designer_lr.expected.csv"));
    assert_eq!(h, wh);
    assert_eq!(h, ["_c2", "p_1", "p_0"]);
    assert_same_as_oracle(&rows, &want);
}

#[test]
fn unsupported_and_malformed_documents_are_refused_with_their_line() {
    let ws = Ws::new();
    let bad = ws.write("nn.pmml", "<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">\n<DataDictionary/>\n<NeuralNetwork functionName=\"regression\"/>\n</PMML>\n");
    let data = ws.write("d.csv", "x\n1\n");
    let o = pmml_score(
        &ws,
        bad.to_str().unwrap(),
        data.to_str().unwrap(),
        "out.csv",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`NeuralNetwork`") && stderr(&o).contains("line 3"),
        "{}",
        stderr(&o)
    );
    let broken = ws.write("broken.pmml", "<PMML>\n<DataDictionary>\n</PMML>\n");
    let o = pmml_score(
        &ws,
        broken.to_str().unwrap(),
        data.to_str().unwrap(),
        "out.csv",
    );
    assert!(stderr(&o).contains("line 3"), "{}", stderr(&o));
    assert!(!ws.path().join("out.csv").exists());
}

#[test]
fn read_pmml_model_feeds_predict_like_jpmml() {
    let ws = Ws::new();
    let data = repo().join("crates/pmml/tests/data");
    let nodes = format!(
        "    - id: model\n      component: read_pmml_model\n      params: {{ path: {} }}\n    - id: rows\n      component: read_table\n      params: {{ path: {} }}\n    - id: score\n      component: predict\n      inputs: {{ model: model.model, data: rows.output }}\n      params: {{ reserved_cols: [] }}\n    - id: save\n      component: write_table\n      inputs: {{ data: score.output }}\n      params: {{ path: out.csv }}\n",
        fixtures().join("pmml/pai_designer_lr.pmml").display(),
        data.join("pai_designer_lr.input.csv").display()
    );
    let m = ws.write("p.yaml", &common::manifest("pmml-predict", &nodes));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (h, rows) = read_csv(&ws.path().join("out.csv"));
    let (wh, want) = read_csv(&data.join("pai_designer_lr.expected.csv"));
    assert_eq!(h, wh);
    assert_eq!(rows.len(), want.len());
    assert_same_as_oracle(&rows, &want);
    // an unsupported document fails at `read_pmml_model`, naming element and line
    let bad = ws.write("nn.pmml", "<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">\n<DataDictionary/>\n<NeuralNetwork functionName=\"regression\"/>\n</PMML>\n");
    let m = ws.write(
        "q.yaml",
        &common::manifest(
            "pmml-bad",
            &format!(
                "    - id: model\n      component: read_pmml_model\n      params: {{ path: {} }}\n",
                bad.display()
            ),
        ),
    );
    let out = ws.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let show = ws.show(&common::run_id(&out));
    let err = Ws::node(&show, "model")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        err.contains("`NeuralNetwork`") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn trainers_with_generate_pmml_write_documents_that_score_like_predict() {
    let ws = Ws::new();
    let data = repo().join("data");
    let iris = data.join("iris.csv");
    let bc = data.join("breast_cancer.csv");
    let mut nodes = format!(
        "    - id: iris\n      component: read_table\n      params: {{ path: {} }}\n    - id: bc\n      component: read_table\n      params: {{ path: {} }}\n",
        iris.display(),
        bc.display()
    );
    // (node, component, data node, params)
    let trainers = [
        (
            "lr",
            "logistic_regression",
            "iris",
            "label_col: species, generate_pmml: true",
        ),
        (
            "gbdt",
            "gbdt_binary_classifier",
            "bc",
            "label_col: diagnosis, num_trees: 20, generate_pmml: true",
        ),
        (
            "km",
            "kmeans",
            "iris",
            "feature_cols: [sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], k: 3, generate_pmml: true",
        ),
        ("plain", "decision_tree", "iris", "label_col: species"),
    ];
    for (id, component, input, params) in trainers {
        nodes.push_str(&format!(
            "    - id: {id}\n      component: {component}\n      inputs: {{ data: {input}.output }}\n      params: {{ {params} }}\n    - id: {id}_score\n      component: predict\n      inputs: {{ model: {id}.model, data: {input}.output }}\n      params: {{ reserved_cols: [] }}\n    - id: {id}_save\n      component: write_table\n      inputs: {{ data: {id}_score.output }}\n      params: {{ path: {id}.csv }}\n"
        ));
    }
    let m = ws.write("p.yaml", &common::manifest("pmml-export", &nodes));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let show = ws.show(&common::run_id(&out));
    let meta = |id: &str| {
        std::path::PathBuf::from(Ws::node(&show, id)["outputs"][0]["path"].as_str().unwrap())
    };
    // without the flag there is no document
    assert!(meta("plain").with_extension("meta").is_file());
    assert!(!meta("plain").with_extension("xml").exists());
    for (id, input, prefix) in [
        ("lr", &iris, "p_"),
        ("gbdt", &bc, "p_"),
        ("km", &iris, "distance_"),
    ] {
        let xml = meta(id).with_extension("xml");
        assert!(xml.is_file(), "{id}: no {}", xml.display());
        let text = std::fs::read_to_string(&xml).unwrap();
        assert!(text.contains("xmlns=\"http://www.dmg.org/PMML-4_4\""));
        let scored = ws.path().join(format!("{id}.pmml.csv"));
        let o = pmml_score(
            &ws,
            xml.to_str().unwrap(),
            input.to_str().unwrap(),
            scored.to_str().unwrap(),
        );
        assert!(o.status.success(), "{id}: {}", stderr(&o));
        let (ph, prows) = common::read_csv(&scored);
        let (eh, erows) = common::read_csv(&ws.path().join(format!("{id}.csv")));
        assert_eq!(eh, ["prediction_result", "prediction_detail"], "{id}");
        assert_eq!(prows.len(), erows.len(), "{id}");
        let col = |name: &str| {
            ph.iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{id}: no `{name}` in {ph:?}"))
        };
        let pred = col("prediction_result");
        for (r, (p, e)) in prows.iter().zip(&erows).enumerate() {
            assert_eq!(num(&p[pred]), num(&e[0]), "{id} row {r}: label");
            let detail: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&e[1]).unwrap();
            assert!(!detail.is_empty());
            for (key, want) in detail {
                let got = num(&p[col(&format!("{prefix}{key}"))]);
                let want = want.as_f64().unwrap();
                assert!(
                    (got - want).abs() <= 1e-9,
                    "{id} row {r} `{prefix}{key}`: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn a_missing_model_file_is_named_once() {
    let ws = Ws::new();
    let input = ws.write("in.csv", "pm10,so2,co,no2\n0.1,0.2,0.3,0.4\n");
    let out = pmml_score(&ws, "nosuch.pmml", input.to_str().unwrap(), "out.csv");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.matches("nosuch.pmml").count(), 1, "{err}");
    assert!(err.starts_with("error: `nosuch.pmml`: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_table_sharing_no_field_with_the_model_is_refused() {
    let ws = Ws::new();
    let model = repo().join("data/pmml/pai_designer_lr.pmml");
    let input = ws.write("in.csv", "a,b\n1,2\n");
    let out = pmml_score(
        &ws,
        model.to_str().unwrap(),
        input.to_str().unwrap(),
        "out.csv",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("has none of the input fields of the model"),
        "{err}"
    );
    assert!(
        err.contains("it reads `pm10`, `so2`, `co`, `no2`; the table has `a`, `b`"),
        "{err}"
    );
    assert!(!ws.path().join("out.csv").exists());
}
