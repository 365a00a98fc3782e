//! Times the phases of reading a large CSV (a profiling aid for `read_table`).
//! `cargo run --profile dist -p pai-components --example csv_phases -- FILE.csv`
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: csv_phases FILE.csv");
        std::process::exit(2);
    };
    let path = std::path::PathBuf::from(path);
    let t = Instant::now();
    let bytes = std::fs::read(&path).unwrap_or_default();
    println!(
        "fs::read        {:>8.1} ms ({} MB)",
        t.elapsed().as_secs_f64() * 1e3,
        bytes.len() / 1_000_000
    );
    let t = Instant::now();
    match pai_components::table::read_csv(&path, b',', &[]) {
        Ok(b) => {
            println!(
                "read_csv        {:>8.1} ms ({} rows)",
                t.elapsed().as_secs_f64() * 1e3,
                b.num_rows()
            );
            let dir = std::env::temp_dir().join("csv_phases");
            let _ = std::fs::create_dir_all(&dir);
            let ctx = pai_core::RunContext::new(
                Default::default(),
                "n",
                dir.clone(),
                dir.clone(),
                dir.join("out"),
            );
            let t = Instant::now();
            let p = pai_components::io::output_table(&ctx, "output", &b).unwrap_or_default();
            println!(
                "ipc write       {:>8.1} ms",
                t.elapsed().as_secs_f64() * 1e3
            );
            let t = Instant::now();
            let d = pai_store::fsutil::digest_path(&p)
                .map(|d| d.1)
                .unwrap_or_default();
            println!(
                "sha256 digest   {:>8.1} ms ({d} bytes)",
                t.elapsed().as_secs_f64() * 1e3
            );
            let _ = std::fs::remove_dir_all(&dir);
        }
        Err(e) => println!("error: {e}"),
    }
}
