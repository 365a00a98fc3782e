//! End-to-end tests of the `lorenz_curve` component through the binary:
//! closed forms, a direct O(n²) computation, weights, spilling, and every
//! edge case.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Ws, manifest, run_id, stderr};

/// One curve point: field, index, population share, value share.
type Point = (String, i64, f64, f64);

/// Runs read_table → lorenz_curve (with `params`) → write_table on `csv`;
/// returns the run's `show` document and the curve rows.
fn lorenz(ws: &Ws, csv: &str, params: &str) -> (serde_json::Value, Vec<Point>, bool) {
    ws.write("data.csv", csv);
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: data.csv }}\n    - id: lorenz\n      component: lorenz_curve\n      inputs: {{ data: read.output }}\n      params: {params}\n    - id: save\n      component: write_table\n      inputs: {{ data: lorenz.output }}\n      params: {{ path: curve.csv, overwrite: true }}\n"
    );
    let m = ws.write("p.yaml", &manifest("lorenz-test", &nodes));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    let show = ws.show(&run_id(&out));
    let ok = out.status.success();
    let rows = if ok {
        std::fs::read_to_string(ws.path().join("curve.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                (
                    c[0].to_string(),
                    c[1].parse().unwrap(),
                    c[2].parse().unwrap(),
                    c[3].parse().unwrap(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    (show, rows, ok)
}

fn metrics<'a>(show: &'a serde_json::Value, field: &str) -> &'a serde_json::Value {
    &Ws::node(show, "lorenz")["metrics"]["fields"][field]
}

fn gini(show: &serde_json::Value, field: &str) -> f64 {
    metrics(show, field)["gini"].as_f64().unwrap()
}

fn column(name: &str, values: &[String]) -> String {
    let mut s = format!("{name}\n");
    for v in values {
        s.push_str(v);
        s.push('\n');
    }
    s
}

fn splitmix(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// The Gini by its definition: the mean absolute difference over twice the mean.
fn gini_by_definition(x: &[f64], w: &[f64]) -> f64 {
    let (mut num, mut tw, mut s) = (0.0, 0.0, 0.0);
    for i in 0..x.len() {
        tw += w[i];
        s += w[i] * x[i];
        for j in 0..x.len() {
            num += w[i] * w[j] * (x[i] - x[j]).abs();
        }
    }
    num / (2.0 * tw * s)
}

#[test]
fn documentation_sample_gives_four_elevenths() {
    let ws = Ws::new();
    let values: Vec<String> = (0..=10).map(|i| i.to_string()).collect();
    let (show, rows, ok) = lorenz(
        &ws,
        &column("income", &values),
        "{ select_fields: [income] }",
    );
    assert!(ok);
    assert!((gini(&show, "income") - 4.0 / 11.0).abs() < 1e-12);
    let m = metrics(&show, "income");
    assert_eq!(
        (m["count"].as_u64(), m["sum"].as_f64(), m["mean"].as_f64()),
        (Some(11), Some(55.0), Some(5.0))
    );
    // quantile + 1 points from (0,0) to (1,1), each the exact Lorenz value
    assert_eq!(rows.len(), 101);
    assert_eq!((rows[0].2, rows[0].3), (0.0, 0.0));
    assert_eq!((rows[100].2, rows[100].3), (1.0, 1.0));
    // at p = 0.5: pW = 5.5 lies on the piece of value 5 (W from 5 to 6), S_5 = 0+1+2+3+4 = 10
    assert_eq!(rows[50].1, 50);
    assert!((rows[50].3 - (10.0 + 0.5 * 5.0) / 55.0).abs() < 1e-12);
    // the plot is an artifact that `runs show` points to
    let plot = Ws::node(&show, "lorenz")["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["port"] == "plot")
        .unwrap()
        .clone();
    let svg = std::fs::read_to_string(plot["path"].as_str().unwrap()).unwrap();
    assert!(svg.contains("income (Gini 0.3636)"), "{svg}");
    let text = String::from_utf8(
        ws.run(&["runs", "show", show["run"]["id"].as_str().unwrap()])
            .stdout,
    )
    .unwrap();
    assert!(text.contains("lorenz.svg"), "{text}");
}

#[test]
fn closed_forms_constant_and_single_nonzero() {
    let ws = Ws::new();
    let n = 37;
    let csv: String = std::iter::once("c,one\n".to_string())
        .chain((0..n).map(|i| format!("4.5,{}\n", if i == 17 { 3 } else { 0 })))
        .collect();
    let (show, _, ok) = lorenz(&ws, &csv, "{ select_fields: [c, one] }");
    assert!(ok);
    assert!(gini(&show, "c").abs() < 1e-12);
    assert!((gini(&show, "one") - (n as f64 - 1.0) / n as f64).abs() < 1e-12);
}

#[test]
fn random_data_matches_the_mean_absolute_difference() {
    let ws = Ws::new();
    let mut state = 42u64;
    let x: Vec<f64> = (0..700)
        .map(|_| (splitmix(&mut state) * 1000.0).powi(2))
        .collect();
    let values: Vec<String> = x.iter().map(|v| format!("{v:?}")).collect();
    let (show, _, ok) = lorenz(
        &ws,
        &column("v", &values),
        "{ select_fields: [v], quantile: 10 }",
    );
    assert!(ok);
    let want = gini_by_definition(&x, &vec![1.0; x.len()]);
    assert!(
        (gini(&show, "v") - want).abs() <= 1e-12 * want,
        "{} vs {want}",
        gini(&show, "v")
    );
}

#[test]
fn frequency_weights_equal_repeated_rows() {
    let ws = Ws::new();
    let mut state = 7u64;
    let mut weighted = String::from("v,w\n");
    let mut repeated = String::from("v,w\n");
    for _ in 0..60 {
        let v = (splitmix(&mut state) * 100.0).round();
        let w = (splitmix(&mut state) * 4.0) as u32;
        weighted.push_str(&format!("{v},{w}\n"));
        for _ in 0..w {
            repeated.push_str(&format!("{v},1\n"));
        }
    }
    let (a, ra, ok_a) = lorenz(
        &ws,
        &weighted,
        "{ select_fields: [v], weight_field: w, quantile: 20 }",
    );
    let ws2 = Ws::new();
    let (b, rb, ok_b) = lorenz(&ws2, &repeated, "{ select_fields: [v], quantile: 20 }");
    assert!(ok_a && ok_b);
    assert!((gini(&a, "v") - gini(&b, "v")).abs() < 1e-12);
    for (p, q) in ra.iter().zip(&rb) {
        assert!((p.3 - q.3).abs() < 1e-12, "{p:?} vs {q:?}");
    }
}

#[test]
fn a_small_memory_budget_spills_and_gives_the_same_answer() {
    let mut state = 3u64;
    let values: Vec<String> = (0..300_000)
        .map(|_| format!("{:.6}", splitmix(&mut state) * 50.0))
        .collect();
    let csv = column("v", &values);
    let ws = Ws::new();
    let (small, rs, ok_s) = lorenz(
        &ws,
        &csv,
        "{ select_fields: [v], computing_cores: 1, memory_size_per_core_mb: 1 }",
    );
    let ws2 = Ws::new();
    let (big, rb, ok_b) = lorenz(
        &ws2,
        &csv,
        "{ select_fields: [v], computing_cores: 2, memory_size_per_core_mb: 512 }",
    );
    assert!(ok_s && ok_b);
    assert_eq!(gini(&small, "v"), gini(&big, "v"));
    assert_eq!(rs, rb);
    // spill files are gone
    let tmp = ws.state().join("tmp");
    assert_eq!(std::fs::read_dir(tmp).unwrap().count(), 0);
}

#[test]
fn nulls_and_nan_are_dropped_and_counted() {
    let ws = Ws::new();
    let (show, _, ok) = lorenz(
        &ws,
        "v,s\n1,a\n,b\nNaN,c\n2,d\n,e\n3,f\n",
        "{ select_fields: [v] }",
    );
    assert!(ok);
    let m = metrics(&show, "v");
    assert_eq!(
        (
            m["count"].as_u64(),
            m["nulls_dropped"].as_u64(),
            m["nan_dropped"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    // 1, 2, 3: G = 2·(1·1 + 2·2 + 3·3)/(3·6) − 4/3 = 2/9
    assert!((gini(&show, "v") - 2.0 / 9.0).abs() < 1e-12);
}

#[test]
fn negative_values_are_refused_unless_allowed() {
    let ws = Ws::new();
    let csv = "v\n3\n-1\n4\n";
    let (show, _, ok) = lorenz(&ws, csv, "{ select_fields: [v] }");
    assert!(!ok);
    let err = Ws::node(&show, "lorenz")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        err.contains("`v`") && err.contains("row 1") && err.contains("allow_negative"),
        "{err}"
    );
    let (show, _, ok) = lorenz(&ws, csv, "{ select_fields: [v], allow_negative: true }");
    assert!(ok);
    // sorted -1, 3, 4 (S = 6): G = Σ(2i − n − 1)x/(nS) = (−2·−1 + 0·3 + 2·4)/18 = 10/18
    assert!((gini(&show, "v") - 10.0 / 18.0).abs() < 1e-12);
}

#[test]
fn all_zero_column_gives_zero_and_a_warning() {
    let ws = Ws::new();
    let (show, rows, ok) = lorenz(&ws, "v\n0\n0\n0\n", "{ select_fields: [v], quantile: 4 }");
    assert!(ok);
    assert_eq!(gini(&show, "v"), 0.0);
    assert!(rows.iter().all(|r| (r.2 - r.3).abs() < 1e-15));
    let logs = String::from_utf8(
        ws.run(&[
            "runs",
            "logs",
            show["run"]["id"].as_str().unwrap(),
            "lorenz",
        ])
        .stdout,
    )
    .unwrap();
    assert!(
        logs.contains("warn") && logs.contains("every value is zero"),
        "{logs}"
    );
}

#[test]
fn single_row_fewer_rows_than_quantile_and_ties() {
    let ws = Ws::new();
    let (show, rows, ok) = lorenz(&ws, "v\n5\n", "{ select_fields: [v], quantile: 4 }");
    assert!(ok);
    assert_eq!(gini(&show, "v"), 0.0);
    assert_eq!(rows.len(), 5);
    // two rows 1 and 3, quantile 4: L(0.25) = 0.5·1/4, L(0.75) = (1 + 0.5·3)/4
    let (_, rows, ok) = lorenz(&ws, "v\n3\n1\n", "{ select_fields: [v], quantile: 4 }");
    assert!(ok);
    let want = [0.0, 0.125, 0.25, 0.625, 1.0];
    for (r, w) in rows.iter().zip(want) {
        assert!((r.3 - w).abs() < 1e-12, "{r:?} vs {w}");
    }
    // ties: the order of equal values does not matter
    let (a, ra, _) = lorenz(
        &ws,
        "v\n2\n2\n1\n2\n",
        "{ select_fields: [v], quantile: 8 }",
    );
    let (b, rb, _) = lorenz(
        &ws,
        "v\n1\n2\n2\n2\n",
        "{ select_fields: [v], quantile: 8 }",
    );
    assert_eq!(gini(&a, "v"), gini(&b, "v"));
    assert_eq!(ra, rb);
}

#[test]
fn empty_tables_and_non_numeric_columns_are_clear_errors() {
    let ws = Ws::new();
    let (show, _, ok) = lorenz(&ws, "v\n", "{ select_fields: [v] }");
    assert!(!ok);
    let err = Ws::node(&show, "lorenz")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(err.contains("empty"), "{err}");
    let (show, _, ok) = lorenz(&ws, "v,name\n1,a\n", "{ select_fields: [name] }");
    assert!(!ok);
    assert_eq!(
        Ws::node(&show, "lorenz")["error"],
        "`select_fields`: column `name` has type Utf8, not a numeric type; select numeric columns"
    );
    let (show, _, _) = lorenz(&ws, "v,name\n1,a\n", "{ select_fields: [vv] }");
    assert!(
        Ws::node(&show, "lorenz")["error"]
            .as_str()
            .unwrap()
            .contains("did you mean `v`?")
    );
}

#[test]
fn out_of_range_params_are_validation_errors() {
    let ws = Ws::new();
    ws.write("data.csv", "v\n1\n");
    let nodes = "    - id: read\n      component: read_table\n      params: { path: data.csv }\n    - id: lorenz\n      component: lorenz_curve\n      inputs: { data: read.output }\n      params: { select_fields: [v], quantile: 0, computing_cores: 0 }\n    - id: save\n      component: write_table\n      inputs: { data: lorenz.metrics }\n      params: { path: out.csv }\n";
    let m = ws.write("p.yaml", &manifest("lorenz-bad", nodes));
    let out = ws.run(&["validate", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("13:47: node `lorenz`: `params.quantile`: 0 is less than the minimum of 1"),
        "{err}"
    );
    assert!(
        err.contains("`params.computing_cores`: 0 is less than the minimum of 1"),
        "{err}"
    );
    // a metrics port wired into a table input is a type mismatch
    assert!(err.contains("16:23: node `save`: port type mismatch: `lorenz.metrics` is of type `metrics` but input `data` of `write_table` takes type `table`"), "{err}");
}
