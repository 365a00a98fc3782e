//! Times the Lorenz engine on synthetic data and reports the peak resident memory.
//!
//! `cargo run --profile dist -p pai-eval --example lorenz_bench -- [values] [threads] [repeats] [weighted] [budget_mb]`
//! (defaults: 10000000 values, 1 thread, 3 repeats, unweighted, 1024 MB budget). Values are uniform in
//! `[0, 1000)` and are generated batch by batch, so the peak memory is the engine's own.

use std::time::Instant;

use pai_eval::{LorenzBuilder, LorenzOptions};

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> Result<(), pai_eval::EvalError> {
    let args: Vec<String> = std::env::args().collect();
    let arg =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let n = arg(1, 10_000_000);
    let threads = arg(2, 1);
    let repeats = arg(3, 3);
    let weighted = arg(4, 0) != 0;
    let batch = 65_536;
    let budget_mb = arg(5, 1024) as u64;
    let opts = LorenzOptions {
        threads,
        memory_budget_bytes: budget_mb << 20,
        ..LorenzOptions::default()
    };
    let mut xs = vec![0.0; batch];
    let mut ws = vec![0.0; batch];
    let base = peak_rss_mb();
    let (mut best_push, mut best_finish, mut best_total) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..repeats {
        let mut state = 42u64;
        let mut builder = LorenzBuilder::new("x", weighted, &opts)?;
        let mut push = 0.0;
        let mut left = n;
        while left > 0 {
            let m = left.min(batch);
            for (x, w) in xs[..m].iter_mut().zip(&mut ws[..m]) {
                *x = (splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64 * 1000.0;
                *w = (splitmix64(&mut state) % 4) as f64;
            }
            let t = Instant::now();
            builder.push(&xs[..m], weighted.then_some(&ws[..m]), None)?;
            push += t.elapsed().as_secs_f64();
            left -= m;
        }
        let t = Instant::now();
        let r = builder.finish()?;
        let finish = t.elapsed().as_secs_f64();
        println!(
            "n {n} threads {threads} weighted {weighted}: push {:.1} ms, finish {:.1} ms, total {:.1} ms, gini {:.6}, spilled runs {}",
            push * 1e3,
            finish * 1e3,
            (push + finish) * 1e3,
            r.gini,
            r.spilled_runs
        );
        best_push = best_push.min(push);
        best_finish = best_finish.min(finish);
        best_total = best_total.min(push + finish);
    }
    let column_mb = (n * if weighted { 16 } else { 8 }) as f64 / (1 << 20) as f64;
    println!(
        "best: push {:.1} ms, finish {:.1} ms, total {:.1} ms; peak RSS {:.1} MB (baseline {:.1} MB, column {:.1} MB)",
        best_push * 1e3,
        best_finish * 1e3,
        best_total * 1e3,
        peak_rss_mb(),
        base,
        column_mb
    );
    Ok(())
}
