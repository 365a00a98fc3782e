//! Rough timings: single-record and batch scoring of the breast-cancer
//! scaler + logistic regression fixture, and loading a 100-tree GBDT document.
//!
//! `cargo run --profile dist -p pai-pmml --example bench [GBDT.pmml]`

use std::time::Instant;

use pai_pmml::{Column, PmmlModel, Scratch, Value};

fn fixtures() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// A GBDT-shaped document: a sum of `trees` depth-3 regression trees over 10 features.
fn synthetic_gbdt(trees: usize) -> String {
    let mut s =
        String::from(r#"<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><DataDictionary>"#);
    for f in 0..10 {
        s.push_str(&format!(
            r#"<DataField name="f{f}" optype="continuous" dataType="double"/>"#
        ));
    }
    s.push_str(r#"<DataField name="y" optype="continuous" dataType="double"/></DataDictionary>"#);
    s.push_str(r#"<MiningModel functionName="regression"><MiningSchema>"#);
    for f in 0..10 {
        s.push_str(&format!(r#"<MiningField name="f{f}"/>"#));
    }
    s.push_str(r#"<MiningField name="y" usageType="target"/></MiningSchema><Segmentation multipleModelMethod="sum">"#);
    for t in 0..trees {
        s.push_str(&format!(r#"<Segment id="{t}"><True/><TreeModel functionName="regression" missingValueStrategy="nullPrediction" noTrueChildStrategy="returnLastPrediction"><MiningSchema>"#));
        for f in 0..10 {
            s.push_str(&format!(r#"<MiningField name="f{f}"/>"#));
        }
        s.push_str("</MiningSchema><Node><True/>");
        fn node(s: &mut String, depth: usize, t: usize, k: &mut usize) {
            for side in ["lessOrEqual", "greaterThan"] {
                *k += 1;
                let f = (t + *k) % 10;
                let v = ((t * 31 + *k * 17) % 100) as f64 / 100.0;
                if depth == 0 {
                    s.push_str(&format!(r#"<Node score="{}"><SimplePredicate field="f{f}" operator="{side}" value="{v}"/></Node>"#, v - 0.5));
                } else {
                    s.push_str(&format!(
                        r#"<Node><SimplePredicate field="f{f}" operator="{side}" value="{v}"/>"#
                    ));
                    node(s, depth - 1, t, k);
                    s.push_str("</Node>");
                }
            }
        }
        let mut k = 0;
        node(&mut s, 2, t, &mut k);
        s.push_str("</Node></TreeModel></Segment>");
    }
    s.push_str("</Segmentation></MiningModel></PMML>");
    s
}

fn main() {
    let text =
        std::fs::read_to_string(fixtures().join("pmml/lr_scaled_breast_cancer.sklearn2pmml.pmml"))
            .expect("fixture");
    let model = PmmlModel::parse(&text).expect("model");
    let csv =
        std::fs::read_to_string(fixtures().join("datasets/breast_cancer.csv")).expect("dataset");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let data: Vec<Vec<f64>> = lines
        .map(|l| {
            l.split(',')
                .map(|c| c.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let idx: Vec<usize> = model
        .input_fields()
        .iter()
        .map(|f| header.iter().position(|h| *h == f.name).expect("column"))
        .collect();
    let rows: Vec<Vec<Value>> = data
        .iter()
        .map(|r| idx.iter().map(|&i| Value::Number(r[i])).collect())
        .collect();

    // Single record.
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    let n = 400_000;
    for r in rows.iter().take(1000) {
        model
            .evaluate_into(r, &mut scratch, &mut out)
            .expect("score");
    }
    let t = Instant::now();
    let mut acc = 0.0;
    for i in 0..n {
        model
            .evaluate_into(&rows[i % rows.len()], &mut scratch, &mut out)
            .expect("score");
        if let Value::Number(p) = out[1] {
            acc += p;
        }
    }
    let per = t.elapsed().as_secs_f64() / n as f64;
    println!(
        "single record (evaluate_into): {:.3} µs/record (checksum {acc:.3})",
        per * 1e6
    );
    let t = Instant::now();
    for i in 0..100_000 {
        let _ = model.evaluate(&rows[i % rows.len()]).expect("score");
    }
    println!(
        "single record (evaluate, allocating): {:.3} µs/record",
        t.elapsed().as_secs_f64() / 100_000.0 * 1e6
    );

    // Batch.
    let reps = 400;
    let cols: Vec<Vec<f64>> = (0..header.len())
        .map(|c| {
            (0..reps)
                .flat_map(|_| data.iter().map(move |r| r[c]))
                .collect()
        })
        .collect();
    let named: Vec<(&str, Column)> = header
        .iter()
        .zip(&cols)
        .map(|(h, c)| (*h, Column::F64(c)))
        .collect();
    let _ = model.evaluate_batch(&named).expect("batch");
    let t = Instant::now();
    let b = model.evaluate_batch(&named).expect("batch");
    let secs = t.elapsed().as_secs_f64();
    let total = cols[0].len();
    println!(
        "batch: {total} records in {:.3} s = {:.0} records/s ({} errors, {} threads)",
        secs,
        total as f64 / secs,
        b.errors.len(),
        rayon::current_num_threads()
    );

    // Loading a 100-tree GBDT.
    let doc = match std::env::args().nth(1) {
        Some(p) => std::fs::read_to_string(p).expect("gbdt file"),
        None => synthetic_gbdt(100),
    };
    let mut times = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let m = PmmlModel::parse(&doc).expect("gbdt");
        times.push(t.elapsed().as_secs_f64());
        std::hint::black_box(m);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "load+compile 100-tree GBDT ({} KiB): median {:.2} ms",
        doc.len() / 1024,
        times[3] * 1e3
    );
}
