//! Helpers shared by the integration tests: CSV reading the way pandas reads
//! it, fixture paths, and scoring a CSV through a model.

#![allow(dead_code, clippy::unwrap_used)] // shared by several test binaries; a failed unwrap is a failed test

use std::path::PathBuf;

use pai_pmml::{PmmlModel, Value};

/// The repository's `tests/fixtures`, seen from this crate.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// This crate's own test data.
pub fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// A parsed CSV: header and rows of raw cells (`None` for empty cells).
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

fn split_line(line: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            ',' if !quoted => {
                out.push(if cur.is_empty() {
                    None
                } else {
                    Some(std::mem::take(&mut cur))
                });
                was_quoted = false;
            }
            _ => cur.push(c),
        }
    }
    let _ = was_quoted;
    out.push(if cur.is_empty() { None } else { Some(cur) });
    out
}

/// Reads a CSV file with a header row.
pub fn read_csv(path: &std::path::Path) -> Csv {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split_line(lines.next().unwrap())
        .into_iter()
        .map(|c| c.unwrap_or_default())
        .collect();
    let rows = lines.map(split_line).collect();
    Csv { header, rows }
}

impl Csv {
    /// Index of a column.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Column values typed as pandas would: numbers when every present cell is numeric.
    pub fn typed_column(&self, i: usize) -> Vec<Value> {
        let numeric = self
            .rows
            .iter()
            .filter_map(|r| r.get(i).cloned().flatten())
            .all(|c| c.trim().parse::<f64>().is_ok());
        self.rows
            .iter()
            .map(|r| match r.get(i).cloned().flatten() {
                None => Value::Missing,
                Some(c) if numeric => Value::Number(c.trim().parse().unwrap()),
                Some(c) => Value::str(&c),
            })
            .collect()
    }
}

/// Scores every row of `input` and returns one result (or error) per row.
pub fn score(model: &PmmlModel, input: &Csv) -> Vec<Result<Vec<Value>, pai_pmml::PmmlError>> {
    let cols: Vec<Option<Vec<Value>>> = model
        .input_fields()
        .iter()
        .map(|f| input.col(&f.name).map(|i| input.typed_column(i)))
        .collect();
    (0..input.rows.len())
        .map(|r| {
            let row: Vec<Value> = cols
                .iter()
                .map(|c| c.as_ref().map_or(Value::Missing, |c| c[r].clone()))
                .collect();
            model.evaluate(&row)
        })
        .collect()
}

/// Compares a result value with an expected CSV cell.
pub fn matches(got: &Value, want: Option<&str>, tol: f64) -> bool {
    let want = want
        .map(str::trim)
        .filter(|w| !w.is_empty() && *w != "\"\"");
    match (got, want) {
        (Value::Missing, None) => true,
        (Value::Missing, Some(_)) | (_, None) => false,
        (Value::Number(x), Some(w)) => match w.parse::<f64>() {
            Ok(y) => (x - y).abs() <= tol * (1.0 + y.abs().min(1.0)) || (x.is_nan() && y.is_nan()),
            Err(_) => false,
        },
        (Value::Bool(b), Some(w)) => w.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        (Value::Str(s), Some(w)) => {
            s.as_ref() == w
                || matches!((s.parse::<f64>(), w.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
        }
    }
}
