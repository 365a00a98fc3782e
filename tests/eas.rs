//! End-to-end tests of the EAS components against a real `pai-engine
//! serve` on 127.0.0.1: `deploy_eas` deploys a pipeline model whose
//! answers equal batch `predict`; `update_eas_service` under concurrent
//! load loses no request, bumps the version and is metered once; a broken
//! update keeps the old version serving; and the unmodified
//! `tritonclient.http` client round-trips through the KServe V2 API.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::server::*;
use common::{Ws, manifest, repo, stderr};
use serde_json::{Value, json};

/// Runs a manifest with the components pointed at `srv`.
fn run_with(ws: &Ws, srv: &Server, file: &std::path::Path) -> std::process::Output {
    ws.cmd(&["run", file.to_str().unwrap()])
        .env("PAI_SERVER", format!("http://{}", srv.addr))
        .env_remove("PAI_ADMIN_TOKEN")
        .output()
        .unwrap()
}

/// Runs a manifest that must fail at its node `update`; returns the error.
fn fails_at_update(ws: &Ws, srv: &Server, file: &std::path::Path) -> String {
    let out = run_with(ws, srv, file);
    assert_eq!(out.status.code(), Some(1));
    let show = ws.show(&common::run_id(&out));
    Ws::node(&show, "update")["error"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Copies the example `name` into the workspace (data linked beside it).
fn example(ws: &Ws, name: &str) -> std::path::PathBuf {
    let dir = ws.path().join("pipelines");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join(name);
    std::fs::copy(repo().join("pipelines").join(name), &copy).unwrap();
    let data = ws.path().join("data");
    if !data.exists() {
        std::os::unix::fs::symlink(repo().join("data"), data).unwrap();
    }
    copy
}

fn bill_class(ws: &Ws, class: &str) -> Value {
    let out = ws.run(&["usage", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == class)
        .unwrap()
        .clone()
}

#[test]
fn deploy_then_update_under_load_and_a_broken_update() {
    let ws = Ws::new();
    let srv = start(&ws);
    // Deploy: the service answers exactly what batch `predict` wrote.
    let m = example(&ws, "eas_deploy.yaml");
    let out = run_with(&ws, &srv, &m);
    assert!(out.status.success(), "{}", stderr(&out));
    let svc = show(&ws, &srv, "bc_lr");
    assert_eq!(svc["state"], "Running");
    assert_eq!(svc["version"], 1);
    let token = svc["token"].as_str().unwrap().to_string();
    let (status, answers) = post_json(
        &srv.addr,
        "/api/predict/bc_lr",
        &token,
        &Value::Array(bc_rows(40)),
    );
    assert_eq!(status, 200, "{answers}");
    assert_answers_match_batch(&answers, &ws.path().join("out/eas_batch_scores.csv"));

    // Update under a bounded concurrent load: no request fails.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load: Vec<_> = (0..3)
        .map(|_| {
            let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
            let (addr, token) = (srv.addr.clone(), token.clone());
            let body = Value::Array(bc_rows(1));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (s, _) = post_json(&addr, "/api/predict/bc_lr", &token, &body);
                    if s == 200 { &ok } else { &failed }.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: train\n      component: logistic_regression\n      inputs: {{ data: read.output }}\n      params: {{ label_col: diagnosis, l2: 0.5 }}\n    - id: update\n      component: update_eas_service\n      inputs: {{ model: train.model }}\n      params: {{ eas_service_name: bc_lr, eas_service_description_json: '{{\"metadata\": {{\"instance\": 3}}}}' }}\n",
        repo().join("data/breast_cancer.csv").display()
    );
    let upd = ws.write("update.yaml", &manifest("refresh", &nodes));
    let out = run_with(&ws, &srv, &upd);
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(failed.load(Ordering::Relaxed), 0);
    assert!(ok.load(Ordering::Relaxed) > 10);
    let svc = show(&ws, &srv, "bc_lr");
    assert_eq!(svc["version"], 2);
    assert_eq!(svc["metadata"]["instance"], 3);
    assert_eq!(bill_class(&ws, "service_update")["requests"], 1);

    // A broken model: the node fails, version 2 keeps serving.
    std::fs::write(ws.path().join("broken.meta"), b"{ not a model").unwrap();
    let broken = format!(
        "    - id: update\n      component: update_eas_service\n      params: {{ eas_service_name: bc_lr, model_path: {} }}\n",
        ws.path().join("broken.meta").display()
    );
    let b = ws.write("broken.yaml", &manifest("broken", &broken));
    let err = fails_at_update(&ws, &srv, &b);
    assert!(err.contains("keeps serving"), "{err}");
    assert_eq!(show(&ws, &srv, "bc_lr")["version"], 2);
    let (status, _) = post_json(
        &srv.addr,
        "/api/predict/bc_lr",
        &token,
        &Value::Array(bc_rows(2)),
    );
    assert_eq!(status, 200);
    let su = bill_class(&ws, "service_update");
    assert_eq!(
        (su["requests"].as_u64(), su["failed"].as_u64()),
        (Some(1), Some(1))
    );

    // A stopped service is not updated; the error gives its state.
    let out = services(&ws, &srv, &["stop", "bc_lr"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = fails_at_update(&ws, &srv, &upd);
    assert!(err.contains("Stopped"), "{err}");
}

#[test]
fn tritonclient_round_trips_through_kserve_v2() {
    let python = std::env::var("PAI_TEST_TRITON_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = std::process::Command::new(&python)
        .args(["-c", "import tritonclient.http"])
        .output();
    let missing = (!probe.is_ok_and(|o| o.status.success()))
        .then(|| format!("`{python}` cannot import `tritonclient.http`"));
    if !pai_testkit::require(
        "kserve-tritonclient",
        missing,
        "`pip install 'tritonclient[http]==2.*'` in a virtual environment and set PAI_TEST_TRITON_PYTHON to its `python`",
    ) {
        return;
    }
    let ws = Ws::new();
    let srv = start(&ws);
    let svc = create(
        &ws,
        &srv,
        &json!({"name": "designer", "model_path": designer_pmml(), "processor": "pmml"}),
    );
    let token = svc["token"].as_str().unwrap();
    let fields = ["x1", "x2", "x3", "x4"];
    let meta = http(
        &srv.addr,
        "GET",
        "/v2/models/designer",
        &[("Authorization", token)],
        b"",
    );
    let meta: Value = serde_json::from_slice(&meta.2).unwrap();
    let names: Vec<String> = meta["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), fields.len());
    let rows: Vec<Value> = (0..7)
        .map(|i| {
            let mut m = serde_json::Map::new();
            for (j, n) in names.iter().enumerate() {
                m.insert(n.clone(), json!(0.1 * (i as f64) + 0.37 * (j as f64) - 0.5));
            }
            Value::Object(m)
        })
        .collect();
    let path = ws.write("rows.json", &Value::Array(rows.clone()).to_string());
    let out = std::process::Command::new(&python)
        .arg(repo().join("tests/triton_client.py"))
        .args([&srv.addr, "designer", token, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["live"], true);
    assert_eq!(got["ready"], true);
    assert_eq!(got["model_ready"], true);
    assert!(
        got["bad_token"].as_str().unwrap().contains("401")
            || got["bad_token"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("token"),
        "{}",
        got["bad_token"]
    );
    // The EAS-style API is the reference for the numbers.
    let (status, eas) = post_json(
        &srv.addr,
        "/api/predict/designer",
        token,
        &Value::Array(rows),
    );
    assert_eq!(status, 200);
    for mode in ["matrix", "named"] {
        for field in ["p_0", "p_1"] {
            let v2: Vec<f64> = got[mode][field]
                .as_array()
                .unwrap_or_else(|| panic!("{mode} {field}: {got}"))
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let reference: Vec<f64> = eas
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r[field].as_f64().unwrap())
                .collect();
            assert_eq!(v2, reference, "{mode} {field}");
        }
    }
}
