//! End-to-end tests of pipeline models through the binary: a scaler and a
//! logistic regression packaged by `make_pipeline_model` predict exactly
//! like the two stages applied one after the other, their PMML document
//! scores the same, and every malformed chain gets its own error.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Ws, manifest, repo, run_id, stderr};

fn bc() -> String {
    repo().join("data/breast_cancer.csv").display().to_string()
}

/// Reads a scaler, LR and pipeline model trained on breast_cancer (the
/// first 10 features), plus `extra` nodes.
fn nodes(extra: &str) -> String {
    format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: scale\n      component: standard_scaler\n      inputs: {{ data: read.output }}\n      params: {{ selected_cols: [mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness] }}\n    - id: train\n      component: logistic_regression\n      inputs: {{ data: scale.output }}\n      params: {{ label_col: diagnosis, feature_cols: [mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness] }}\n{extra}",
        bc()
    )
}

fn run(ws: &Ws, text: &str) -> (bool, serde_json::Value, String) {
    let m = ws.write("p.yaml", &manifest("pm-test", text));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    let show = ws.show(&run_id(&out));
    (out.status.success(), show, stderr(&out))
}

fn node_error(show: &serde_json::Value, id: &str) -> String {
    Ws::node(show, id)["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_pipeline_model_predicts_like_its_stages_and_its_pmml() {
    let ws = Ws::new();
    let extra = "    - id: combine\n      component: make_pipeline_model\n      inputs: { train_data: read.output, model1: scale.model, model2: train.model }\n    - id: one_go\n      component: predict\n      inputs: { model: combine.model, data: read.output }\n      params: { reserved_cols: [] }\n    - id: scaled\n      component: predict\n      inputs: { model: scale.model, data: read.output }\n    - id: two_steps\n      component: predict\n      inputs: { model: train.model, data: scaled.output }\n      params: { reserved_cols: [] }\n    - id: save1\n      component: write_table\n      inputs: { data: one_go.output }\n      params: { path: one_go.csv }\n    - id: save2\n      component: write_table\n      inputs: { data: two_steps.output }\n      params: { path: two_steps.csv }\n";
    let (ok, show, err) = run(&ws, &nodes(extra));
    assert!(ok, "{err}");
    let one = std::fs::read_to_string(ws.path().join("one_go.csv")).unwrap();
    let two = std::fs::read_to_string(ws.path().join("two_steps.csv")).unwrap();
    assert_eq!(
        one, two,
        "the pipeline model must predict exactly like its stages"
    );
    assert_eq!(one.lines().count(), 570);
    // Its PMML document (one document for both stages) scores the same.
    let model_dir = std::path::PathBuf::from(
        Ws::node(&show, "combine")["outputs"][0]["path"]
            .as_str()
            .unwrap(),
    );
    let xml = model_dir.with_extension("xml");
    assert!(xml.is_file(), "no PMML beside {}", model_dir.display());
    let out = ws.run(&[
        "pmml",
        "score",
        xml.to_str().unwrap(),
        "--input",
        &bc(),
        "--output",
        "pmml.csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pmml = std::fs::read_to_string(ws.path().join("pmml.csv")).unwrap();
    let header: Vec<&str> = pmml.lines().next().unwrap().split(',').collect();
    let p1 = header.iter().position(|h| *h == "p_1").unwrap();
    for (a, b) in pmml.lines().skip(1).zip(one.lines().skip(1)) {
        let engine: f64 = {
            let json = b
                .split_once(',')
                .unwrap()
                .1
                .trim_matches('"')
                .replace("\"\"", "\"");
            let d: serde_json::Value = serde_json::from_str(&json).unwrap();
            d["1"].as_f64().unwrap()
        };
        let theirs: f64 = a.split(',').nth(p1).unwrap().parse().unwrap();
        assert!((engine - theirs).abs() < 1e-9, "{engine} vs {theirs}");
    }
}

#[test]
fn malformed_chains_get_their_own_errors() {
    let ws = Ws::new();
    // A fifth model: there is no such input.
    let five = "    - id: combine\n      component: make_pipeline_model\n      inputs: { model1: scale.model, model2: scale.model, model3: scale.model, model4: scale.model, model5: train.model }\n";
    let m = ws.write("five.yaml", &manifest("five", &nodes(five)));
    let out = ws.run(&["validate", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("model5") && err.contains("model4"), "{err}");
    // A predictive model in front of another stage.
    let (ok, show, _) = run(
        &ws,
        &nodes(
            "    - id: combine\n      component: make_pipeline_model\n      inputs: { model1: train.model, model2: scale.model }\n",
        ),
    );
    assert!(!ok);
    let e = node_error(&show, "combine");
    assert!(
        e.contains("stage 1 (`LogisticRegressionModel`) is a predictive model"),
        "{e}"
    );
    // A scaler whose outputs the model does not read.
    let unfed = "    - id: scale2\n      component: standard_scaler\n      inputs: { data: read.output }\n      params: { selected_cols: [worst_area] }\n    - id: combine\n      component: make_pipeline_model\n      inputs: { model1: scale2.model, model2: train.model }\n";
    let (ok, show, _) = run(&ws, &nodes(unfed));
    assert!(!ok);
    let e = node_error(&show, "combine");
    assert!(
        e.contains("outputs [worst_area]") && e.contains("reads none of them"),
        "{e}"
    );
    // Declared classes that are not the connected ones.
    let wrong = "    - id: combine\n      component: make_pipeline_model\n      inputs: { model1: scale.model, model2: train.model }\n      params: { class_names: \"MinMaxScalerModel,LogisticRegressionModel\" }\n";
    let (ok, show, _) = run(&ws, &nodes(wrong));
    assert!(!ok);
    let e = node_error(&show, "combine");
    assert!(
        e.contains("`class_names`") && e.contains("StandardScalerModel,LogisticRegressionModel"),
        "{e}"
    );
    // Matching declarations are accepted (Java-style names too).
    let right = "    - id: combine\n      component: make_pipeline_model\n      inputs: { model1: scale.model, model2: train.model }\n      params: { class_names: \"com.alibaba.StandardScalerModel, LogisticRegressionModel\", params_array: '[{}, {\"label_col\": \"diagnosis\"}]' }\n";
    let (ok, show, err) = run(&ws, &nodes(right));
    assert!(ok, "{err} {}", node_error(&show, "combine"));
    // A gap in the inputs.
    let gap = "    - id: combine\n      component: make_pipeline_model\n      inputs: { model1: scale.model, model3: train.model }\n";
    let (ok, show, _) = run(&ws, &nodes(gap));
    assert!(!ok);
    assert!(
        node_error(&show, "combine").contains("`model2` is not"),
        "{}",
        node_error(&show, "combine")
    );
}

#[test]
fn pipeline_model_create_packages_canvas_nodes_as_a_task() {
    let ws = Ws::new();
    let extra = "    - id: scale2\n      component: standard_scaler\n      inputs: { data: read.output }\n      params: { selected_cols: [worst_area] }\n    - id: score\n      component: predict\n      inputs: { model: train.model, data: scale.output }\n";
    let m = ws.write("canvas.yaml", &manifest("canvas", &nodes(extra)));
    let m = m.to_str().unwrap();
    // Before any run.
    let out = ws.run(&["pipeline-model", "create", m, "--nodes", "scale,train"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("has never run"), "{}", stderr(&out));
    let out = ws.run(&["run", "-q", m]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Each violation gets its own error.
    let out = ws.run(&["pipeline-model", "create", m, "--nodes", "scal,score"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no node `scal` (did you mean `scale`?)"),
        "{err}"
    );
    assert!(
        err.contains("node `score` (`predict`) is not pipeline-capable"),
        "{err}"
    );
    let out = ws.run(&["pipeline-model", "create", m, "--nodes", "scale,scale2"]);
    let err = stderr(&out);
    assert!(
        err.contains("one serial path with one input") && err.contains("`scale2`"),
        "{err}"
    );
    let out = ws.run(&[
        "pipeline-model",
        "create",
        m,
        "--nodes",
        "scale,scale,train",
    ]);
    assert!(stderr(&out).contains("selected twice"), "{}", stderr(&out));
    // The selection, in any order, becomes a deployable pipeline model.
    let out = ws.run(&[
        "pipeline-model",
        "create",
        m,
        "--nodes",
        "train,scale",
        "--name",
        "bc_pipe",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("stages: scale → train"), "{text}");
    let runs = String::from_utf8_lossy(&ws.run(&["runs", "list"]).stdout).to_string();
    assert!(
        runs.contains("model-combination-") && runs.contains("model-combination  succeeded"),
        "{runs}"
    );
    let show = ws.run(&["models", "show", "bc_pipe", "--format", "json"]);
    assert!(show.status.success(), "{}", stderr(&show));
    let v: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(v["versions"][0]["class"], "PipelineModel", "{v}");
}
