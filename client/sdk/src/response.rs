//! A result read as it arrives: the HTTP body is pulled chunk by chunk, cut into frames and rows
//! and decoded into record batches, which are handed out as soon as one is full. Memory is one
//! frame head or row of raw bytes plus one batch being built, whatever the result's size.
//!
//! Dropping a [`QueryStream`] closes the connection, which cancels the request.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use crate::frames::decoder::FrameDecoder;
use crate::frames::scanner::{FrameScanner, Layout, Piece};
use crate::result::{QueryEvent, ResultBatch, ResultTable};
use crate::rows::deserialize_rows;
use crate::{Error, Result};

/// The most bytes one frame head, row or tail may take (a row with a huge dynamic value).
pub const PIECE_BYTES_MAX: usize = 256 * 1024 * 1024;

type BodyStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// What a stream has read so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Response body bytes received.
    pub bytes_received: u64,
    /// The most raw bytes held at once while cutting frames and rows.
    pub buffer_bytes_peak: usize,
    /// Record batches handed out.
    pub batches: u64,
}

/// A streamed query (or command) result. Read it with [`QueryStream::next_batch`] (primary
/// tables only), [`QueryStream::next_event`] (every table, with start and end), or collect it.
pub struct QueryStream {
    body: BodyStream,
    url: String,
    client_timeout: Duration,
    scanner: FrameScanner,
    decoder: FrameDecoder,
    pending_error: Option<Error>,
    finished: bool,
    stats: StreamStats,
}

impl QueryStream {
    pub(crate) fn new(
        response: reqwest::Response,
        layout: Layout,
        batch_rows: usize,
        client_timeout: Duration,
    ) -> QueryStream {
        let url = response.url().to_string();
        QueryStream {
            body: Box::pin(response.bytes_stream()),
            url,
            client_timeout,
            scanner: FrameScanner::new(layout, PIECE_BYTES_MAX),
            decoder: FrameDecoder::new(layout, batch_rows),
            pending_error: None,
            finished: false,
            stats: StreamStats::default(),
        }
    }

    pub fn stats(&self) -> StreamStats {
        StreamStats {
            buffer_bytes_peak: self.scanner.buffer_bytes_peak(),
            ..self.stats
        }
    }

    /// The next event of any table; `Ok(None)` once the response is complete. After an error
    /// the stream is over.
    pub async fn next_event(&mut self) -> Result<Option<QueryEvent>> {
        loop {
            if let Some(event) = self.decoder.pop_event() {
                if matches!(event, QueryEvent::Batch(_)) {
                    self.stats.batches += 1;
                }
                return Ok(Some(event));
            }
            if let Some(error) = self.pending_error.take() {
                self.finished = true;
                return Err(error);
            }
            if self.finished {
                return Ok(None);
            }
            match self.scanner.next_piece() {
                Err(error) => self.pending_error = Some(error),
                Ok(Some(piece)) => {
                    let is_end = matches!(piece, Piece::End);
                    if let Err(error) = self.decoder.handle(piece) {
                        self.pending_error = Some(error);
                    } else if is_end {
                        self.finished = true;
                    }
                }
                Ok(None) => self.pull().await,
            }
        }
    }

    /// Reads the next chunk of the body into the scanner.
    async fn pull(&mut self) {
        match self.body.next().await {
            Some(Ok(chunk)) => {
                self.stats.bytes_received += chunk.len() as u64;
                if let Err(error) = self.scanner.feed(&chunk) {
                    self.pending_error = Some(error);
                }
            }
            Some(Err(error)) if error.is_timeout() => {
                self.pending_error = Some(Error::Timeout {
                    url: self.url.clone(),
                    after: self.client_timeout,
                });
            }
            Some(Err(source)) => {
                self.pending_error = Some(Error::Transport {
                    url: self.url.clone(),
                    connect: false,
                    source,
                });
            }
            None => {
                self.pending_error = Some(Error::protocol(format!(
                    "the response ended early, after {} bytes",
                    self.stats.bytes_received
                )));
            }
        }
    }

    /// The next batch of a primary result table; `Ok(None)` at the end.
    pub async fn next_batch(&mut self) -> Result<Option<ResultBatch>> {
        while let Some(event) = self.next_event().await? {
            if let QueryEvent::Batch(batch) = event
                && batch.table.is_primary()
            {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }

    /// Every table of the response (primary and the others), collected.
    pub async fn collect_all_tables(mut self) -> Result<Vec<ResultTable>> {
        let mut tables: Vec<ResultTable> = Vec::new();
        while let Some(event) = self.next_event().await? {
            match event {
                QueryEvent::TableStart(header) => tables.push(ResultTable {
                    header,
                    batches: Vec::new(),
                }),
                QueryEvent::Batch(batch) => {
                    if let Some(table) = tables.last_mut() {
                        table.batches.push(batch.batch);
                    }
                }
                QueryEvent::TableEnd { .. } => {}
            }
        }
        Ok(tables)
    }

    /// The primary result tables, collected.
    pub async fn collect_tables(self) -> Result<Vec<ResultTable>> {
        let tables = self.collect_all_tables().await?;
        Ok(tables
            .into_iter()
            .filter(|table| table.header.is_primary())
            .collect())
    }

    /// Every row of the primary tables, deserialized into `T` (see [`crate::rows`]).
    pub async fn rows<T: DeserializeOwned>(mut self) -> Result<Vec<T>> {
        let mut rows = Vec::new();
        while let Some(batch) = self.next_batch().await? {
            let offset = rows.len() as u64;
            rows.extend(deserialize_rows::<T>(&batch.batch, offset)?);
        }
        Ok(rows)
    }

    /// The primary tables' batches as a `futures::Stream`.
    pub fn into_batch_stream(self) -> impl Stream<Item = Result<ResultBatch>> + Send {
        futures::stream::unfold(Some(self), |state| async move {
            let mut stream = state?;
            match stream.next_batch().await {
                Ok(Some(batch)) => Some((Ok(batch), Some(stream))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        })
    }
}
