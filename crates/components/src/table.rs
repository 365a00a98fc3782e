//! Tables on disk: fast CSV reading with type inference, Parquet reading,
//! and atomic CSV/Parquet writing. Tables are Arrow record batches.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use pai_core::{Error, Result};

/// A column type a user can force in `read_table`'s `columns`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// 64-bit integers.
    Int64,
    /// 64-bit floats.
    Float64,
    /// UTF-8 strings.
    String,
    /// Booleans (`true`/`false`).
    Bool,
}

impl ColumnType {
    fn data_type(self) -> DataType {
        match self {
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::String => DataType::Utf8,
            ColumnType::Bool => DataType::Boolean,
        }
    }
}

/// The file formats tables are read from and written to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl TableFormat {
    /// The format named by `path`'s extension.
    pub fn guess(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" | "txt" | "tsv" => Some(TableFormat::Csv),
            "parquet" | "pq" => Some(TableFormat::Parquet),
            _ => None,
        }
    }
}

/// Rows of the sample used to infer CSV column types.
const INFER_ROWS: usize = 20_000;
/// Rows per decoded batch.
const BATCH_ROWS: usize = 64 * 1024;

/// Where [`read_csv_into`] delivers a table, batch by batch.
pub trait BatchSink {
    /// Starts the table, or starts it over: when called again, the batches
    /// delivered since the previous call are to be discarded.
    fn begin(&mut self, schema: &SchemaRef) -> Result<()>;
    /// Appends a batch.
    fn batch(&mut self, batch: RecordBatch) -> Result<()>;
}

/// Reads a CSV file with a header row into one batch.
///
/// Types are inferred from a sample and widened (integer to float, anything
/// to string) when a later value does not fit; `overrides` forces types.
/// Files without quoted fields are parsed in parallel chunks of lines.
pub fn read_csv(
    path: &Path,
    delimiter: u8,
    overrides: &[(String, ColumnType)],
) -> Result<RecordBatch> {
    /// Collects the batches.
    #[derive(Default)]
    struct Collect(Option<SchemaRef>, Vec<RecordBatch>);
    impl BatchSink for Collect {
        fn begin(&mut self, schema: &SchemaRef) -> Result<()> {
            *self = Collect(Some(schema.clone()), Vec::new());
            Ok(())
        }
        fn batch(&mut self, batch: RecordBatch) -> Result<()> {
            self.1.push(batch);
            Ok(())
        }
    }
    let mut all = Collect::default();
    read_csv_into(path, delimiter, overrides, &mut all)?;
    let schema = all
        .0
        .ok_or_else(|| Error::invalid(format!("`{}`: no table", path.display())))?;
    match all.1.len() {
        1 => Ok(all.1.remove(0)),
        _ => arrow::compute::concat_batches(&schema, &all.1)
            .map_err(|e| Error::invalid(format!("`{}`: {e}", path.display()))),
    }
}

/// Reads a CSV file with a header row, as [`read_csv`] does, delivering the
/// table to `sink` batch by batch as it is parsed (a large numeric file
/// streams: `sink` can write one batch while the next ones are parsed).
pub fn read_csv_into(
    path: &Path,
    delimiter: u8,
    overrides: &[(String, ColumnType)],
    sink: &mut dyn BatchSink,
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let head = read_head(&file, INFER_ROWS + 1).map_err(|e| Error::io(path, e))?;
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let fields = infer_fields(path, &head[bom..], delimiter, overrides)?;
    let header_end = head[bom..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(head.len() - bom, |p| p + 1);
    if !head.contains(&b'"') {
        let schema: SchemaRef = Arc::new(Schema::new(fields.clone()));
        sink.begin(&schema)?;
        let mut emit = |columns| {
            let batch = RecordBatch::try_new(schema.clone(), columns)
                .map_err(|e| Error::invalid(format!("`{}`: {e}", path.display())))?;
            sink.batch(batch)
        };
        let body_start = (bom + header_end) as u64;
        if crate::csv_fast::read_numeric(path, &file, body_start, &fields, delimiter, &mut emit)? {
            return Ok(());
        }
    }
    let bytes = read_file(path).map_err(|e| Error::io(path, e))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let (schema, batches) = decode_general(
        path,
        &bytes[header_end.min(bytes.len())..],
        fields,
        delimiter,
        overrides,
    )?;
    sink.begin(&schema)?;
    batches.into_iter().try_for_each(|b| sink.batch(b))
}

/// The first `lines` lines of a file (or all of it).
fn read_head(file: &std::fs::File, lines: usize) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut head = Vec::new();
    let mut block = vec![0u8; 1 << 20];
    let mut seen = 0;
    loop {
        let n = file.read_at(&mut block, head.len() as u64)?;
        if n == 0 {
            return Ok(head);
        }
        seen += block[..n].iter().filter(|b| **b == b'\n').count();
        head.extend_from_slice(&block[..n]);
        if seen >= lines {
            return Ok(head);
        }
    }
}

/// The column types: inferred from the sample in `head` (header first),
/// normalised to the engine's types, and overridden by `overrides`.
fn infer_fields(
    path: &Path,
    head: &[u8],
    delimiter: u8,
    overrides: &[(String, ColumnType)],
) -> Result<Vec<Field>> {
    let header_end = head
        .iter()
        .position(|b| *b == b'\n')
        .map_or(head.len(), |p| p + 1);
    if head[..header_end].iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::invalid(format!(
            "`{}`: the file is empty; a header row is required",
            path.display()
        )));
    }
    let sample_end = nth_line_end(head, header_end, INFER_ROWS);
    let format = arrow::csv::reader::Format::default()
        .with_header(true)
        .with_delimiter(delimiter)
        .with_truncated_rows(true);
    let (inferred, _) = format
        .infer_schema(&head[..sample_end], None)
        .map_err(|e| csv_error(path, 0, &e))?;
    let mut fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| Field::new(f.name(), normalize(f.data_type()), true))
        .collect();
    for (name, ty) in overrides {
        let Some(f) = fields.iter_mut().find(|f| f.name() == name) else {
            let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
            return Err(Error::invalid(format!(
                "`columns` names `{name}`, which is not a column of `{}` (columns: {})",
                path.display(),
                names.join(", ")
            )));
        };
        *f = Field::new(name, ty.data_type(), true);
    }
    Ok(fields)
}

/// The general decoder over the lines after the header: parallel chunks
/// when nothing is quoted; on a type error in an inferred column, the
/// column is widened and the parse retried. Returns the schema and the
/// batches in order.
fn decode_general(
    path: &Path,
    body: &[u8],
    mut fields: Vec<Field>,
    delimiter: u8,
    overrides: &[(String, ColumnType)],
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let forced: Vec<bool> = fields
        .iter()
        .map(|f| overrides.iter().any(|(n, _)| n == f.name()))
        .collect();
    let chunks = split_lines(
        body,
        if body.contains(&b'"') {
            1
        } else {
            rayon::current_num_threads().max(1) * 2
        },
    );
    // The general decoder; on a type error in an inferred column, widen it and retry.
    for _ in 0..=fields.len() * 2 {
        let schema: SchemaRef = Arc::new(Schema::new(fields.clone()));
        let results: Vec<std::result::Result<Vec<RecordBatch>, (usize, arrow::error::ArrowError)>> = {
            use rayon::prelude::*;
            chunks
                .par_iter()
                .map(|&(start, end)| {
                    decode_chunk(&body[start..end], schema.clone(), delimiter)
                        .map_err(|e| (start, e))
                })
                .collect()
        };
        let mut batches = Vec::new();
        let mut retry = false;
        for r in results {
            match r {
                Ok(b) => batches.extend(b),
                Err((start, e)) => {
                    if let Some(col) = widenable_column(&e, &fields, &forced) {
                        let f = &fields[col];
                        let wider = if matches!(f.data_type(), DataType::Int64) {
                            DataType::Float64
                        } else {
                            DataType::Utf8
                        };
                        fields[col] = Field::new(f.name(), wider, true);
                        retry = true;
                        break;
                    }
                    // lines before the failing chunk: counted only now that an error needs them
                    let first_line = body[..start].iter().filter(|b| **b == b'\n').count();
                    return Err(csv_error(path, first_line, &e));
                }
            }
        }
        if !retry {
            return Ok((schema, batches));
        }
    }
    Err(Error::invalid(format!(
        "`{}`: could not settle the column types",
        path.display()
    )))
}

/// Reads a whole file, large files with one thread per part (the cost of
/// a big read is mostly faulting in fresh pages, which parallelizes).
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(path)?;
    let len = usize::try_from(file.metadata()?.len()).map_err(std::io::Error::other)?;
    let parts = rayon::current_num_threads().max(1);
    if len < (16 << 20) || parts == 1 {
        return std::fs::read(path);
    }
    let mut buf = vec![0u8; len];
    let part = len.div_ceil(parts);
    std::thread::scope(|s| {
        let handles: Vec<_> = buf
            .chunks_mut(part)
            .enumerate()
            .map(|(i, chunk)| {
                let file = &file;
                s.spawn(move || file.read_exact_at(chunk, (i * part) as u64))
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("reader thread panicked")))
        })
    })?;
    Ok(buf)
}

/// Arrow infers `Null` for all-empty columns and sometimes narrower types;
/// the engine uses Int64, Float64, Boolean and Utf8 only.
fn normalize(dt: &DataType) -> DataType {
    match dt {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => DataType::Int64,
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => DataType::Int64,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => DataType::Float64,
        DataType::Boolean => DataType::Boolean,
        DataType::Null => DataType::Float64,
        _ => DataType::Utf8,
    }
}

fn decode_chunk(
    data: &[u8],
    schema: SchemaRef,
    delimiter: u8,
) -> std::result::Result<Vec<RecordBatch>, arrow::error::ArrowError> {
    let mut decoder = arrow::csv::ReaderBuilder::new(schema)
        .with_header(false)
        .with_delimiter(delimiter)
        .with_batch_size(BATCH_ROWS)
        .build_decoder();
    let mut out = Vec::new();
    let mut buf = data;
    loop {
        let read = decoder.decode(buf)?;
        buf = &buf[read..];
        if read == 0 || decoder.capacity() == 0 {
            if let Some(b) = decoder.flush()? {
                out.push(b);
            }
            if read == 0 && buf.is_empty() {
                break;
            }
        }
    }
    Ok(out)
}

/// The column index of a value-parse error in a column whose type was
/// inferred (not forced) and can still be widened.
fn widenable_column(
    e: &arrow::error::ArrowError,
    fields: &[Field],
    forced: &[bool],
) -> Option<usize> {
    let msg = e.to_string();
    let rest = msg.split("for column ").nth(1)?;
    let col: usize = rest.split_whitespace().next()?.parse().ok()?;
    let f = fields.get(col)?;
    (!forced.get(col).copied().unwrap_or(true) && !matches!(f.data_type(), DataType::Utf8))
        .then_some(col)
}

/// Turns an Arrow CSV error into one naming the file and the absolute line.
fn csv_error(path: &Path, first_line: usize, e: &arrow::error::ArrowError) -> Error {
    let msg = e.to_string();
    let msg = msg
        .trim_start_matches("Csv error: ")
        .trim_start_matches("Parser error: ")
        .to_string();
    let line = msg
        .split("line ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|d| d.parse::<usize>().ok());
    match line {
        Some(rel) => {
            // The decoder numbers a ragged record from 1 and a bad value from 0
            // within its chunk; the header is line 1 of the file.
            if msg.contains("incorrect number of fields") {
                let counts = msg.split(", ").skip(1).collect::<Vec<_>>().join(", ");
                Error::invalid(format!(
                    "`{}`:{}: ragged row: {counts} fields; every row must have as many fields as the header",
                    path.display(),
                    first_line + rel + 1
                ))
            } else {
                let what = msg.split(" at line").next().unwrap_or(&msg);
                Error::invalid(format!(
                    "`{}`:{}: {}",
                    path.display(),
                    first_line + rel + 2,
                    lowercase_first(what)
                ))
            }
        }
        None => Error::invalid(format!("`{}`: {msg}", path.display())),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
}

/// The byte offset after the `n`-th line starting at `from`.
fn nth_line_end(bytes: &[u8], from: usize, n: usize) -> usize {
    let mut pos = from;
    for _ in 0..n {
        match bytes[pos..].iter().position(|b| *b == b'\n') {
            Some(p) => pos += p + 1,
            None => return bytes.len(),
        }
    }
    pos
}

/// Splits `body` into about `parts` ranges on line boundaries:
/// `(start, end)`.
fn split_lines(body: &[u8], parts: usize) -> Vec<(usize, usize)> {
    let target = body.len() / parts.max(1) + 1;
    let mut out = Vec::new();
    let mut start = 0usize;
    while start < body.len() {
        let mut end = (start + target).min(body.len());
        match body[end..].iter().position(|b| *b == b'\n') {
            Some(p) => end += p + 1,
            None => end = body.len(),
        }
        out.push((start, end));
        start = end;
    }
    out
}

/// Reads a Parquet file into one batch.
pub fn read_parquet(path: &Path) -> Result<RecordBatch> {
    let (schema, batches) = read_parquet_batches(path)?;
    arrow::compute::concat_batches(&schema, &batches)
        .map_err(|e| Error::invalid(format!("`{}`: {e}", path.display())))
}

/// Reads a Parquet file as its record batches, without concatenating them.
pub fn read_parquet_batches(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let reader = parquet_reader(path)?;
    let schema = arrow::array::RecordBatchReader::schema(&reader);
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid(format!("`{}`: {e}", path.display())))?;
    Ok((schema, batches))
}

/// Opens a Parquet file for reading batch by batch.
pub fn parquet_reader(
    path: &Path,
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(BATCH_ROWS).build())
        .map_err(|e| {
            Error::invalid(format!(
                "`{}`: not a readable Parquet file: {e}",
                path.display()
            ))
        })
}

/// Reads a table in the given format.
pub fn read_table(path: &Path, format: TableFormat) -> Result<RecordBatch> {
    match format {
        TableFormat::Csv => read_csv(path, b',', &[]),
        TableFormat::Parquet => read_parquet(path),
    }
}

/// Encodes a batch as Parquet into `w`.
fn encode_parquet<W: std::io::Write + Send>(
    batch: &RecordBatch,
    w: W,
) -> std::result::Result<(), String> {
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(w, batch.schema(), None).map_err(|e| e.to_string())?;
    writer.write(batch).map_err(|e| e.to_string())?;
    writer.close().map(|_| ()).map_err(|e| e.to_string())
}

/// Encodes a batch as CSV with a header into `w`.
fn encode_csv<W: std::io::Write>(batch: &RecordBatch, w: W) -> std::result::Result<(), String> {
    let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(w);
    writer.write(batch).map_err(|e| e.to_string())
}

/// Writes a batch to `path` atomically: a temporary file in the same
/// directory, then a rename (or a no-clobber link when `overwrite` is false).
pub fn write_table(
    batch: &RecordBatch,
    path: &Path,
    format: TableFormat,
    overwrite: bool,
) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    if !overwrite && path.exists() {
        return Err(Error::AlreadyExists(path.to_path_buf()));
    }
    let temp = pai_store::fsutil::temp_path_for(path);
    let written = std::fs::File::create(&temp)
        .map_err(|e| e.to_string())
        .and_then(|f| {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            match format {
                TableFormat::Parquet => encode_parquet(batch, &mut w)?,
                TableFormat::Csv => encode_csv(batch, &mut w)?,
            }
            let f = w.into_inner().map_err(|e| e.to_string())?;
            f.sync_all().map_err(|e| e.to_string())
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::invalid(format!("writing `{}`: {e}", path.display())));
    }
    pai_store::fsutil::publish(&temp, path, overwrite).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::AlreadyExists(path.to_path_buf())
        } else {
            Error::io(path, e)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Float64Type, Int64Type};

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn infers_and_widens_types() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("a,b,c\n");
        for i in 0..30_000 {
            text.push_str(&format!("{i},{}.5,x{i}\n", i % 7));
        }
        text.push_str("2.5,1,\n"); // `a` becomes float after the inference sample
        let p = write(dir.path(), "t.csv", &text);
        let b = read_csv(&p, b',', &[]).unwrap();
        assert_eq!(b.num_rows(), 30_001);
        assert_eq!(b.schema().field(0).data_type(), &DataType::Float64);
        assert_eq!(b.schema().field(1).data_type(), &DataType::Float64);
        assert_eq!(b.schema().field(2).data_type(), &DataType::Utf8);
        assert_eq!(b.column(0).as_primitive::<Float64Type>().value(30_000), 2.5);
        assert!(b.column(2).is_null(30_000));
    }

    #[test]
    fn ragged_rows_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "r.csv", "a,b\n1,2\n3,4\n5\n6,7\n");
        let err = read_csv(&p, b',', &[]).unwrap_err().to_string();
        assert!(err.contains("r.csv`:4: ragged row"), "{err}");
        assert!(err.contains("expected 2 got 1"), "{err}");
    }

    #[test]
    fn forced_types_are_not_widened() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "f.csv", "a,b\n1,2\n3,x\n");
        let err = read_csv(&p, b',', &[("b".into(), ColumnType::Int64)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("f.csv`:3"), "{err}");
        let ok = read_csv(&p, b',', &[("a".into(), ColumnType::Float64)]).unwrap();
        assert_eq!(ok.schema().field(0).data_type(), &DataType::Float64);
        assert_eq!(ok.schema().field(1).data_type(), &DataType::Utf8);
        let err = read_csv(&p, b',', &[("zz".into(), ColumnType::Int64)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`zz`"), "{err}");
    }

    #[test]
    fn parquet_and_csv_round_trip_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "in.csv",
            "x,y,s\n1,0.5,a\n2,,b\n3,1.5,\"c,d\"\n",
        );
        let b = read_csv(&p, b',', &[]).unwrap();
        assert_eq!(
            b.column(0).as_primitive::<Int64Type>().values().to_vec(),
            vec![1, 2, 3]
        );
        for (name, fmt) in [
            ("o.parquet", TableFormat::Parquet),
            ("o.csv", TableFormat::Csv),
        ] {
            let out = dir.path().join(name);
            write_table(&b, &out, fmt, false).unwrap();
            let back = read_table(&out, fmt).unwrap();
            assert_eq!(back, b);
            assert!(matches!(
                write_table(&b, &out, fmt, false),
                Err(Error::AlreadyExists(_))
            ));
            write_table(&b, &out, fmt, true).unwrap();
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty());
    }
}
