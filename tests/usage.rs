//! End-to-end tests of usage metering through the binary: the free tier,
//! billing months in the configured timezone, concurrent runs, failed
//! requests, the budget, `--dry-run` against the later bill, and
//! `--resume` counting each request once.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Ws, manifest, repo, run_id, stderr};

/// Registers `dev/m` (a logistic regression on iris).
fn train(ws: &Ws) {
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: train\n      component: logistic_regression\n      inputs: {{ data: read.output }}\n      params: {{ label_col: species, output_model_name: m }}\n",
        repo().join("data/iris.csv").display()
    );
    let m = ws.write("train.yaml", &manifest("train", &nodes));
    ok(ws, &["run", "-q", m.to_str().unwrap()]);
}

/// A manifest of one read of `dev/m` (`src`) feeding `copies` copy
/// nodes, and `reads` more reads: `1 + copies + reads` metered requests.
fn metered(ws: &Ws, name: &str, copies: usize, reads: usize) -> String {
    let mut nodes = String::from(
        "    - id: src\n      component: read_offline_model\n      params: { model_name: m }\n",
    );
    for i in 0..copies {
        nodes.push_str(&format!(
            "    - id: copy{i}\n      component: copy_offline_model\n      inputs: {{ model: src.model }}\n      params: {{ target_model_name: c{i}, overwrite: true }}\n"
        ));
    }
    for i in 0..reads {
        nodes.push_str(&format!(
            "    - id: read{i}\n      component: read_offline_model\n      params: {{ model_name: m }}\n"
        ));
    }
    let text = manifest(name, &nodes).replace("spec:\n", "spec:\n  parallelism: 4\n");
    let p = ws.write(&format!("{name}.yaml"), &text);
    p.to_str().unwrap().to_string()
}

fn ok(ws: &Ws, args: &[&str]) -> std::process::Output {
    let out = ws.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

fn bill(ws: &Ws, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["usage", "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_slice(&ok(ws, &args).stdout).unwrap()
}

fn class<'a>(bill: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    bill["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == name)
        .unwrap()
}

#[test]
fn free_tier_then_billing_is_exact() {
    let ws = Ws::new();
    train(&ws);
    let m = metered(&ws, "copies", 74, 0);
    ok(&ws, &["run", "-q", &m]);
    ok(&ws, &["run", "-q", &m]);
    let b = bill(&ws, &[]);
    let om = class(&b, "offline_model");
    assert_eq!(om["requests"], 150);
    assert_eq!(om["free"], 100);
    assert_eq!(om["billable"], 50);
    assert_eq!(om["cost"], "0.100");
    assert_eq!(b["total"], "0.100");
    assert_eq!(b["currency"], "CNY");
    // CSV and the table say the same.
    let csv = String::from_utf8(ok(&ws, &["usage", "--format", "csv"]).stdout).unwrap();
    assert!(
        csv.contains(",offline_model,150,100,50,0,0.001,0.001,0.100,CNY"),
        "{csv}"
    );
    let table = String::from_utf8(ok(&ws, &["usage"]).stdout).unwrap();
    assert!(table.contains("total: 0.100 CNY"), "{table}");
}

#[test]
fn months_split_at_midnight_in_the_billing_timezone() {
    let ws = Ws::new();
    ws.write(
        "pai-engine.toml",
        "[billing]\ntimezone = \"Asia/Shanghai\"\n",
    );
    train(&ws);
    for (now, target) in [
        ("2026-01-31T23:59:59+08:00", "jan"),
        ("2026-02-01T00:00:00+08:00", "feb"),
    ] {
        let out = ws
            .cmd(&["models", "copy", "m", target])
            .env("PAI_NOW", now)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let jan = bill(&ws, &["--month", "2026-01"]);
    let feb = bill(&ws, &["--month", "2026-02"]);
    assert_eq!(class(&jan, "offline_model")["requests"], 1);
    assert_eq!(class(&feb, "offline_model")["requests"], 1);
    assert_eq!(jan["month"], "2026-01");
}

#[test]
fn concurrent_runs_lose_no_entries() {
    let ws = Ws::new();
    train(&ws);
    let m = metered(&ws, "sixty", 29, 30);
    let a = ws.cmd(&["run", "-q", &m]).spawn().unwrap();
    let b = ws.cmd(&["run", "-q", &m]).spawn().unwrap();
    for mut child in [a, b] {
        assert!(child.wait().unwrap().success());
    }
    let om = bill(&ws, &[]);
    assert_eq!(class(&om, "offline_model")["requests"], 120);
    assert_eq!(class(&om, "offline_model")["failed"], 0);
}

#[test]
fn a_failed_export_is_recorded_and_not_billed() {
    let ws = Ws::new();
    ws.write(
        "pai-engine.toml",
        "[billing.prices.offline_model]\nfree_per_month = 0\n",
    );
    train(&ws);
    ok(&ws, &["models", "export", "m", "--to", "oss://bkt/x/"]);
    // The same export again collides with the existing objects.
    let out = ws.run(&["models", "export", "m", "--to", "oss://bkt/x/"]);
    assert_eq!(out.status.code(), Some(1));
    let b = bill(&ws, &[]);
    let om = class(&b, "offline_model");
    assert_eq!(om["requests"], 1);
    assert_eq!(om["failed"], 1);
    assert_eq!(om["billable"], 1);
    assert_eq!(om["cost"], "0.002");
}

#[test]
fn the_budget_refuses_before_anything_is_done() {
    let ws = Ws::new();
    ws.write(
        "pai-engine.toml",
        "[billing.prices.offline_model]\nfree_per_month = 1\n\n[budget]\nmonthly_limit = \"0.002\"\n",
    );
    train(&ws);
    ok(&ws, &["models", "copy", "m", "a"]); // free
    ok(&ws, &["models", "copy", "m", "b"]); // 0.002: at the limit
    let out = ws.run(&["models", "copy", "m", "c"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("budget exceeded"), "{err}");
    assert!(err.contains("0.004"), "{err}");
    // Nothing was done: no model `c`, and no entry for the refusal.
    let out = ws.run(&["models", "show", "c"]);
    assert!(!out.status.success());
    let b = bill(&ws, &[]);
    assert_eq!(class(&b, "offline_model")["requests"], 2);
    assert_eq!(class(&b, "offline_model")["failed"], 0);
    assert_eq!(b["total"], "0.002");
    // A pipeline node is refused the same way, before it runs.
    let m = metered(&ws, "one", 0, 0);
    let out = ws.run(&["run", "-q", &m]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(class(&bill(&ws, &[]), "offline_model")["requests"], 2);
}

#[test]
fn dry_run_estimate_equals_the_later_bill() {
    let ws = Ws::new();
    ws.write(
        "pai-engine.toml",
        "[billing.prices.offline_model]\nfree_per_month = 3\n",
    );
    train(&ws);
    let m = metered(&ws, "plan", 3, 2);
    let plan = String::from_utf8(ok(&ws, &["run", "--dry-run", &m]).stdout).unwrap();
    let estimate = plan
        .lines()
        .find_map(|l| l.strip_prefix("estimated cost: "))
        .unwrap()
        .trim_end_matches(" CNY")
        .to_string();
    assert_eq!(estimate, "0.006");
    // The dry run changed nothing.
    assert_eq!(class(&bill(&ws, &[]), "offline_model")["requests"], 0);
    ok(&ws, &["run", "-q", &m]);
    assert_eq!(bill(&ws, &[])["total"], estimate);
}

#[test]
fn resume_counts_each_request_once() {
    let ws = Ws::new();
    ws.write("pai-engine.toml", "[buckets.locked]\nrequire_role = true\n");
    train(&ws);
    let nodes = "    - id: src\n      component: read_offline_model\n      params: { model_name: m }\n    - id: copy\n      component: copy_offline_model\n      inputs: { model: src.model }\n      params: { target_model_name: c, overwrite: true }\n    - id: export\n      component: model_export\n      inputs: { model: copy.model }\n      params: { oss_target_path: \"oss://locked/x/\" }\n";
    let m = ws.write("resume.yaml", &manifest("resume", nodes));
    let first = ws.run(&["run", m.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(1));
    let id = run_id(&first);
    let again = ws.run(&["run", "-q", "--resume", &id]);
    assert_eq!(again.status.code(), Some(1));
    let b = bill(&ws, &[]);
    let om = class(&b, "offline_model");
    // One read and one copy (reused on resume), two failed exports.
    assert_eq!(om["requests"], 2);
    assert_eq!(om["failed"], 2);
}

#[test]
fn a_lorenz_curve_run_is_one_request() {
    let ws = Ws::new();
    let src = std::fs::read_to_string(repo().join("pipelines/lorenz_inequality.yaml")).unwrap();
    let text = src
        .replace("../data/", &format!("{}/", repo().join("data").display()))
        .replace("../out/", "out/");
    let m = ws.write("lorenz.yaml", &text);
    ok(&ws, &["run", "-q", m.to_str().unwrap()]);
    let b = bill(&ws, &[]);
    let lorenz_nodes = src.matches("component: lorenz_curve").count();
    assert_eq!(class(&b, "lorenz_curve")["requests"], lorenz_nodes as u64);
}

#[test]
fn a_crash_leaves_an_entry_if_and_only_if_the_effect_committed() {
    let ws = Ws::new();
    train(&ws);
    // Killed after the files are placed, before the version commits: no
    // model, no entry.
    common::kill_at(&ws, "model:placed", &["models", "copy", "m", "x"]);
    assert!(!ws.run(&["models", "show", "x"]).status.success());
    let om = class(&bill(&ws, &[]), "offline_model").clone();
    assert_eq!(
        (om["requests"].as_u64(), om["failed"].as_u64()),
        (Some(0), Some(0))
    );
    // Killed midway through an export: the next command rolls it back, and
    // nothing is billed.
    common::kill_at(
        &ws,
        "export:partial",
        &["models", "export", "m", "--to", "oss://bkt/y/"],
    );
    let listing = ws.run(&["oss", "ls", "oss://bkt/y/"]);
    assert!(
        String::from_utf8_lossy(&listing.stdout)
            .trim()
            .lines()
            .count()
            <= 1
    );
    assert_eq!(class(&bill(&ws, &[]), "offline_model")["requests"], 0);
    // Committed effects are counted.
    ok(&ws, &["models", "copy", "m", "x"]);
    ok(&ws, &["models", "export", "m", "--to", "oss://bkt/y/"]);
    assert_eq!(class(&bill(&ws, &[]), "offline_model")["requests"], 2);
}
