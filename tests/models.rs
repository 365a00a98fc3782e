//! End-to-end tests of OfflineModels and OSS through the binary: register,
//! copy, read back, export in both formats, conflicts, names and paths,
//! RAM roles, racing exports, crashes, and an S3 bucket on a real
//! S3-protocol server.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{Ws, kill_at, manifest, repo, run_id, start_at, stderr, stdout};

fn bc() -> PathBuf {
    repo().join("data/breast_cancer.csv")
}

const CONFIG: &str = r#"default_project = "dev"

[buckets.secure]
require_role = true

[roles.exporter]
read = ["secure"]
write = ["secure/exports/"]

[roles.reader]
read = ["secure"]
"#;

fn workspace() -> Ws {
    let ws = Ws::new();
    ws.write("pai-engine.toml", CONFIG);
    ws
}

/// Trains a logistic regression on breast_cancer and registers it as
/// `dev/bc_lr`; returns the run id.
fn train(ws: &Ws) -> String {
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: train\n      component: logistic_regression\n      inputs: {{ data: read.output }}\n      params: {{ label_col: diagnosis, output_model_name: bc_lr }}\n",
        bc().display()
    );
    let m = ws.write("train.yaml", &manifest("train-bc", &nodes));
    run_id(&ok(ws, &["run", m.to_str().unwrap()]))
}

fn json(ws: &Ws, args: &[&str]) -> serde_json::Value {
    let out = ws.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs a command that must succeed; returns its output.
fn ok(ws: &Ws, args: &[&str]) -> std::process::Output {
    let out = ws.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

fn fails(ws: &Ws, args: &[&str]) -> String {
    let out = ws.run(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should fail: {}",
        stdout(&out)
    );
    stderr(&out)
}

fn bucket(ws: &Ws, name: &str) -> PathBuf {
    ws.state().join("oss").join(name)
}

/// Every file below `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn train_register_copy_read_back_and_predict_the_same() {
    let ws = workspace();
    let train_run = train(&ws);
    // copy to prod in a pipeline, read it back, and predict with both
    let nodes = format!(
        "    - id: data\n      component: read_table\n      params: {{ path: {bc} }}\n    - id: src\n      component: read_offline_model\n      params: {{ model_name: bc_lr }}\n    - id: copy\n      component: copy_offline_model\n      inputs: {{ model: src.model }}\n      params: {{ target_model_name: bc_lr, dest_project: prod }}\n    - id: back\n      component: read_offline_model\n      params: {{ model_name: bc_lr@1, project: prod }}\n      depends_on: [copy]\n    - id: p_src\n      component: predict\n      inputs: {{ model: src.model, data: data.output }}\n    - id: p_back\n      component: predict\n      inputs: {{ model: back.model, data: data.output }}\n    - id: w_src\n      component: write_table\n      inputs: {{ data: p_src.output }}\n      params: {{ path: src.csv }}\n    - id: w_back\n      component: write_table\n      inputs: {{ data: p_back.output }}\n      params: {{ path: back.csv }}\n",
        bc = bc().display()
    );
    let m = ws.write("copy.yaml", &manifest("copy-bc", &nodes));
    ok(&ws, &["run", m.to_str().unwrap()]);
    let a = std::fs::read(ws.path().join("src.csv")).unwrap();
    let b = std::fs::read(ws.path().join("back.csv")).unwrap();
    assert!(a.len() > 1000);
    assert_eq!(a, b, "the copy predicts differently from the original");

    let list = json(&ws, &["models", "list", "--format", "json"]);
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}/{}@{}",
                m["project"].as_str().unwrap(),
                m["name"].as_str().unwrap(),
                m["version"]
            )
        })
        .collect();
    assert_eq!(names, ["dev/bc_lr@1", "prod/bc_lr@1"]);
    let show = json(
        &ws,
        &[
            "models",
            "show",
            "bc_lr",
            "--project",
            "prod",
            "--format",
            "json",
        ],
    );
    assert_eq!(show["class"], "LogisticRegressionModel");
    assert_eq!(show["copied_from"], "dev/bc_lr@1");
    let lineage = &show["lineage"];
    assert_eq!(lineage["run_id"].as_str().unwrap(), train_run);
    assert_eq!(lineage["node"], "train");
    assert_eq!(lineage["pipeline"], "train-bc");
    assert_eq!(lineage["manifest_sha256"].as_str().unwrap().len(), 64);
    // the input digest is the digest of the training table artifact
    let train_show = ws.show(&train_run);
    let read_digest = &Ws::node(&train_show, "read")["outputs"][0]["digest"];
    assert_eq!(&lineage["input_digest"], read_digest);
    assert!(show["metrics"]["accuracy"].as_f64().unwrap() > 0.9);
    assert_eq!(show["versions"].as_array().unwrap().len(), 1);

    // the Model List of the training pipeline's latest run
    let train_yaml = ws.path().join("train.yaml");
    let list = json(
        &ws,
        &[
            "models",
            "list",
            "--pipeline",
            train_yaml.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(list["run"].as_str().unwrap(), train_run);
    let entries = list["models"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["node"], "train");
    assert_eq!(entries[0]["class"], "LogisticRegressionModel");
    assert_eq!(
        entries[0]["export_formats"],
        serde_json::json!(["original", "pmml"])
    );
    assert_eq!(
        entries[0]["deploy_processors"],
        serde_json::json!(["pai-pipeline", "pmml"])
    );

    // a second training run adds version 2; NAME resolves to it, NAME@1 stays
    train(&ws);
    let show = json(&ws, &["models", "show", "bc_lr", "--format", "json"]);
    assert_eq!(show["version"], 2);
    assert_eq!(show["versions"].as_array().unwrap().len(), 2);
    let v1 = json(&ws, &["models", "show", "bc_lr@1", "--format", "json"]);
    assert_eq!(v1["version"], 1);
}

#[test]
fn copy_conflicts_and_overwrite_keep_every_version() {
    let ws = workspace();
    train(&ws);
    ok(
        &ws,
        &[
            "models",
            "copy",
            "bc_lr",
            "bc_prod",
            "--dest-project",
            "prod",
        ],
    );
    let e = fails(
        &ws,
        &[
            "models",
            "copy",
            "bc_lr",
            "bc_prod",
            "--dest-project",
            "prod",
        ],
    );
    assert!(
        e.contains("`prod/bc_prod` already exists") && e.contains("--overwrite"),
        "{e}"
    );
    let e = fails(&ws, &["models", "copy", "bc_lr", "bc_lr"]);
    assert!(e.contains("onto itself"), "{e}");
    ok(
        &ws,
        &[
            "models",
            "copy",
            "bc_lr",
            "bc_prod",
            "--dest-project",
            "prod",
            "--overwrite",
        ],
    );
    let show = json(
        &ws,
        &[
            "models",
            "show",
            "bc_prod",
            "--project",
            "prod",
            "--format",
            "json",
        ],
    );
    assert_eq!(show["version"], 2);
    let versions: Vec<u64> = show["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2]);
    // both versions' files are whole
    for v in [1, 2] {
        let dir = ws
            .state()
            .join(format!("projects/prod/models/bc_prod/v{v}"));
        assert_eq!(files(&dir), ["bc_prod.meta", "bc_prod.model"]);
    }
    // the component refuses the same way
    let nodes = "    - id: src\n      component: read_offline_model\n      params: { model_name: bc_lr }\n    - id: copy\n      component: copy_offline_model\n      inputs: { model: src.model }\n      params: { target_model_name: bc_prod, dest_project: prod }\n";
    let m = ws.write("c.yaml", &manifest("copy-conflict", nodes));
    let e = fails(&ws, &["run", m.to_str().unwrap()]);
    assert!(e.contains("`prod/bc_prod` already exists"), "{e}");
    // unknown names list the close ones
    let e = fails(&ws, &["models", "show", "bc_lrr"]);
    assert!(e.contains("did you mean `bc_lr`"), "{e}");
    let e = fails(&ws, &["models", "show", "bc_prod", "--project", "prd"]);
    assert!(
        e.contains("unknown project `prd`") && e.contains("did you mean `prod`"),
        "{e}"
    );
    let e = fails(&ws, &["models", "show", "bc_lr@9"]);
    assert!(e.contains("no version 9"), "{e}");
}

#[test]
fn exports_in_both_formats_read_back_and_score_like_predict() {
    let ws = workspace();
    train(&ws);
    ok(
        &ws,
        &[
            "models",
            "export",
            "bc_lr",
            "--to",
            "oss://secure/exports/",
            "--role",
            "exporter",
        ],
    );
    ok(
        &ws,
        &[
            "models",
            "export",
            "bc_lr",
            "--to",
            "oss://secure/exports/",
            "--role",
            "exporter",
            "--format",
            "pmml",
            "--rename",
            "bc_pmml",
        ],
    );
    assert_eq!(
        files(&bucket(&ws, "secure")),
        [
            "exports/bc_lr.meta",
            "exports/bc_lr.model",
            "exports/bc_pmml.xml"
        ]
    );
    // the original export is byte-identical to the registered version
    let v1 = ws.state().join("projects/dev/models/bc_lr/v1");
    for ext in ["meta", "model"] {
        let exported =
            std::fs::read(bucket(&ws, "secure").join(format!("exports/bc_lr.{ext}"))).unwrap();
        assert_eq!(
            exported,
            std::fs::read(v1.join(format!("bc_lr.{ext}"))).unwrap()
        );
    }
    // `oss cat` reads it back through the role
    let out = ok(
        &ws,
        &[
            "oss",
            "cat",
            "oss://secure/exports/bc_lr.meta",
            "--role",
            "reader",
        ],
    );
    assert!(stdout(&out).contains("LogisticRegressionModel"));

    // the exported PMML scores like the engine's own predict
    let nodes = format!(
        "    - id: data\n      component: read_table\n      params: {{ path: {bc} }}\n    - id: m\n      component: read_offline_model\n      params: {{ model_name: bc_lr }}\n    - id: p\n      component: predict\n      inputs: {{ model: m.model, data: data.output }}\n      params: {{ reserved_cols: [] }}\n    - id: w\n      component: write_table\n      inputs: {{ data: p.output }}\n      params: {{ path: native.csv }}\n",
        bc = bc().display()
    );
    let m = ws.write("p.yaml", &manifest("predict-bc", &nodes));
    ok(&ws, &["run", m.to_str().unwrap()]);
    let xml = bucket(&ws, "secure").join("exports/bc_pmml.xml");
    let scored = ws.path().join("pmml.csv");
    ok(
        &ws,
        &[
            "pmml",
            "score",
            xml.to_str().unwrap(),
            "-i",
            bc().to_str().unwrap(),
            "-o",
            scored.to_str().unwrap(),
        ],
    );
    let native = read_csv(&ws.path().join("native.csv"));
    let pmml = read_csv(&scored);
    assert_eq!(native.len(), 569);
    assert_eq!(native.len(), pmml.len());
    let col = |rows: &Vec<Vec<(String, String)>>, r: usize, name: &str| {
        rows[r]
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut checked = 0;
    for r in 0..native.len() {
        for class in ["0", "1"] {
            let want: f64 = col(&native, r, &format!("p_{class}"))
                .or_else(|| prob_from_detail(&native[r], class))
                .unwrap()
                .parse()
                .unwrap();
            let got: f64 = col(&pmml, r, &format!("p_{class}"))
                .or_else(|| col(&pmml, r, &format!("probability({class})")))
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                (want - got).abs() < 1e-9,
                "row {r} class {class}: {want} vs {got}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 569);
}

/// `(header, value)` pairs of every row of a CSV (quoted fields unquoted).
fn read_csv(path: &Path) -> Vec<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = split_csv(lines.next().unwrap());
    lines
        .map(|l| header.iter().cloned().zip(split_csv(l)).collect())
        .collect()
}

/// Splits one CSV line, honouring `"` quoting and `""` escapes.
fn split_csv(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A class probability from `predict`'s JSON detail column, if that is
/// where it is.
fn prob_from_detail(row: &[(String, String)], class: &str) -> Option<String> {
    let detail = &row.iter().find(|(k, _)| k == "prediction_detail")?.1;
    let v: serde_json::Value = serde_json::from_str(detail).ok()?;
    Some(v[class].as_f64()?.to_string())
}

#[test]
fn export_conflicts_overwrite_and_general_model_naming() {
    let ws = workspace();
    train(&ws);
    ok(&ws, &["models", "export", "bc_lr", "--to", "oss://open/m/"]);
    let meta = bucket(&ws, "open").join("m/bc_lr.meta");
    let before = std::fs::read(&meta).unwrap();
    let e = fails(&ws, &["models", "export", "bc_lr", "--to", "oss://open/m/"]);
    assert!(
        e.contains("oss://open/m/bc_lr.model") && e.contains("already exists"),
        "{e}"
    );
    // a lone existing `.meta` also blocks the whole export: nothing written
    std::fs::create_dir_all(bucket(&ws, "open").join("n")).unwrap();
    std::fs::write(bucket(&ws, "open").join("n/bc_lr.meta"), "theirs").unwrap();
    let e = fails(&ws, &["models", "export", "bc_lr", "--to", "oss://open/n/"]);
    assert!(e.contains("oss://open/n/bc_lr.meta"), "{e}");
    assert_eq!(files(&bucket(&ws, "open").join("n")), ["bc_lr.meta"]);
    assert_eq!(
        std::fs::read_to_string(bucket(&ws, "open").join("n/bc_lr.meta")).unwrap(),
        "theirs"
    );
    // overwrite replaces
    train(&ws);
    ok(
        &ws,
        &[
            "models",
            "export",
            "bc_lr",
            "--to",
            "oss://open/m/",
            "--overwrite",
        ],
    );
    assert_ne!(
        std::fs::read(&meta).unwrap(),
        before,
        "version 2 should have replaced version 1"
    );

    // export_general_model: per-run directories pile up; with
    // overwrite_existing_model + rename one export is replaced each run
    let nodes = "    - id: m\n      component: read_offline_model\n      params: { model_name: bc_lr }\n    - id: each\n      component: export_general_model\n      inputs: { model: m.model }\n      params: { oss_path: \"oss://open/general/\", export_format: original }\n    - id: latest\n      component: export_general_model\n      inputs: { model: m.model }\n      params: { oss_path: \"oss://open/latest/\", export_format: original, rename: current, overwrite_existing_model: true }\n";
    let m = ws.write("g.yaml", &manifest("general", nodes));
    let mut runs = Vec::new();
    for _ in 0..2 {
        runs.push(run_id(&ok(&ws, &["run", m.to_str().unwrap()])));
    }
    let mut want: Vec<String> = runs
        .iter()
        .flat_map(|r| [format!("{r}/bc_lr.meta"), format!("{r}/bc_lr.model")])
        .collect();
    want.sort();
    assert_eq!(files(&bucket(&ws, "open").join("general")), want);
    assert_eq!(
        files(&bucket(&ws, "open").join("latest")),
        ["current.meta", "current.model"]
    );
    // overwrite_existing_model without rename is refused
    let bad = "    - id: m\n      component: read_offline_model\n      params: { model_name: bc_lr }\n    - id: x\n      component: export_general_model\n      inputs: { model: m.model }\n      params: { oss_path: \"oss://open/x/\", export_format: pmml, overwrite_existing_model: true }\n";
    let m = ws.write("bad.yaml", &manifest("general-bad", bad));
    let e = fails(&ws, &["run", m.to_str().unwrap()]);
    assert!(
        e.contains("`overwrite_existing_model` needs `rename`"),
        "{e}"
    );
    // a PMML document cannot be exported in the original format
    let pmml = repo().join("data/pmml/pai_designer_lr.pmml");
    let nodes = format!(
        "    - id: m\n      component: read_pmml_model\n      params: {{ path: {} }}\n    - id: x\n      component: model_export\n      inputs: {{ model: m.model }}\n      params: {{ oss_target_path: \"oss://open/p/\" }}\n",
        pmml.display()
    );
    let m = ws.write("pm.yaml", &manifest("pmml-original", &nodes));
    let e = fails(&ws, &["run", m.to_str().unwrap()]);
    assert!(e.contains("can only be exported as `pmml`"), "{e}");
}

#[test]
fn names_and_paths_cannot_escape() {
    let ws = workspace();
    train(&ws);
    for bad in [
        "oss://open/../x/",
        "oss://open//abs/",
        "oss://open/a/./b/",
        "oss://../x/",
        "oss://open/a\u{1}b/",
    ] {
        let e = fails(&ws, &["models", "export", "bc_lr", "--to", bad]);
        assert!(e.contains("error:"), "{bad}: {e}");
    }
    let e = fails(&ws, &["models", "copy", "bc_lr", "../evil"]);
    assert!(e.contains("[A-Za-z][A-Za-z0-9_]{0,127}"), "{e}");
    let e = fails(
        &ws,
        &["models", "copy", "bc_lr", "x", "--dest-project", "a/b"],
    );
    assert!(e.contains("project name `a/b` is invalid"), "{e}");
    let e = fails(&ws, &["models", "show", "../../etc"]);
    assert!(e.contains("is invalid"), "{e}");
    let e = fails(
        &ws,
        &[
            "models",
            "export",
            "bc_lr",
            "--to",
            "oss://open/x/",
            "--rename",
            "../up",
        ],
    );
    assert!(e.contains("is invalid"), "{e}");
    let e = fails(&ws, &["oss", "cat", "oss://open/a/../../../../etc/passwd"]);
    assert!(e.contains("`..` segment"), "{e}");
    assert!(!ws.state().join("projects/dev/models/evil").exists());
    assert!(!ws.state().join("oss/x").exists());
    // in a manifest, bad names are validation errors with their position
    let nodes = "    - id: m\n      component: read_offline_model\n      params: { model_name: \"../m\" }\n";
    let m = ws.write("v.yaml", &manifest("bad-names", nodes));
    let out = ws.run(&["validate", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("v.yaml:9:"), "{}", stderr(&out));
}

#[test]
fn roles_are_required_and_checked() {
    let ws = workspace();
    train(&ws);
    let e = fails(
        &ws,
        &["models", "export", "bc_lr", "--to", "oss://secure/exports/"],
    );
    assert!(
        e.contains("oss://secure/exports/bc_lr.model") && e.contains("requires a RAM role"),
        "{e}"
    );
    let e = fails(
        &ws,
        &[
            "models",
            "export",
            "bc_lr",
            "--to",
            "oss://secure/exports/",
            "--role",
            "reader",
        ],
    );
    assert!(
        e.contains("RAM role `reader` may not write `oss://secure/exports/bc_lr.model`"),
        "{e}"
    );
    let e = fails(
        &ws,
        &[
            "models",
            "export",
            "bc_lr",
            "--to",
            "oss://secure/other/",
            "--role",
            "exporter",
        ],
    );
    assert!(
        e.contains("`exporter` may not write `oss://secure/other/bc_lr.model`")
            && e.contains("`write` grant"),
        "{e}"
    );
    let e = fails(
        &ws,
        &[
            "models",
            "export",
            "bc_lr",
            "--to",
            "oss://secure/exports/",
            "--role",
            "exportr",
        ],
    );
    assert!(e.contains("did you mean `exporter`"), "{e}");
    assert!(files(&bucket(&ws, "secure")).is_empty());
    // the same through the component
    let nodes = "    - id: m\n      component: read_offline_model\n      params: { model_name: bc_lr }\n    - id: x\n      component: model_export\n      inputs: { model: m.model }\n      params: { oss_target_path: \"oss://secure/exports/\", oss_ram_role: reader }\n";
    let m = ws.write("r.yaml", &manifest("role-denied", nodes));
    let e = fails(&ws, &["run", m.to_str().unwrap()]);
    assert!(e.contains("RAM role `reader` may not write"), "{e}");
    let e = fails(&ws, &["oss", "ls", "oss://secure/"]);
    assert!(e.contains("requires a RAM role for read access"), "{e}");
}

#[test]
fn racing_exports_have_exactly_one_winner() {
    let ws = workspace();
    train(&ws);
    let children: Vec<_> = (0..6)
        .map(|_| {
            ws.cmd(&["models", "export", "bc_lr", "--to", "oss://open/race/"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outcomes: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let wins = outcomes.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        wins,
        1,
        "{:?}",
        outcomes.iter().map(stderr).collect::<Vec<_>>()
    );
    for o in outcomes.iter().filter(|o| !o.status.success()) {
        assert!(stderr(o).contains("already exists"), "{}", stderr(o));
    }
    let v1 = ws.state().join("projects/dev/models/bc_lr/v1");
    for ext in ["meta", "model"] {
        let got = std::fs::read(bucket(&ws, "open").join(format!("race/bc_lr.{ext}"))).unwrap();
        assert_eq!(got, std::fs::read(v1.join(format!("bc_lr.{ext}"))).unwrap());
    }
    let dir = bucket(&ws, "open").join("race2");
    assert_late_racer_loses(&ws, &[], "oss://open/race2/", |f| {
        std::fs::read(dir.join(f)).unwrap()
    });
}

/// Two exports race to the same new path: the first passes the
/// existence check and is held there while the second completes; the
/// first's create-only write must then fail and leave the winner's
/// objects untouched.
fn assert_late_racer_loses(
    ws: &Ws,
    env: &[(&str, &str)],
    to: &str,
    bucket_file: impl Fn(&str) -> Vec<u8>,
) {
    let go = ws
        .path()
        .join(format!("go-{}", to.replace(['/', ':'], "_")));
    let mut late = ws.cmd(&["models", "export", "bc_lr", "--to", to]);
    late.envs(env.iter().copied());
    let (child, rest) = start_at(late, &format!("export:checked@{}", go.display()));
    let mut early = ws.cmd(&["models", "export", "bc_lr", "--to", to]);
    early.envs(env.iter().copied());
    let out = early.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let winner_meta = bucket_file("bc_lr.meta");
    // the winner is done: let the late racer's create-only write go on
    std::fs::write(&go, "").unwrap();
    let status = child.wait_with_output().unwrap().status;
    let rest: Vec<String> = rest.map(|l| l.unwrap()).collect();
    assert_eq!(
        status.code(),
        Some(1),
        "the late racer should lose: {rest:?}"
    );
    assert!(
        rest.iter().any(|l| l.contains("already exists")),
        "{rest:?}"
    );
    assert_eq!(bucket_file("bc_lr.meta"), winner_meta);
}

#[test]
fn a_crash_mid_copy_or_mid_export_leaves_nothing_or_everything() {
    let ws = workspace();
    train(&ws);
    for point in ["model:staged", "model:placed"] {
        kill_at(
            &ws,
            point,
            &[
                "models",
                "copy",
                "bc_lr",
                "crashed",
                "--dest-project",
                "prod",
            ],
        );
        let e = fails(&ws, &["models", "show", "crashed", "--project", "prod"]);
        assert!(
            e.contains("error:"),
            "{point}: the killed copy is visible: {e}"
        );
    }
    // the copy then succeeds, whole
    ok(
        &ws,
        &[
            "models",
            "copy",
            "bc_lr",
            "crashed",
            "--dest-project",
            "prod",
        ],
    );
    let show = json(
        &ws,
        &[
            "models",
            "show",
            "crashed",
            "--project",
            "prod",
            "--format",
            "json",
        ],
    );
    assert_eq!(show["version"], 1);
    assert_eq!(
        files(&ws.state().join("projects/prod/models/crashed/v1")),
        ["crashed.meta", "crashed.model"]
    );

    // killed between the `.model` and the `.meta` of an export: the next
    // command rolls the half-export back
    kill_at(
        &ws,
        "export:partial",
        &["models", "export", "bc_lr", "--to", "oss://open/crash/"],
    );
    assert_eq!(
        files(&bucket(&ws, "open").join("crash")),
        ["bc_lr.model"],
        "the test should catch the export midway"
    );
    ok(&ws, &["oss", "ls", "oss://open/crash/"]);
    assert!(files(&bucket(&ws, "open").join("crash")).is_empty());
    ok(
        &ws,
        &["models", "export", "bc_lr", "--to", "oss://open/crash/"],
    );
    assert_eq!(
        files(&bucket(&ws, "open").join("crash")),
        ["bc_lr.meta", "bc_lr.model"]
    );
}

/// A moto S3 server on a free port, killed on drop.
struct Moto {
    child: std::process::Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> Option<Moto> {
    let exe = std::env::var("PAI_TEST_MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
    if !pai_testkit::require_program(
        "s3-moto",
        &exe,
        "`pip install 'moto[server]==5.2.1'` in a virtual environment and set PAI_TEST_MOTO_SERVER to its `moto_server`",
    ) {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = std::process::Command::new(&exe)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = child.unwrap_or_else(|e| panic!("cannot start the S3 server `{exe}`: {e}"));
    let moto = Moto { child, port };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(moto);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the S3 server `{exe}` did not listen on port {port} within 10 s");
}

/// Creates a bucket with a raw `PUT /bucket` (moto does not check
/// signatures).
fn create_bucket(port: u16, name: &str) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[test]
fn an_s3_bucket_on_a_real_s3_server() {
    let Some(moto) = start_moto() else { return };
    create_bucket(moto.port, "remote-models");
    let ws = Ws::new();
    ws.write(
        "pai-engine.toml",
        &format!("default_project = \"dev\"\n\n[buckets.s3models]\nkind = \"s3\"\nendpoint = \"http://127.0.0.1:{}\"\nbucket = \"remote-models\"\naccess_key_id_env = \"PAI_TEST_S3_KEY\"\nsecret_access_key_env = \"PAI_TEST_S3_SECRET\"\n", moto.port),
    );
    train(&ws);
    let s3 = |args: &[&str]| {
        ws.cmd(args)
            .env("PAI_TEST_S3_KEY", "testing")
            .env("PAI_TEST_S3_SECRET", "testing")
            .output()
            .unwrap()
    };
    // missing credentials are named
    let out = ws.run(&["oss", "ls", "oss://s3models/"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`PAI_TEST_S3_KEY`, which is not set"),
        "{}",
        stderr(&out)
    );
    for format in ["original", "pmml"] {
        let out = s3(&[
            "models",
            "export",
            "bc_lr",
            "--to",
            "oss://s3models/exports/",
            "--format",
            format,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = s3(&["oss", "ls", "oss://s3models/exports/", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let uris: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "oss://s3models/exports/bc_lr.meta",
            "oss://s3models/exports/bc_lr.model",
            "oss://s3models/exports/bc_lr.xml"
        ]
    );
    let out = s3(&["oss", "cat", "oss://s3models/exports/bc_lr.model"]);
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        std::fs::read(ws.state().join("projects/dev/models/bc_lr/v1/bc_lr.model")).unwrap()
    );
    let out = s3(&[
        "models",
        "export",
        "bc_lr",
        "--to",
        "oss://s3models/exports/",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    // racing writers on S3: conditional puts leave one winner
    let children: Vec<_> = (0..4)
        .map(|_| {
            ws.cmd(&["models", "export", "bc_lr", "--to", "oss://s3models/race/"])
                .env("PAI_TEST_S3_KEY", "testing")
                .env("PAI_TEST_S3_SECRET", "testing")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    assert_eq!(
        outs.iter().filter(|o| o.status.success()).count(),
        1,
        "{:?}",
        outs.iter().map(stderr).collect::<Vec<_>>()
    );
}
