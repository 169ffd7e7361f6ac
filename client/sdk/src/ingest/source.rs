//! The producers of ingest chunks. Each runs on a blocking thread (file reads, gunzip, record
//! splitting and Parquet encoding are blocking or CPU work) and hands chunks over a channel of
//! two, so at most a few chunks exist at once whatever the source's size.

use std::io::{Read, Write};
use std::path::PathBuf;

use arrow::array::RecordBatch;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::ChunkReader;
use tokio::sync::mpsc;

use super::split::{RecordKind, RecordSplitter};
use crate::{Error, Result};

/// Chunks waiting to be sent, at most.
const CHUNKS_QUEUED_MAX: usize = 2;
/// Bytes read from a source at a time.
const READ_BYTES: usize = 64 * 1024;
/// Rows per batch when reading a Parquet file.
const PARQUET_READ_BATCH_ROWS: usize = 8192;

/// One request body, uncompressed, and how far into the source it reaches.
pub(crate) struct Chunk {
    pub(crate) bytes: Vec<u8>,
    pub(crate) source_bytes: u64,
}

pub(crate) struct ReaderSource {
    pub(crate) reader: Box<dyn Read + Send>,
    pub(crate) path: Option<PathBuf>,
}

fn io_error(path: &Option<PathBuf>, source: std::io::Error) -> Error {
    Error::Io {
        path: path.clone(),
        source,
    }
}

/// Reads `source` (gunzipping it when it starts with the gzip magic), cuts it into chunks of
/// whole records and sends them.
pub(crate) fn spawn_reader(
    mut source: ReaderSource,
    kind: RecordKind,
    chunk_bytes_max: usize,
) -> mpsc::Receiver<Result<Chunk>> {
    let (sender, receiver) = mpsc::channel(CHUNKS_QUEUED_MAX);
    tokio::task::spawn_blocking(move || {
        let send = |chunk: Result<Chunk>| sender.blocking_send(chunk).is_ok();
        let mut splitter = RecordSplitter::new(kind, chunk_bytes_max);
        let mut gunzip: Option<flate2::write::MultiGzDecoder<Vec<u8>>> = None;
        let mut first_read = true;
        let mut source_bytes: u64 = 0;
        let mut buffer = vec![0u8; READ_BYTES];
        loop {
            let read = match source.reader.read(&mut buffer) {
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    send(Err(io_error(&source.path, error)));
                    return;
                }
            };
            let input = buffer.get(..read).unwrap_or_default();
            if first_read && read > 0 {
                first_read = false;
                if input.starts_with(&[0x1f, 0x8b]) {
                    gunzip = Some(flate2::write::MultiGzDecoder::new(Vec::new()));
                }
            }
            source_bytes += read as u64;
            let decoded: Vec<u8> = match &mut gunzip {
                None => input.to_vec(),
                Some(decoder) => {
                    let outcome = if read == 0 {
                        decoder.try_finish()
                    } else {
                        decoder.write_all(input)
                    };
                    if let Err(error) = outcome {
                        send(Err(io_error(&source.path, error)));
                        return;
                    }
                    std::mem::take(decoder.get_mut())
                }
            };
            for bytes in splitter.push(&decoded) {
                if !send(Ok(Chunk {
                    bytes,
                    source_bytes,
                })) {
                    return;
                }
            }
            if read == 0 {
                break;
            }
        }
        if let Some(bytes) = splitter.finish() {
            send(Ok(Chunk {
                bytes,
                source_bytes,
            }));
        }
    });
    receiver
}

/// Encodes batches as one Parquet file (snappy inside, so the body is not gzipped again).
pub(crate) fn encode_parquet(batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let Some(first) = batches.first() else {
        return Ok(Vec::new());
    };
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), first.schema(), Some(properties))
        .map_err(|source| Error::Parquet { source })?;
    for batch in batches {
        writer
            .write(batch)
            .map_err(|source| Error::Parquet { source })?;
    }
    writer
        .into_inner()
        .map_err(|source| Error::Parquet { source })
}

/// Groups `batches` into chunks of about `chunk_bytes_max` in-memory bytes and sends each as a
/// Parquet body. `source_bytes_of` says how far into the source a number of rows reaches.
fn send_batches_as_parquet(
    batches: impl Iterator<Item = Result<RecordBatch>>,
    chunk_bytes_max: usize,
    source_bytes_of: impl Fn(u64) -> u64,
    sender: &mpsc::Sender<Result<Chunk>>,
) {
    let send = |chunk: Result<Chunk>| sender.blocking_send(chunk).is_ok();
    let mut group: Vec<RecordBatch> = Vec::new();
    let mut group_bytes = 0usize;
    let mut rows_done: u64 = 0;
    let flush = |group: &mut Vec<RecordBatch>, rows_done: u64| -> bool {
        if group.is_empty() {
            return true;
        }
        let encoded = encode_parquet(group);
        group.clear();
        send(encoded.map(|bytes| Chunk {
            bytes,
            source_bytes: source_bytes_of(rows_done),
        }))
    };
    for batch in batches {
        let batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                send(Err(error));
                return;
            }
        };
        if batch.num_rows() == 0 {
            continue;
        }
        rows_done += batch.num_rows() as u64;
        group_bytes += batch.get_array_memory_size();
        group.push(batch);
        if group_bytes >= chunk_bytes_max {
            group_bytes = 0;
            if !flush(&mut group, rows_done) {
                return;
            }
        }
    }
    flush(&mut group, rows_done);
}

/// Reads Parquet from what `open` returns (on the blocking thread): the reader and the source's
/// size in bytes, for progress.
fn spawn_parquet<T: ChunkReader + 'static>(
    open: impl FnOnce() -> Result<(T, u64)> + Send + 'static,
    chunk_bytes_max: usize,
) -> mpsc::Receiver<Result<Chunk>> {
    let (sender, receiver) = mpsc::channel(CHUNKS_QUEUED_MAX);
    tokio::task::spawn_blocking(move || {
        let opened = open().and_then(|(reader, source_bytes_total)| {
            let builder = ParquetRecordBatchReaderBuilder::try_new(reader)
                .map_err(|source| Error::Parquet { source })?
                .with_batch_size(PARQUET_READ_BATCH_ROWS);
            let rows_total =
                u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
            let batches = builder
                .build()
                .map_err(|source| Error::Parquet { source })?;
            Ok((batches, rows_total, source_bytes_total))
        });
        let (batches, rows_total, source_bytes_total) = match opened {
            Ok(opened) => opened,
            Err(error) => {
                let _ = sender.blocking_send(Err(error));
                return;
            }
        };
        let source_bytes_of = |rows_done: u64| {
            source_bytes_total
                .saturating_mul(rows_done)
                .checked_div(rows_total)
                .unwrap_or(source_bytes_total)
        };
        let batches = batches.map(|batch| batch.map_err(|source| Error::Arrow { source }));
        send_batches_as_parquet(batches, chunk_bytes_max, source_bytes_of, &sender);
    });
    receiver
}

/// A Parquet file, re-encoded in chunks of its batches.
pub(crate) fn spawn_parquet_file(
    path: PathBuf,
    chunk_bytes_max: usize,
) -> mpsc::Receiver<Result<Chunk>> {
    spawn_parquet(
        move || {
            let file = std::fs::File::open(&path).map_err(|source| Error::Io {
                path: Some(path.clone()),
                source,
            })?;
            let size = file.metadata().map_or(0, |metadata| metadata.len());
            Ok((file, size))
        },
        chunk_bytes_max,
    )
}

/// Parquet from a reader: read whole first (a Parquet file's index is at its end).
pub(crate) fn spawn_parquet_reader(
    mut source: ReaderSource,
    chunk_bytes_max: usize,
) -> mpsc::Receiver<Result<Chunk>> {
    spawn_parquet(
        move || {
            let mut bytes = Vec::new();
            source
                .reader
                .read_to_end(&mut bytes)
                .map_err(|error| io_error(&source.path, error))?;
            let size = bytes.len() as u64;
            Ok((Bytes::from(bytes), size))
        },
        chunk_bytes_max,
    )
}

/// Arrow batches already in memory.
pub(crate) fn spawn_batches(
    batches: Vec<RecordBatch>,
    chunk_bytes_max: usize,
) -> mpsc::Receiver<Result<Chunk>> {
    let (sender, receiver) = mpsc::channel(CHUNKS_QUEUED_MAX);
    tokio::task::spawn_blocking(move || {
        send_batches_as_parquet(
            batches.into_iter().map(Ok),
            chunk_bytes_max,
            |rows| rows,
            &sender,
        );
    });
    receiver
}

/// A blocking `Read` over an async byte stream, for the blocking chunk producers.
pub(crate) struct StreamReader {
    receiver: mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl StreamReader {
    pub(crate) fn spawn(
        stream: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    ) -> StreamReader {
        let (sender, receiver) = mpsc::channel(4);
        tokio::spawn(async move {
            futures::pin_mut!(stream);
            while let Some(item) = stream.next().await {
                if sender.send(item).await.is_err() {
                    return;
                }
            }
        });
        StreamReader {
            receiver,
            current: Bytes::new(),
        }
    }
}

impl Read for StreamReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
        let count = out.len().min(self.current.len());
        let taken = self.current.split_to(count);
        out.get_mut(..count)
            .unwrap_or_default()
            .copy_from_slice(&taken);
        Ok(count)
    }
}
