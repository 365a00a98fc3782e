//! Batch-scoring throughput of one PMML document on one CSV, through the
//! public API (`PmmlModel::evaluate_batch` over `Column::F64` columns).
//!
//! `cargo run --profile dist -p pai-pmml --example batch_throughput -- MODEL.pmml ROWS.csv REPS [PROBS_OUT]`
//!
//! Reading the CSV and parsing the model are not timed; each of the REPS
//! timed runs scores every record and builds the output columns. With
//! PROBS_OUT, `probability(1)` of every record is written there, one per
//! line, so that bench/pmml_jpmml.py can compare it with JPMML's.

use std::io::Write;
use std::time::Instant;

use pai_pmml::{Column, PmmlModel, Value};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: batch_throughput MODEL.pmml ROWS.csv REPS [PROBS_OUT]");
        std::process::exit(2);
    }
    let model =
        PmmlModel::parse(&std::fs::read_to_string(&args[1]).expect("model file")).expect("model");
    let csv = std::fs::read_to_string(&args[2]).expect("rows file");
    let reps: usize = args[3].parse().expect("REPS");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
    for line in lines {
        for (col, cell) in cols.iter_mut().zip(line.split(',')) {
            col.push(cell.parse().unwrap_or(f64::NAN));
        }
    }
    let named: Vec<(&str, Column)> = header
        .iter()
        .zip(&cols)
        .map(|(h, c)| (*h, Column::F64(c)))
        .collect();
    let n = cols[0].len();

    let warm = model.evaluate_batch(&named).expect("batch");
    let mut secs = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let out = model.evaluate_batch(&named).expect("batch");
        secs.push(t.elapsed().as_secs_f64());
        std::hint::black_box(out);
    }
    secs.sort_by(f64::total_cmp);
    println!(
        "engine evaluate_batch ({n} records, {reps} runs, {} threads): best {:.0} records/s, median {:.0} records/s ({} errors)",
        rayon::current_num_threads(),
        n as f64 / secs[0],
        n as f64 / secs[secs.len() / 2],
        warm.errors.len()
    );

    if let Some(path) = args.get(4) {
        let c = model
            .output_columns()
            .iter()
            .position(|c| c.name == "probability(1)")
            .expect("a probability(1) column");
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("probs file"));
        for v in &warm.columns[c] {
            match v {
                Value::Number(x) => writeln!(f, "{x:?}"),
                _ => writeln!(f, "nan"),
            }
            .expect("write");
        }
    }
}
