//! Times the EAS predict hot path in-process (parse the body, score, write
//! the answer) for a native model, without HTTP:
//!
//! `cargo run --profile dist -p pai-serve --example predict_bench -- MODEL.meta BODY.json [ITERATIONS]`
//!
//! Prints the time per request and the rows per second, and the answer's
//! first bytes.

use std::time::Instant;

use pai_serve::model::native::NativeServing;
use pai_serve::model::{FieldIndex, ServingModel};
use pai_serve::rows::{parse_rows, write_rows};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(meta), Some(body)) = (args.get(1), args.get(2)) else {
        return Err("usage: predict_bench MODEL.meta BODY.json [ITERATIONS]".into());
    };
    let iterations: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let loaded = pai_components::model_file::read_model(std::path::Path::new(meta))
        .map_err(|e| e.to_string())?;
    let model = NativeServing::new(loaded)?;
    let body = std::fs::read(body).map_err(|e| e.to_string())?;
    let index = FieldIndex::new(model.inputs());
    let general = model.has_direct_path() && std::env::var_os("GENERAL").is_some();
    let answer_of = |batch: &pai_serve::model::InputBatch| -> Result<Vec<u8>, String> {
        let mut buf = Vec::new();
        if general || model.write_answer(batch, &mut buf).is_none() {
            let out = model.score(batch)?;
            write_rows(model.outputs(), &out, &mut buf);
        }
        Ok(buf)
    };
    let batch = parse_rows(&body, model.inputs(), &index, false)?;
    let (answer, rows) = (answer_of(&batch)?, batch.rows);
    println!("direct path: {}", model.has_direct_path() && !general);
    let (mut parse, mut write) = (0f64, 0f64);
    let start = Instant::now();
    for _ in 0..iterations {
        let t0 = Instant::now();
        let batch = parse_rows(&body, model.inputs(), &index, false)?;
        let t2 = Instant::now();
        let buf = answer_of(&batch)?;
        let t3 = Instant::now();
        parse += (t2 - t0).as_secs_f64();
        write += (t3 - t2).as_secs_f64();
        std::hint::black_box(buf);
    }
    let secs = start.elapsed().as_secs_f64();
    let per = secs / iterations as f64;
    let n = iterations as f64;
    println!(
        "{rows} rows/request: {:.2} µs/request (parse {:.2}, score and write {:.2}), {:.0} rows/s on one thread",
        per * 1e6,
        parse / n * 1e6,
        write / n * 1e6,
        rows as f64 / per
    );
    println!(
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
    Ok(())
}
