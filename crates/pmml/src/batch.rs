//! Columnar batch scoring: input columns matched to fields by name once,
//! records scored in parallel chunks with one reusable scratch per chunk,
//! on the numeric kernel straight from `f64` columns where it applies.

use rayon::prelude::*;

use crate::PmmlModel;
use crate::error::PmmlError;
use crate::eval::{RowSource, Scratch};
use crate::value::Value;

/// One input column of a batch.
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    /// Numbers; NaN means missing.
    F64(&'a [f64]),
    /// Any values.
    Values(&'a [Value]),
    /// Strings; `None` means missing.
    Str(&'a [Option<&'a str>]),
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::Values(v) => v.len(),
            Column::Str(v) => v.len(),
        }
    }

    #[inline]
    fn get(&self, row: usize) -> Value {
        match self {
            Column::F64(v) => {
                let x = v[row];
                if x.is_nan() {
                    Value::Missing
                } else {
                    Value::Number(x)
                }
            }
            Column::Values(v) => v[row].clone(),
            Column::Str(v) => v[row].map_or(Value::Missing, Value::str),
        }
    }
}

/// Results of a batch: one vector per output column, and the records that failed.
#[derive(Debug, Clone, Default)]
pub struct BatchOutput {
    /// `columns[c][r]`: value of output column `c` for record `r` (missing for failed records).
    pub columns: Vec<Vec<Value>>,
    /// Records that could not be scored, with why.
    pub errors: Vec<(usize, PmmlError)>,
}

/// Output columns and failed records of one chunk of a batch.
type ChunkResult = (Vec<Vec<Value>>, Vec<(usize, PmmlError)>);

struct BatchRow<'a> {
    cols: &'a [Option<Column<'a>>],
    row: usize,
}

impl RowSource for BatchRow<'_> {
    #[inline]
    fn input(&self, index: usize) -> Value {
        match self.cols.get(index) {
            Some(Some(c)) => c.get(self.row),
            _ => Value::Missing,
        }
    }
}

const CHUNK: usize = 2048;

impl PmmlModel {
    /// Scores a batch of records given as named columns (all of equal length).
    ///
    /// Input fields without a column are missing. Records are scored in
    /// parallel; a record that fails gets missing values and an entry in
    /// [`BatchOutput::errors`].
    pub fn evaluate_batch(&self, columns: &[(&str, Column<'_>)]) -> Result<BatchOutput, PmmlError> {
        let n = columns.first().map_or(0, |(_, c)| c.len());
        if let Some((name, _)) = columns.iter().find(|(_, c)| c.len() != n) {
            return Err(PmmlError::Input {
                message: format!(
                    "column `{name}` has a different length than the others; pass columns of equal length"
                ),
            });
        }
        let mapped: Vec<Option<Column>> = self
            .input_fields()
            .iter()
            .map(|f| {
                columns
                    .iter()
                    .find(|(name, _)| *name == f.name)
                    .map(|(_, c)| *c)
            })
            .collect();
        // Numeric columns for the kernel, by input index, when every input it reads has one.
        let numeric: Option<Vec<&[f64]>> = self.kernel_inputs().and_then(|ins| {
            let mut v: Vec<&[f64]> = vec![&[]; mapped.len()];
            for &i in ins {
                match mapped.get(i) {
                    Some(Some(Column::F64(c))) => v[i] = c,
                    _ => return None,
                }
            }
            Some(v)
        });
        let ncols = self.output_columns().len();
        let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
        let parts: Vec<ChunkResult> = starts
            .par_iter()
            .map(|&start| {
                let end = (start + CHUNK).min(n);
                let mut scratch = Scratch::new();
                let mut out = Vec::with_capacity(ncols);
                let mut cols: Vec<Vec<Value>> = (0..ncols)
                    .map(|_| Vec::with_capacity(end - start))
                    .collect();
                let mut errors = Vec::new();
                for row in start..end {
                    if let Some(nc) = &numeric
                        && self.score_numeric(|i| nc[i][row], &mut scratch, &mut out)
                    {
                        for (c, v) in cols.iter_mut().zip(out.drain(..)) {
                            c.push(v);
                        }
                        continue;
                    }
                    let r = BatchRow { cols: &mapped, row };
                    let scored = if numeric.is_some() {
                        self.interpret_row(&r, &mut scratch, &mut out)
                    } else {
                        self.evaluate_row(&r, &mut scratch, &mut out)
                    };
                    match scored {
                        Ok(()) => {
                            for (c, v) in cols.iter_mut().zip(out.drain(..)) {
                                c.push(v);
                            }
                        }
                        Err(e) => {
                            for c in cols.iter_mut() {
                                c.push(Value::Missing);
                            }
                            errors.push((row, e));
                        }
                    }
                }
                (cols, errors)
            })
            .collect();
        let mut result = BatchOutput {
            columns: (0..ncols).map(|_| Vec::with_capacity(n)).collect(),
            errors: Vec::new(),
        };
        for (cols, errors) in parts {
            for (dst, src) in result.columns.iter_mut().zip(cols) {
                dst.extend(src);
            }
            result.errors.extend(errors);
        }
        Ok(result)
    }
}
