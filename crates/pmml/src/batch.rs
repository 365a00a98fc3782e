//! Columnar batch scoring: input columns matched to fields by name once,
//! records scored in parallel chunks with one reusable scratch per chunk,
//! on the numeric kernel straight from `f64` columns where it applies.

use rayon::prelude::*;

use crate::PmmlModel;
use crate::error::PmmlError;
use crate::eval::{RowSource, Scratch};
use crate::kernel::{BLOCK, Block};
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
        let mut columns: Vec<Vec<Value>> = (0..ncols).map(|_| vec![Value::Missing; n]).collect();
        // Each chunk writes its records straight into its part of every column.
        let mut chunks: Vec<(usize, Vec<&mut [Value]>)> = (0..n)
            .step_by(CHUNK)
            .map(|start| (start, Vec::with_capacity(ncols)))
            .collect();
        for col in columns.iter_mut() {
            for ((_, dst), part) in chunks.iter_mut().zip(col.chunks_mut(CHUNK)) {
                dst.push(part);
            }
        }
        let ctx = BatchCtx {
            model: self,
            mapped: &mapped,
            numeric: numeric.as_deref(),
        };
        let errors: Vec<Vec<(usize, PmmlError)>> = chunks
            .into_par_iter()
            .map(|(start, mut dst)| ctx.chunk(start, (start + CHUNK).min(n), &mut dst))
            .collect();
        let result = BatchOutput {
            columns,
            errors: errors.into_iter().flatten().collect(),
        };
        Ok(result)
    }
}

/// What every chunk of one batch shares.
struct BatchCtx<'a> {
    model: &'a PmmlModel,
    mapped: &'a [Option<Column<'a>>],
    /// Kernel input columns by input index, when every input the kernel reads has one.
    numeric: Option<&'a [&'a [f64]]>,
}

impl BatchCtx<'_> {
    /// Scores records `start..end` into `dst` (`dst[c][r - start]`), a block
    /// at a time where the kernel can; returns the failed records.
    fn chunk(&self, start: usize, end: usize, dst: &mut [&mut [Value]]) -> Vec<(usize, PmmlError)> {
        let m = self.model;
        let mut scratch = Scratch::new();
        let mut out = Vec::with_capacity(dst.len());
        let mut errors = Vec::new();
        let mut block = Block::default();
        let Some(nc) = self.numeric else {
            for row in start..end {
                self.row(row, row - start, dst, &mut scratch, &mut out, &mut errors);
            }
            return errors;
        };
        for b0 in (start..end).step_by(BLOCK) {
            let len = BLOCK.min(end - b0);
            if !m.score_block(nc, b0, len, &mut block) {
                for row in b0..b0 + len {
                    self.row(row, row - start, dst, &mut scratch, &mut out, &mut errors);
                }
                continue;
            }
            for (c, col) in dst.iter_mut().enumerate() {
                if let Some(part) = col.get_mut(b0 - start..b0 - start + len) {
                    m.write_block(c, &block, part);
                }
            }
            for (r, &ok) in block.clean().iter().enumerate() {
                if !ok {
                    let row = b0 + r;
                    self.row(row, row - start, dst, &mut scratch, &mut out, &mut errors);
                }
            }
        }
        errors
    }

    /// Scores record `row` into `dst[c][at]`, recording a failure in `errors`.
    fn row(
        &self,
        row: usize,
        at: usize,
        dst: &mut [&mut [Value]],
        scratch: &mut Scratch,
        out: &mut Vec<Value>,
        errors: &mut Vec<(usize, PmmlError)>,
    ) {
        let m = self.model;
        let scored = match self.numeric {
            Some(nc) if m.score_numeric(|i| nc[i][row], scratch, out) => Ok(()),
            Some(_) => m.interpret_row(
                &BatchRow {
                    cols: self.mapped,
                    row,
                },
                scratch,
                out,
            ),
            None => m.evaluate_row(
                &BatchRow {
                    cols: self.mapped,
                    row,
                },
                scratch,
                out,
            ),
        };
        match scored {
            Ok(()) => {
                for (c, v) in dst.iter_mut().zip(out.drain(..)) {
                    c[at] = v;
                }
            }
            Err(e) => errors.push((row, e)),
        }
    }
}
