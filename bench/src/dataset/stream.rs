//! `gen --url`: the generated tables go straight to a node as CSV, through the SDK's chunked,
//! tagged ingestion, while they are being generated. A bounded pipe between the generator thread
//! and each table's upload keeps memory flat: a slow node slows the generator down.

use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use tarn_client::{Client, DataFormat, IngestOptions};

use super::sink::CsvSink;
use super::{Counts, Outputs, Spec};
use crate::error::{Error, Result};
use crate::schema::{DIAGNOSTICS, READINGS, TABLES, TAGS};

/// Bytes gathered before a piece is handed to the uploader.
const PIPE_PIECE_BYTES: usize = 256 * 1024;
/// Pieces in flight per pipe.
const PIPE_PIECES_MAX: usize = 16;

/// The writing end of a bounded in-memory pipe.
pub struct PipeWriter {
    sender: SyncSender<Vec<u8>>,
    buffer: Vec<u8>,
}

/// The reading end; end of file once the writer is dropped.
pub struct PipeReader {
    receiver: Receiver<Vec<u8>>,
    piece: Vec<u8>,
    position: usize,
}

pub fn pipe() -> (PipeWriter, PipeReader) {
    let (sender, receiver) = sync_channel(PIPE_PIECES_MAX);
    (
        PipeWriter {
            sender,
            buffer: Vec::with_capacity(PIPE_PIECE_BYTES),
        },
        PipeReader {
            receiver,
            piece: Vec::new(),
            position: 0,
        },
    )
}

impl PipeWriter {
    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buffer, Vec::with_capacity(PIPE_PIECE_BYTES));
        self.sender.send(piece).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the upload to the node stopped (see its error)",
            )
        })
    }
}

impl Write for PipeWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= PIPE_PIECE_BYTES {
            self.send_buffer()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buffer()
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        // Whatever is left; a reader that is gone has its own error to report.
        let _ = self.send_buffer();
    }
}

impl Read for PipeReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.position >= self.piece.len() {
            match self.receiver.recv() {
                Ok(piece) => {
                    self.piece = piece;
                    self.position = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let available = self.piece.get(self.position..).unwrap_or_default();
        let count = available.len().min(out.len());
        if let (Some(target), Some(source)) = (out.get_mut(..count), available.get(..count)) {
            target.copy_from_slice(source);
        }
        self.position += count;
        Ok(count)
    }
}

/// Drops and creates the three tables in `database`.
pub async fn recreate_tables(client: &Client, database: &str) -> Result<()> {
    for table in TABLES {
        let drop = format!(".drop table {} ifexists", table.name);
        client
            .execute_mgmt(database, &drop)
            .await
            .map_err(|source| Error::client(format!("running `{drop}`"), source))?;
        let create = table.create_command(table.name);
        client
            .execute_mgmt(database, &create)
            .await
            .map_err(|source| Error::client(format!("running `{create}`"), source))?;
    }
    Ok(())
}

/// Generates `spec` into `files` (may be empty) and into the node behind `client` at once.
/// The tables are dropped and created first, so the node holds exactly the generated rows.
pub async fn generate_to_node(
    client: &Client,
    database: &str,
    spec: &Spec,
    mut files: Outputs,
    uploads_in_flight: usize,
    progress: impl FnMut(u64, u64) + Send + 'static,
) -> Result<Counts> {
    recreate_tables(client, database).await?;
    let (readings_writer, readings_reader) = pipe();
    let (diagnostics_writer, diagnostics_reader) = pipe();
    let (tags_writer, tags_reader) = pipe();
    let label = |table: &str| format!("the {table} upload");
    files.readings.push(Box::new(CsvSink::new(
        readings_writer,
        READINGS.columns,
        label("readings"),
    )));
    files.diagnostics.push(Box::new(CsvSink::new(
        diagnostics_writer,
        DIAGNOSTICS.columns,
        label("diagnostics"),
    )));
    files.tags.push(Box::new(CsvSink::new(
        tags_writer,
        TAGS.columns,
        label("tags"),
    )));

    let spec_for_thread = spec.clone();
    let generation =
        tokio::task::spawn_blocking(move || super::generate(&spec_for_thread, files, progress));
    let options = IngestOptions::new(DataFormat::Csv).uploads_in_flight(uploads_in_flight);
    let upload = |table: &'static str, reader: PipeReader| {
        let options = options.clone();
        async move {
            client
                .ingest_reader(database, table, reader, options)
                .await
                .map_err(|source| Error::client(format!("streaming {table} to the node"), source))
        }
    };
    let (readings, diagnostics, tags) = futures::join!(
        upload("readings", readings_reader),
        upload("diagnostics", diagnostics_reader),
        upload("tags", tags_reader),
    );
    let generated = generation.await.map_err(|error| Error::TaskFailed {
        task: "generation",
        reason: error.to_string(),
    });
    // An upload error is the cause of a generator's broken pipe, so it is reported first.
    let (readings, diagnostics, tags) = (readings?, diagnostics?, tags?);
    let counts = generated??;
    for (table, acknowledged, generated) in [
        ("readings", readings.progress.rows, counts.readings),
        ("diagnostics", diagnostics.progress.rows, counts.diagnostics),
        ("tags", tags.progress.rows, counts.tags),
    ] {
        if acknowledged != generated {
            return Err(Error::UnexpectedAnswer {
                doing: format!("streaming {table} to the node"),
                reason: format!("the node acknowledged {acknowledged} rows of {generated} sent"),
            });
        }
    }
    Ok(counts)
}
