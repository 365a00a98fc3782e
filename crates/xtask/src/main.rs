//! `cargo xtask`: project tasks that need nothing but a Rust toolchain.
//!
//! `cargo xtask test [ARGS...]` runs `cargo test --workspace --no-fail-fast
//! ARGS...` (every test binary, also after one fails) and
//! ends the run with one summary of every suite that was skipped because a
//! tool was missing, and how to enable each (see `pai-testkit`), and the
//! line `summary: N passed, N failed, N skipped` adding up every test
//! binary's result. Its exit status is `cargo test`'s.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};

const USAGE: &str = "usage: cargo xtask test [CARGO TEST ARGS...]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("test") => test(args.collect()),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            match other {
                Some(task) => eprintln!("error: unknown task `{task}`\n{USAGE}"),
                None => eprintln!("error: no task given\n{USAGE}"),
            }
            ExitCode::from(2)
        }
    }
}

fn test(args: Vec<String>) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // A fresh directory for this run's skips: earlier runs' do not count.
    let dir = std::env::temp_dir().join(format!("pai-test-skips-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut totals = Totals::default();
    let status = Command::new(cargo)
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(&args)
        .env(pai_testkit::SKIP_DIR_VAR, &dir)
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            // Passed through line by line, counting each binary's result.
            if let Some(out) = child.stdout.take() {
                let mut stdout = std::io::stdout().lock();
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    totals.add(&line);
                    let _ = writeln!(stdout, "{line}");
                }
            }
            child.wait()
        });
    let skips = pai_testkit::recorded_skips(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    println!();
    if skips.is_empty() {
        println!("test summary: no suite skipped");
    } else {
        let names: Vec<&str> = skips.iter().map(|(s, _, _)| s.as_str()).collect();
        println!(
            "test summary: {} skipped ({}); {}=1 makes a skip fail",
            plural(skips.len(), "suite"),
            names.join(", "),
            pai_testkit::NO_SKIP_VAR
        );
        for (suite, why, enable) in &skips {
            println!("  skipped `{suite}`: {why}; to enable it: {enable}");
        }
    }
    println!(
        "summary: {} passed, {} failed, {} skipped",
        totals.passed,
        totals.failed,
        skips.len()
    );
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: cannot run `cargo test`: {e}");
            ExitCode::from(2)
        }
    }
}

/// The sums of libtest's `test result: ok. 3 passed; 0 failed; …` lines.
#[derive(Debug, Default, PartialEq)]
struct Totals {
    passed: u64,
    failed: u64,
}

impl Totals {
    fn add(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(['.', ';']) {
            let mut words = part.split_whitespace();
            if let (Some(n), Some(what)) = (words.next(), words.next()) {
                let Ok(n) = n.parse::<u64>() else { continue };
                match what {
                    "passed" => self.passed += n,
                    "failed" => self.failed += n,
                    _ => {}
                }
            }
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_are_summed() {
        let mut t = Totals::default();
        t.add("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.50s");
        t.add("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.00s");
        t.add("running 5 tests");
        t.add("test a::passed ... ok");
        assert_eq!(
            t,
            Totals {
                passed: 15,
                failed: 2
            }
        );
        assert_eq!(plural(1, "suite"), "1 suite");
        assert_eq!(plural(3, "suite"), "3 suites");
    }
}
