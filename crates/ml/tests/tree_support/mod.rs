//! Test-only helpers for the tree tests: a small CSV reader for the shared
//! fixtures and builders of `Frame`s and `Target`s.

#![allow(dead_code)]

use pai_ml::{ColumnData, Frame, Target};

/// The fixtures directory (`tests/fixtures` of the repository).
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

/// A numeric CSV table: header names and columns.
pub struct Table {
    pub names: Vec<String>,
    pub columns: Vec<Vec<f64>>,
}

impl Table {
    /// Reads a CSV with a header row and numeric cells (no quoting).
    pub fn read(relative: &str) -> Table {
        let path = format!("{FIXTURES}/{relative}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let names: Vec<String> = lines
            .next()
            .expect("header row")
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        let mut columns = vec![Vec::new(); names.len()];
        for (i, line) in lines.enumerate() {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(
                cells.len(),
                names.len(),
                "{path}: row {i} has {} cells",
                cells.len()
            );
            for (col, cell) in columns.iter_mut().zip(cells) {
                col.push(
                    cell.trim()
                        .parse()
                        .unwrap_or_else(|e| panic!("{path}: row {i}: {cell:?}: {e}")),
                );
            }
        }
        Table { names, columns }
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> &[f64] {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        &self.columns[i]
    }

    /// Every column name except `label`.
    pub fn features(&self, label: &str) -> Vec<String> {
        self.names.iter().filter(|n| *n != label).cloned().collect()
    }

    /// A frame over every column.
    pub fn frame(&self) -> Frame<'_> {
        Frame {
            columns: self
                .names
                .iter()
                .zip(&self.columns)
                .map(|(n, c)| (n.clone(), ColumnData::Numeric(c)))
                .collect(),
            n_rows: self.columns.first().map_or(0, Vec::len),
        }
    }

    /// The rows `range` of every column, as a new table.
    pub fn rows(&self, range: std::ops::Range<usize>) -> Table {
        Table {
            names: self.names.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| c[range.clone()].to_vec())
                .collect(),
        }
    }
}

/// A class target from integer-valued labels (classes sorted numerically).
pub fn classes(column: &str, values: &[f64]) -> Target<'static> {
    let mut distinct: Vec<i64> = values.iter().map(|&v| v as i64).collect();
    distinct.sort_unstable();
    distinct.dedup();
    Target::Classes {
        column: column.to_string(),
        codes: values
            .iter()
            .map(|&v| distinct.binary_search(&(v as i64)).expect("class") as u32)
            .collect(),
        classes: distinct.iter().map(|c| c.to_string()).collect(),
    }
}

/// A continuous target.
pub fn continuous<'a>(column: &str, values: &'a [f64]) -> Target<'a> {
    Target::Continuous {
        column: column.to_string(),
        values,
    }
}

/// A frame of named numeric columns.
pub fn frame<'a>(columns: &[(&str, &'a [f64])]) -> Frame<'a> {
    Frame {
        columns: columns
            .iter()
            .map(|(n, c)| (n.to_string(), ColumnData::Numeric(c)))
            .collect(),
        n_rows: columns.first().map_or(0, |c| c.1.len()),
    }
}

/// Area under the ROC curve of `scores` for 0/1 `labels` (ties get half
/// credit), as scikit-learn's `roc_auc_score`.
pub fn auc(scores: &[f64], labels: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] == 1.0 {
                rank_sum += avg;
            }
        }
        i = j + 1;
    }
    let pos = labels.iter().filter(|&&l| l == 1.0).count() as f64;
    let neg = labels.len() as f64 - pos;
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Coefficient of determination.
pub fn r2(pred: &[f64], y: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let ss_res: f64 = pred.iter().zip(y).map(|(p, t)| (t - p).powi(2)).sum();
    let ss_tot: f64 = y.iter().map(|t| (t - mean).powi(2)).sum();
    1.0 - ss_res / ss_tot
}
