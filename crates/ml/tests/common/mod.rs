//! Test-only helpers: a small CSV reader for the shared fixtures and a
//! `Frame` view over the columns it reads.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
#![allow(dead_code)]

use pai_ml::{ColumnData, Frame};

/// The fixtures directory (`tests/fixtures` of the repository).
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

/// An owned CSV column: numeric when every non-empty cell parses as a number.
pub enum Col {
    /// Numbers; empty cells are NaN.
    Num(Vec<f64>),
    /// Text; empty cells are `None`.
    Text(Vec<Option<String>>),
}

/// An owned table read from CSV.
pub struct Table {
    /// Column names in file order.
    pub names: Vec<String>,
    /// The columns.
    pub cols: Vec<Col>,
    /// Row count.
    pub n_rows: usize,
}

/// Reads a CSV file with a header row (no quoting: the fixtures have none).
pub fn read_csv(path: &str) -> Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let names: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    let mut n_rows = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), names.len(), "ragged row {n_rows} in {path}");
        for (c, f) in cells.iter_mut().zip(fields) {
            c.push(f.trim().to_string());
        }
        n_rows += 1;
    }
    let cols = cells
        .into_iter()
        .map(|c| {
            if c.iter().all(|s| s.is_empty() || s.parse::<f64>().is_ok()) {
                Col::Num(
                    c.iter()
                        .map(|s| s.parse::<f64>().unwrap_or(f64::NAN))
                        .collect(),
                )
            } else {
                Col::Text(
                    c.into_iter()
                        .map(|s| if s.is_empty() { None } else { Some(s) })
                        .collect(),
                )
            }
        })
        .collect();
    Table {
        names,
        cols,
        n_rows,
    }
}

/// Reads `datasets/<name>.csv` from the fixtures.
pub fn dataset(name: &str) -> Table {
    read_csv(&format!("{FIXTURES}/datasets/{name}.csv"))
}

/// Reads `pmml/<name>` from the fixtures.
pub fn expected(name: &str) -> Table {
    read_csv(&format!("{FIXTURES}/pmml/{name}"))
}

impl Table {
    /// A borrowed frame over every column.
    pub fn frame(&self) -> Frame<'_> {
        Frame {
            columns: self
                .names
                .iter()
                .zip(&self.cols)
                .map(|(n, c)| (n.clone(), col_data(c)))
                .collect(),
            n_rows: self.n_rows,
        }
    }

    /// A numeric column by name.
    pub fn num(&self, name: &str) -> &[f64] {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        match &self.cols[i] {
            Col::Num(v) => v,
            Col::Text(_) => panic!("column {name} is text"),
        }
    }

    /// Every column name except `label`.
    pub fn features_except(&self, label: &str) -> Vec<String> {
        self.names.iter().filter(|n| *n != label).cloned().collect()
    }
}

/// Borrows a column as `ColumnData`.
pub fn col_data(c: &Col) -> ColumnData<'_> {
    match c {
        Col::Num(v) => ColumnData::Numeric(v),
        Col::Text(v) => ColumnData::Text(v.iter().map(|s| s.as_deref()).collect()),
    }
}

/// Largest absolute difference.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}
