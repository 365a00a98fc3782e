//! How components exchange tables: each table output is one Arrow IPC file
//! (Arrow's own on-disk format: no encoding cost, read back without
//! parsing) in the node's output directory. The scheduler publishes the
//! directory atomically, so these files are written without fsync. They
//! are digested as they are written ([`pai_store::fsutil::DigestWriter`]),
//! so publishing does not read them back, and handed to later nodes of the
//! same process in memory ([`crate::table_cache`]).

use std::path::{Path, PathBuf};

use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use arrow::buffer::Buffer;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::ipc::reader::{FileDecoder, read_footer_length};
use pai_core::{Error, Result, RunContext};
use pai_store::fsutil::DigestWriter;
use rayon::prelude::*;

use crate::table::read_parquet;
use crate::table_cache;

/// The file name of a table artifact.
pub const TABLE_FILE: &str = "data.arrow";

/// Reads the table connected to input `port`.
pub fn input_table(ctx: &RunContext, port: &str) -> Result<RecordBatch> {
    read_artifact(&ctx.input(port)?.path)
}

/// Reads a table artifact (Arrow IPC; Parquet is accepted too) as one
/// batch.
///
/// A table this process wrote or read before and that is unchanged comes
/// from [`crate::table_cache`]. Otherwise the file is read whole into one
/// buffer that the batches reference without copying. Several batches are
/// concatenated column by column in parallel, and the result is kept for
/// the next reader.
pub fn read_artifact(path: &Path) -> Result<RecordBatch> {
    if path.extension().is_some_and(|e| e == "parquet") {
        return read_parquet(path);
    }
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let (schema, batches) = match table_cache::get(&meta) {
        Some(batches) if batches.len() == 1 => {
            return batches
                .into_iter()
                .next()
                .ok_or_else(|| Error::invalid("empty artifact"));
        }
        Some(batches) if !batches.is_empty() => (batches[0].schema(), batches),
        _ => read_ipc_file(path)?,
    };
    let whole = match batches.len() {
        0 => RecordBatch::new_empty(schema),
        1 => batches
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid("empty artifact"))?,
        _ => concat_parallel(&schema, &batches).map_err(|e| unreadable(path, e))?,
    };
    table_cache::put(&meta, vec![whole.clone()], table_cache::capacity());
    Ok(whole)
}

/// The schema and record batches of the Arrow IPC file at `path`, read
/// whole into one buffer that the batches reference without copying.
fn read_ipc_file(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_ipc_file(Buffer::from_vec(bytes)).map_err(|e| unreadable(path, e))
}

/// The error for a table artifact that does not decode.
fn unreadable(path: &Path, e: ArrowError) -> Error {
    Error::invalid(format!(
        "`{}`: unreadable table artifact: {e}",
        path.display()
    ))
}

/// The schema and record batches of an Arrow IPC file held in `buffer`;
/// the batches' arrays are slices of `buffer` where aligned.
fn decode_ipc_file(
    buffer: Buffer,
) -> std::result::Result<(SchemaRef, Vec<RecordBatch>), ArrowError> {
    let short = || ArrowError::ParseError("the file is too short for an Arrow IPC file".into());
    let trailer_start = buffer.len().checked_sub(10).ok_or_else(short)?;
    let trailer: [u8; 10] = buffer[trailer_start..].try_into().map_err(|_| short())?;
    let footer_len = read_footer_length(trailer)?;
    let footer_start = trailer_start.checked_sub(footer_len).ok_or_else(short)?;
    let footer = arrow::ipc::root_as_footer(&buffer[footer_start..trailer_start])
        .map_err(|e| ArrowError::ParseError(format!("Unable to get root as footer: {e:?}")))?;
    let ipc_schema = footer
        .schema()
        .ok_or_else(|| ArrowError::ParseError("the footer has no schema".into()))?;
    let schema: SchemaRef = Arc::new(arrow::ipc::convert::try_fb_to_schema(ipc_schema)?);
    let mut decoder = FileDecoder::new(schema.clone(), footer.version());
    let block_buffer = |block: &arrow::ipc::Block| {
        let offset = usize::try_from(block.offset()).map_err(|_| short())?;
        let len = usize::try_from(block.metaDataLength()).map_err(|_| short())?
            + usize::try_from(block.bodyLength()).map_err(|_| short())?;
        if offset.checked_add(len).is_none_or(|end| end > footer_start) {
            return Err(short());
        }
        Ok(buffer.slice_with_length(offset, len))
    };
    for block in footer.dictionaries().iter().flatten() {
        decoder.read_dictionary(block, &block_buffer(block)?)?;
    }
    let mut batches = Vec::new();
    for block in footer.recordBatches().iter().flatten() {
        if let Some(batch) = decoder.read_record_batch(block, &block_buffer(block)?)? {
            batches.push(batch);
        }
    }
    Ok((schema, batches))
}

/// `concat_batches`, with the columns concatenated in parallel.
fn concat_parallel(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> std::result::Result<RecordBatch, ArrowError> {
    let columns = (0..schema.fields().len())
        .into_par_iter()
        .map(|i| {
            let parts: Vec<&dyn Array> = batches.iter().map(|b| b.column(i).as_ref()).collect();
            arrow::compute::concat(&parts)
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(rows)),
    )
}

/// Opens the table connected to input `port` for reading batch by batch,
/// so that large tables stream through without being held twice.
pub fn input_batches(ctx: &RunContext, port: &str) -> Result<BatchStream> {
    let path = ctx.input(port)?.path.clone();
    let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
    let reader = arrow::ipc::reader::FileReader::try_new(std::io::BufReader::new(file), None)
        .map_err(|e| unreadable(&path, e))?;
    Ok(BatchStream { path, reader })
}

/// The batches of a table artifact, read one at a time.
pub struct BatchStream {
    path: PathBuf,
    reader: arrow::ipc::reader::FileReader<std::io::BufReader<std::fs::File>>,
}

impl BatchStream {
    /// The table's schema.
    pub fn schema(&self) -> arrow::datatypes::SchemaRef {
        self.reader.schema()
    }
}

impl Iterator for BatchStream {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let path = &self.path;
        self.reader
            .next()
            .map(|r| r.map_err(|e| unreadable(path, e)))
    }
}

/// Writes `batch` as output `port` and returns the file to list in the
/// node's outputs.
pub fn output_table(ctx: &RunContext, port: &str, batch: &RecordBatch) -> Result<PathBuf> {
    output_batches(ctx, port, &batch.schema(), std::slice::from_ref(batch))
}

/// Writes a table given as batches as output `port` (the artifact keeps
/// them; readers in this process get them joined, see [`TableWriter`]).
pub fn output_batches(
    ctx: &RunContext,
    port: &str,
    schema: &arrow::datatypes::SchemaRef,
    batches: &[RecordBatch],
) -> Result<PathBuf> {
    let mut w = TableWriter::create(ctx, port, schema)?;
    for batch in batches {
        w.write(batch)?;
    }
    w.finish()
}

/// Writes a table artifact batch by batch, so that a large table never has
/// to be held in memory whole; a table that fits in
/// [`table_cache::capacity`] is kept, joined into one batch, for the nodes
/// that read it next.
pub struct TableWriter {
    path: PathBuf,
    writer: arrow::ipc::writer::FileWriter<std::io::BufWriter<DigestWriter>>,
    /// The file's schema.
    schema: SchemaRef,
    /// The batches written so far (with the file's schema, as they read
    /// back), while they fit in the cache.
    kept: Option<(Vec<RecordBatch>, usize)>,
}

impl TableWriter {
    /// Starts the artifact of output `port`.
    pub fn create(
        ctx: &RunContext,
        port: &str,
        schema: &arrow::datatypes::SchemaRef,
    ) -> Result<Self> {
        let path = ctx.output_file(port, TABLE_FILE)?;
        let file = DigestWriter::create(&path).map_err(|e| Error::io(&path, e))?;
        let writer = arrow::ipc::writer::FileWriter::try_new(
            std::io::BufWriter::with_capacity(1 << 20, file),
            schema,
        )
        .map_err(|e| Error::invalid(format!("writing `{}`: {e}", path.display())))?;
        let kept = (table_cache::capacity() > 0).then(|| (Vec::new(), 0));
        Ok(TableWriter {
            path,
            writer,
            schema: schema.clone(),
            kept,
        })
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let path = &self.path;
        self.writer
            .write(batch)
            .map_err(|e| Error::invalid(format!("writing `{}`: {e}", path.display())))?;
        if let Some((batches, bytes)) = &mut self.kept {
            *bytes += batch.get_array_memory_size();
            match RecordBatch::try_new(self.schema.clone(), batch.columns().to_vec()) {
                Ok(b) if *bytes <= table_cache::capacity() => batches.push(b),
                _ => self.kept = None,
            }
        }
        Ok(())
    }

    /// Finishes the file and returns its path for the node's outputs.
    pub fn finish(mut self) -> Result<PathBuf> {
        let bad = |e: arrow::error::ArrowError| {
            Error::invalid(format!("writing `{}`: {e}", self.path.display()))
        };
        self.writer.finish().map_err(bad)?;
        let inner = self.writer.into_inner().map_err(bad)?;
        inner
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?
            .finish()
            .map_err(|e| Error::io(&self.path, e))?;
        if let Some((batches, _)) = self.kept.take() {
            let meta = std::fs::metadata(&self.path).map_err(|e| Error::io(&self.path, e))?;
            // Readers take a table as one batch: join it here, once, so
            // that the node that made it hands it over whole.
            let kept = match batches.len() {
                0 | 1 => batches,
                _ => vec![concat_parallel(&self.schema, &batches).map_err(bad)?],
            };
            table_cache::put(&meta, kept, table_cache::capacity());
        }
        Ok(self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, "a,b,c\n1,0.5,x\n2,,y\n").unwrap();
        let batch = crate::table::read_csv(&csv, b',', &[]).unwrap();
        let ctx = RunContext::new(
            Default::default(),
            "n",
            dir.path().into(),
            dir.path().into(),
            dir.path().join("out"),
        );
        let p = output_table(&ctx, "output", &batch).unwrap();
        // from the in-process hand-off, and from the file
        assert_eq!(read_artifact(&p).unwrap(), batch);
        assert_eq!(read_ipc_file(&p).unwrap().1, vec![batch.clone()]);
        // several batches come back as one
        let two = [batch.clone(), batch.slice(1, 1)];
        let p = output_batches(&ctx, "many", &batch.schema(), &two).unwrap();
        let whole = arrow::compute::concat_batches(&batch.schema(), &two).unwrap();
        assert_eq!(read_ipc_file(&p).unwrap().1, two.to_vec());
        assert_eq!(read_artifact(&p).unwrap(), whole);
        assert_eq!(read_artifact(&p).unwrap(), whole);
        // a file changed since it was written is read again
        std::thread::sleep(std::time::Duration::from_millis(10));
        let other = output_table(&ctx, "other", &batch.slice(0, 1)).unwrap();
        std::fs::copy(&other, &p).unwrap();
        assert_eq!(read_artifact(&p).unwrap(), batch.slice(0, 1));
        // the digest computed while writing is the file's
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(
            pai_store::fsutil::digest_path(&p).unwrap(),
            (
                format!("sha256:{}", pai_core::sha256_hex(&bytes)),
                bytes.len() as u64
            )
        );
    }
}
