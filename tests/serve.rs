//! End-to-end tests of `pai-engine serve` through the real binary on
//! 127.0.0.1: PMML and native services answer what batch scoring writes,
//! every bad request gets its own 4xx (never a 500), updates under load
//! lose no request, rollbacks and broken updates keep a version serving,
//! and a KServe V2 round trip works without a Content-Type.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Ws, manifest, read_csv, repo, stderr};
use serde_json::{Value, json};

use common::server::*;

/// Rows of the designer model's inputs, and `pmml score`'s answers.
fn pmml_rows_and_expected(ws: &Ws) -> (Vec<Value>, Vec<(f64, f64)>) {
    let rows: Vec<[f64; 4]> = (0..12)
        .map(|i| {
            let x = i as f64;
            [0.3 + 0.07 * x, 0.1 * x, 1.0 - 0.05 * x, 0.2 + 0.03 * x]
        })
        .collect();
    let mut csv = String::from("pm10,so2,co,no2\n");
    for r in &rows {
        csv.push_str(&format!("{},{},{},{}\n", r[0], r[1], r[2], r[3]));
    }
    let input = ws.write("pmml_in.csv", &csv);
    let output = ws.path().join("pmml_out.csv");
    let out = ws.run(&[
        "pmml",
        "score",
        designer_pmml().to_str().unwrap(),
        "-i",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (header, lines) = read_csv(&output);
    let p1 = header.iter().position(|h| h == "p_1").unwrap();
    let p0 = header.iter().position(|h| h == "p_0").unwrap();
    let expected = lines
        .iter()
        .map(|l| (l[p0].parse().unwrap(), l[p1].parse().unwrap()))
        .collect();
    let body = rows
        .iter()
        .map(|r| json!({"pm10": r[0], "so2": r[1], "co": r[2], "no2": r[3]}))
        .collect();
    (body, expected)
}

#[test]
fn pmml_service_answers_like_pmml_score_and_v2_round_trips() {
    let ws = Ws::new();
    let srv = start(&ws);
    let token_file = ws.state().join("admin_token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let s = create(
        &ws,
        &srv,
        &json!({"name": "lr_pmml", "model_path": designer_pmml(), "processor": "pmml", "metadata": {"instance": 2, "cpu": 1, "memory": 1000}}),
    );
    assert_eq!(s["state"], "Running");
    assert_eq!(s["version"], 1);
    let token = s["token"].as_str().unwrap().to_string();
    assert!(
        s["endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/api/predict/lr_pmml")
    );

    let (rows, expected) = pmml_rows_and_expected(&ws);
    let (status, answer) = post_json(
        &srv.addr,
        "/api/predict/lr_pmml",
        &token,
        &Value::Array(rows.clone()),
    );
    assert_eq!(status, 200, "{answer}");
    let answer = answer.as_array().unwrap();
    assert_eq!(answer.len(), expected.len());
    for (a, (p0, p1)) in answer.iter().zip(&expected) {
        assert_eq!(a.as_object().unwrap().len(), 2, "{a}");
        assert_eq!(a["p_0"].as_f64().unwrap(), *p0);
        assert_eq!(a["p_1"].as_f64().unwrap(), *p1);
    }

    // KServe V2: named [N] inputs, raw HTTP with no Content-Type header.
    let names = ["pm10", "so2", "co", "no2"];
    let inputs: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "shape": [rows.len()], "datatype": "FP64", "data": rows.iter().map(|r| r[n].clone()).collect::<Vec<_>>()}))
        .collect();
    let req = json!({"id": "r1", "inputs": inputs, "outputs": [{"name": "p_1"}]});
    let (st, head, body) = http(
        &srv.addr,
        "POST",
        "/v2/models/lr_pmml/infer",
        &[("Authorization", &token)],
        req.to_string().as_bytes(),
    );
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("inference-header-content-length")
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["model_name"], "lr_pmml");
    assert_eq!(v["id"], "r1");
    assert_eq!(v["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(v["outputs"][0]["datatype"], "FP64");
    for (got, (_, p1)) in v["outputs"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&expected)
    {
        assert_eq!(got.as_f64().unwrap(), *p1);
    }
    // One [N, F] FP64 tensor, binary in and out (tritonclient's default).
    let mut raw = Vec::new();
    for r in &rows {
        for n in names {
            raw.extend_from_slice(&r[n].as_f64().unwrap().to_le_bytes());
        }
    }
    let head_json = json!({"inputs": [{"name": "x", "shape": [rows.len(), 4], "datatype": "FP64", "parameters": {"binary_data_size": raw.len()}}], "parameters": {"binary_data_output": true}}).to_string();
    let mut body = head_json.clone().into_bytes();
    body.extend_from_slice(&raw);
    let len = head_json.len().to_string();
    let (st, head, resp) = http(
        &srv.addr,
        "POST",
        "/v2/models/lr_pmml/versions/1/infer",
        &[
            ("Authorization", &token),
            ("Inference-Header-Content-Length", &len),
        ],
        &body,
    );
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&resp));
    let json_len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("inference-header-content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    let meta: Value = serde_json::from_slice(&resp[..json_len]).unwrap();
    assert_eq!(meta["outputs"][0]["name"], "p_1");
    let p1: Vec<f64> = resp[json_len..json_len + 8 * rows.len()]
        .chunks(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(p1, expected.iter().map(|e| e.1).collect::<Vec<_>>());
    // Metadata, readiness, server endpoints.
    let (st, _, b) = http(
        &srv.addr,
        "GET",
        "/v2/models/lr_pmml",
        &[("Authorization", &token)],
        b"",
    );
    assert_eq!(st, 200);
    let m: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(m["platform"], "pmml");
    assert_eq!(m["inputs"].as_array().unwrap().len(), 4);
    assert_eq!(m["outputs"][0]["datatype"], "FP64");
    assert_eq!(
        http(
            &srv.addr,
            "GET",
            "/v2/models/lr_pmml/ready",
            &[("Authorization", &token)],
            b""
        )
        .0,
        200
    );
    assert_eq!(http(&srv.addr, "GET", "/v2/health/live", &[], b"").0, 200);
    assert_eq!(http(&srv.addr, "GET", "/v2/health/ready", &[], b"").0, 200);
    assert_eq!(http(&srv.addr, "GET", "/v2", &[], b"").0, 200);
    let (st, _, b) = http(&srv.addr, "GET", "/openapi.json", &[], b"");
    assert_eq!(st, 200);
    let doc: Value = serde_json::from_slice(&b).unwrap();
    assert!(doc["paths"]["/api/v2/services/{name}/version"]["put"].is_object());
    let (_, _, b) = http(&srv.addr, "GET", "/metrics", &[], b"");
    let text = String::from_utf8(b).unwrap();
    assert!(
        text.contains("pai_serve_requests_total{service=\"lr_pmml\",version=\"1\"} 3"),
        "{text}"
    );
    assert!(text.contains("pai_serve_service_state{service=\"lr_pmml\",state=\"Running\"} 1"));
    assert!(text.contains(
        "pai_serve_request_duration_seconds_bucket{service=\"lr_pmml\",version=\"1\",le=\"+Inf\"} 3"
    ));

    // eas_defaults fills a missing field with 0.
    let spec = json!({"name": "lr_defaults", "model_path": designer_pmml(), "processor": "pmml", "missing_values": "eas_defaults"});
    let t2 = create(&ws, &srv, &spec)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, a) = post_json(
        &srv.addr,
        "/api/predict/lr_defaults",
        &t2,
        &json!([{"pm10": 0.5, "so2": 0.1, "co": 0.2}]),
    );
    let (_, b) = post_json(
        &srv.addr,
        "/api/predict/lr_defaults",
        &t2,
        &json!([{"pm10": 0.5, "so2": 0.1, "co": 0.2, "no2": 0}]),
    );
    assert_eq!(a, b);
    assert!(a[0]["p_1"].is_number(), "{a}");
}

#[test]
fn bad_requests_get_their_own_4xx_and_never_500() {
    let ws = Ws::new();
    let srv = start(&ws);
    let admin = std::fs::read_to_string(ws.state().join("admin_token")).unwrap();
    let bearer = format!("Bearer {}", admin.trim());
    let s = create(
        &ws,
        &srv,
        &json!({"name": "m", "model_path": designer_pmml(), "processor": "pmml", "token": "secret-token"}),
    );
    assert_eq!(s["token"], "secret-token");
    let tok = [("Authorization", "secret-token")];
    let a = &srv.addr;
    let cases: Vec<(u16, Reply)> = vec![
        (400, http(a, "POST", "/api/predict/m", &tok, b"[{\"pm10\": 1")),
        (400, http(a, "POST", "/api/predict/m", &tok, b"{\"pm10\": 1}")),
        (400, http(a, "POST", "/api/predict/m", &tok, b"[{\"pm10\": \"high\"}]")),
        (400, http(a, "POST", "/api/predict/m", &tok, b"[1, 2]")),
        (400, http(a, "POST", "/api/predict/m", &tok, &[0xff, 0xfe, 0x00])),
        (401, http(a, "POST", "/api/predict/m", &[("Authorization", "wrong")], b"[]")),
        (401, http(a, "POST", "/api/predict/m", &[], b"[]")),
        (404, http(a, "POST", "/api/predict/nope", &tok, b"[]")),
        (413, http(a, "POST", "/api/predict/m", &tok, &vec![b' '; 200_000])),
        (400, http(a, "POST", "/v2/models/m/infer", &tok, br#"{"inputs": [{"name": "pm10", "shape": [2, 3], "datatype": "FP64", "data": [1,2,3,4,5,6]}]}"#)),
        (400, http(a, "POST", "/v2/models/m/infer", &tok, br#"{"inputs": [{"name": "pm10", "shape": [3], "datatype": "FP64", "data": [1,2]}]}"#)),
        (400, http(a, "POST", "/v2/models/m/infer", &tok, br#"{"inputs": [{"name": "zz", "shape": [1], "datatype": "FP64", "data": [1]}]}"#)),
        (400, http(a, "POST", "/v2/models/m/infer", &tok, br#"{"inputs": [{"name": "pm10", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}"#)),
        (400, http(a, "POST", "/v2/models/m/infer", &tok, b"not json")),
        (404, http(a, "POST", "/v2/models/m/versions/9/infer", &tok, br#"{"inputs": []}"#)),
        (404, http(a, "GET", "/v2/models/nope", &tok, b"")),
        (401, http(a, "GET", "/v2/models/m", &[], b"")),
        (401, http(a, "GET", "/api/v2/services", &[], b"")),
        (401, http(a, "GET", "/api/v2/services", &[("Authorization", "Bearer nope")], b"")),
        (404, http(a, "GET", "/api/v2/services/nope", &[("Authorization", &bearer)], b"")),
        (400, http(a, "POST", "/api/v2/services", &[("Authorization", &bearer)], b"{\"name\": \"x\"}")),
        (400, http(a, "POST", "/api/v2/services", &[("Authorization", &bearer)], br#"{"name": "Bad Name", "model_path": "a", "processor": "pmml"}"#)),
        (409, http(a, "POST", "/api/v2/services", &[("Authorization", &bearer)], json!({"name": "m", "model_path": designer_pmml(), "processor": "pmml"}).to_string().as_bytes())),
        (404, http(a, "PUT", "/api/v2/services/m/version", &[("Authorization", &bearer)], b"{\"version\": 7}")),
        (409, http(a, "PUT", "/api/v2/services/m/version", &[("Authorization", &bearer)], b"")),
        (400, http(a, "PUT", "/api/v2/services/m", &[("Authorization", &bearer)], b"{\"token\": \"x\"}")),
        (404, http(a, "GET", "/no/such/route", &[], b"")),
    ];
    for (i, (want, (got, _, body))) in cases.iter().enumerate() {
        let body = String::from_utf8_lossy(body);
        assert_eq!(got, want, "case {i}: {body}");
        let v: Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("case {i}: not JSON: {body}"));
        assert!(!v["error"].as_str().unwrap().is_empty(), "case {i}");
    }
    // Stopped: predictions 503, updates 409 naming the state; start again.
    assert!(services(&ws, &srv, &["stop", "m"]).status.success());
    assert_eq!(http(a, "POST", "/api/predict/m", &tok, b"[]").0, 503);
    let patch = ws.write(
        "patch.json",
        &json!({"model_path": designer_pmml()}).to_string(),
    );
    let out = services(
        &ws,
        &srv,
        &["update", "m", "--json", patch.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is Stopped"), "{}", stderr(&out));
    assert!(services(&ws, &srv, &["start", "m"]).status.success());
    assert_eq!(http(a, "POST", "/api/predict/m", &tok, b"[]").0, 200);
    assert!(services(&ws, &srv, &["delete", "m"]).status.success());
    assert_eq!(http(a, "POST", "/api/predict/m", &tok, b"[]").0, 404);
}

#[test]
fn updates_under_load_rollback_and_broken_updates() {
    let ws = Ws::new();
    let srv = start(&ws);
    let s = create(
        &ws,
        &srv,
        &json!({"name": "hot", "model_path": designer_pmml(), "processor": "pmml"}),
    );
    let token = s["token"].as_str().unwrap().to_string();
    let v2_text = std::fs::read_to_string(designer_pmml())
        .unwrap()
        .replace("intercept=\"-16.89823252736313\"", "intercept=\"-6.0\"");
    let v2_path = ws.write("v2.pmml", &v2_text);
    let row = json!([{"pm10": 0.5, "so2": 0.1, "co": 0.2, "no2": 0.3}]);
    let p1 = |addr: &str| {
        post_json(addr, "/api/predict/hot", &token, &row).1[0]["p_1"]
            .as_f64()
            .unwrap()
    };
    let before = p1(&srv.addr);

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, ok, failed, addr, token, row) = (
                stop.clone(),
                ok.clone(),
                failed.clone(),
                srv.addr.clone(),
                token.clone(),
                row.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match post_json(&addr, "/api/predict/hot", &token, &row).0 {
                        200 => ok.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let patch = ws.write("patch.json", &json!({"model_path": v2_path}).to_string());
    let out = services(
        &ws,
        &srv,
        &["update", "hot", "--json", patch.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(failed.load(Ordering::Relaxed), 0);
    assert!(
        ok.load(Ordering::Relaxed) > 20,
        "{}",
        ok.load(Ordering::Relaxed)
    );
    let s = show(&ws, &srv, "hot");
    assert_eq!(
        (s["version"].as_u64(), s["state"].as_str()),
        (Some(2), Some("Running"))
    );
    let after = p1(&srv.addr);
    assert_ne!(before, after);

    // A broken model: the update fails with the reason, version 2 keeps serving.
    let bad = ws.write("bad.pmml", "<PMML version=\"4.2\"><Data");
    let patch = ws.write("bad.json", &json!({"model_path": bad}).to_string());
    let out = services(
        &ws,
        &srv,
        &["update", "hot", "--json", patch.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("version 2 keeps serving") && stderr(&out).contains("422"),
        "{}",
        stderr(&out)
    );
    let s = show(&ws, &srv, "hot");
    assert_eq!(
        (s["version"].as_u64(), s["state"].as_str()),
        (Some(2), Some("Running"))
    );
    assert_eq!(p1(&srv.addr), after);

    // Rollback to the previous version re-points to version 1.
    let out = services(&ws, &srv, &["rollback", "hot"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = show(&ws, &srv, "hot");
    assert_eq!(
        (s["version"].as_u64(), s["latest_version"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(p1(&srv.addr), before);
    assert!(
        services(&ws, &srv, &["rollback", "hot", "--to", "2"])
            .status
            .success()
    );
    assert_eq!(p1(&srv.addr), after);

    // A service created with a broken model turns Failed with its reason.
    let out = services(
        &ws,
        &srv,
        &[
            "create",
            "--json",
            ws.write(
                "f.json",
                &json!({"name": "broken", "model_path": bad, "processor": "pmml"}).to_string(),
            )
            .to_str()
            .unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("failed"), "{}", stderr(&out));
    let s = show(&ws, &srv, "broken");
    assert_eq!(s["state"], "Failed");
    assert!(s["reason"].as_str().unwrap().contains("bad.pmml"));
    let list = services(&ws, &srv, &["list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("hot") && text.contains("Failed"), "{text}");
}

#[test]
fn native_service_answers_like_batch_predict() {
    let ws = Ws::new();
    let bc = repo().join("data/breast_cancer.csv");
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: train\n      component: logistic_regression\n      inputs: {{ data: read.output }}\n      params: {{ label_col: diagnosis, output_model_name: bc_lr }}\n    - id: score\n      component: predict\n      inputs: {{ model: train.model, data: read.output }}\n      params: {{ reserved_cols: [] }}\n    - id: save\n      component: write_table\n      inputs: {{ data: score.output }}\n      params: {{ path: scores.csv, overwrite: true }}\n",
        bc.display()
    );
    let m = ws.write("train.yaml", &manifest("train-bc", &nodes));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let srv = start(&ws);
    let s = create(
        &ws,
        &srv,
        &json!({"name": "bc", "model_path": "offline-model://default/bc_lr", "processor": "pai-pipeline"}),
    );
    assert_eq!(s["state"], "Running");
    let token = s["token"].as_str().unwrap().to_string();

    let rows = bc_rows(40);
    let t = Instant::now();
    let (status, answer) = post_json(&srv.addr, "/api/predict/bc", &token, &Value::Array(rows));
    assert_eq!(status, 200, "{answer}");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_answers_match_batch(&answer, &ws.path().join("scores.csv"));
    assert_eq!(answer.as_array().unwrap().len(), 40);
    // A missing field is a null, as batch predict reads it.
    let (status, e) = post_json(
        &srv.addr,
        "/api/predict/bc",
        &token,
        &json!([{"mean_radius": 14.0}]),
    );
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("`mean_texture`"),
        "{e}"
    );
}

#[test]
fn scaler_and_lr_pipeline_model_from_oss_answers_like_batch_predict() {
    let ws = Ws::new();
    let bc = repo().join("data/breast_cancer.csv");
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: scale\n      component: standard_scaler\n      inputs: {{ data: read.output }}\n      params: {{ selected_cols: [mean_radius, mean_texture, mean_perimeter, mean_area, worst_radius, worst_texture] }}\n    - id: train\n      component: logistic_regression\n      inputs: {{ data: scale.output }}\n      params: {{ label_col: diagnosis, feature_cols: [mean_radius, mean_texture, mean_perimeter, mean_area, worst_radius, worst_texture] }}\n    - id: pm\n      component: make_pipeline_model\n      inputs: {{ model1: scale.model, model2: train.model }}\n      params: {{ oss_dir: \"oss://models/pm/\", file_name: bc_pm }}\n    - id: score\n      component: predict\n      inputs: {{ model: pm.model, data: read.output }}\n      params: {{ reserved_cols: [] }}\n    - id: save\n      component: write_table\n      inputs: {{ data: score.output }}\n      params: {{ path: scores.csv, overwrite: true }}\n",
        bc.display()
    );
    let m = ws.write("pm.yaml", &manifest("pm-bc", &nodes));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let srv = start(&ws);
    let s = create(
        &ws,
        &srv,
        &json!({"name": "bc_pm", "model_path": "oss://models/pm/bc_pm.meta", "processor": "pai-pipeline"}),
    );
    assert_eq!(s["state"], "Running", "{s}");
    let token = s["token"].as_str().unwrap().to_string();
    let rows = bc_rows(30);
    let (status, answer) = post_json(&srv.addr, "/api/predict/bc_pm", &token, &Value::Array(rows));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer.as_array().unwrap().len(), 30);
    assert_answers_match_batch(&answer, &ws.path().join("scores.csv"));
}

/// The sample description the README shows creates a running service,
/// which answers the sample request; a missing service's error names the
/// command that lists them.
#[test]
fn the_readme_sample_service_runs_and_answers() {
    let ws = Ws::new();
    let srv = start(&ws);
    let sample = repo().join("data/services/air_quality_lr.json");
    let out = services(&ws, &srv, &["create", "--json", sample.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = show(&ws, &srv, "air_quality_lr");
    assert_eq!(s["state"], "Running");
    let body: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("data/requests/air_quality_one.json")).unwrap(),
    )
    .unwrap();
    let (status, answer) = post_json(
        &srv.addr,
        "/api/predict/air_quality_lr",
        s["token"].as_str().unwrap(),
        &body,
    );
    assert_eq!(status, 200, "{answer}");
    let p0 = answer[0]["p_0"].as_f64().unwrap();
    let p1 = answer[0]["p_1"].as_f64().unwrap();
    assert!((p0 + p1 - 1.0).abs() < 1e-9, "{answer}");

    let missing = services(&ws, &srv, &["show", "nosuch"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing)
            .contains("`pai-engine services list` (`GET /api/v2/services`) lists the services"),
        "{}",
        stderr(&missing)
    );
    let again = services(&ws, &srv, &["create", "--json", sample.to_str().unwrap()]);
    assert!(
        stderr(&again).contains("`pai-engine services update air_quality_lr --json FILE`"),
        "{}",
        stderr(&again)
    );
}
