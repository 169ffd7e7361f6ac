//! Streaming ingestion (`POST /v1/rest/ingest/{db}/{table}?streamFormat=...`) from a file, a
//! reader, an async byte stream, bytes in memory, or Arrow record batches.
//!
//! A source is read on a blocking thread, cut into chunks of whole records ([`split`]) of about
//! [`IngestOptions::chunk_bytes_max`], and each chunk is gzipped (unless
//! [`IngestOptions::gzip`] says not to) and sent as one request; the source is never held in
//! memory whole. Every chunk carries the ingestion tag
//! `<tag>.<chunk number>` as `tags=ingest-by:...&ingestIfNotExists=...`, so a chunk that is sent
//! again (a retry after a lost connection, or a whole re-run with the same tag) is a no-op on the
//! server: nothing is lost and nothing is duplicated. The tag is generated unless the caller gives
//! one; give the same tag to resume an interrupted ingestion.

mod source;
pub(crate) mod split;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::Value;

use crate::client::{Client, Outgoing};
use crate::retry::Safety;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use crate::{Error, Result};
use source::{Chunk, ReaderSource, spawn_batches, spawn_parquet_file, spawn_reader};
use split::RecordKind;

/// Uncompressed bytes per request unless set otherwise.
pub const CHUNK_BYTES_DEFAULT: usize = 8 * 1024 * 1024;
/// Requests in flight at once unless set otherwise.
pub const UPLOADS_IN_FLIGHT_DEFAULT: usize = 2;
/// How long one ingest request may take.
const INGEST_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The formats the client can ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Csv,
    Tsv,
    Psv,
    /// JSON lines: one object per line.
    Json,
    /// JSON objects separated by whitespace (or one array of them), possibly pretty-printed.
    MultiJson,
    Parquet,
}

impl DataFormat {
    /// The Kusto format name (`streamFormat`).
    pub fn name(self) -> &'static str {
        match self {
            DataFormat::Csv => "csv",
            DataFormat::Tsv => "tsv",
            DataFormat::Psv => "psv",
            DataFormat::Json => "json",
            DataFormat::MultiJson => "multijson",
            DataFormat::Parquet => "parquet",
        }
    }

    /// A format by its Kusto name, in any case.
    pub fn parse(name: &str) -> Option<DataFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "csv" => DataFormat::Csv,
            "tsv" => DataFormat::Tsv,
            "psv" => DataFormat::Psv,
            "json" | "jsonl" | "ndjson" => DataFormat::Json,
            "multijson" => DataFormat::MultiJson,
            "parquet" => DataFormat::Parquet,
            _ => return None,
        })
    }

    /// The format a file name suggests (`events.csv`, `events.json.gz`, `part-0.parquet`).
    ///
    /// ```
    /// use tarn_client::DataFormat;
    /// assert_eq!(DataFormat::from_path("logs/day1.csv.gz".as_ref()), Some(DataFormat::Csv));
    /// assert_eq!(DataFormat::from_path("x.ndjson".as_ref()), Some(DataFormat::Json));
    /// assert_eq!(DataFormat::from_path("x.bin".as_ref()), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<DataFormat> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let extension = name.rsplit_once('.')?.1;
        DataFormat::parse(extension)
    }

    fn record_kind(self) -> RecordKind {
        match self {
            DataFormat::Csv | DataFormat::Tsv | DataFormat::Psv => RecordKind::QuotedLines,
            DataFormat::Json => RecordKind::Lines,
            DataFormat::MultiJson | DataFormat::Parquet => RecordKind::JsonValues,
        }
    }
}

/// Progress of one ingestion, reported after each chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestProgress {
    /// Bytes of the source read so far (compressed bytes for a `.gz` file).
    pub source_bytes: u64,
    /// Chunks the server acknowledged.
    pub chunks: u64,
    /// Chunks the server already had (their tag was ingested before): a resumed run skips them.
    pub chunks_already_ingested: u64,
    /// Records the server added.
    pub rows: u64,
}

/// What an ingestion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestReport {
    /// The tag the chunks were sent under (`<tag>.<chunk number>`); pass it again to resume.
    pub tag: String,
    pub progress: IngestProgress,
}

type ProgressCallback = Arc<dyn Fn(&IngestProgress) + Send + Sync>;

/// How to ingest.
///
/// ```
/// use tarn_client::{DataFormat, IngestOptions};
/// let options = IngestOptions::new(DataFormat::Json)
///     .mapping_name("events_json")
///     .tag("import-2024-06-01")
///     .chunk_bytes_max(4 << 20);
/// assert_eq!(options.format(), DataFormat::Json);
/// ```
#[derive(Clone)]
pub struct IngestOptions {
    format: DataFormat,
    mapping_name: Option<String>,
    tag: Option<String>,
    chunk_bytes_max: usize,
    uploads_in_flight: usize,
    ignore_first_record: bool,
    gzip: bool,
    progress: Option<ProgressCallback>,
}

impl std::fmt::Debug for IngestOptions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IngestOptions")
            .field("format", &self.format)
            .field("mapping_name", &self.mapping_name)
            .field("tag", &self.tag)
            .field("chunk_bytes_max", &self.chunk_bytes_max)
            .field("uploads_in_flight", &self.uploads_in_flight)
            .field("ignore_first_record", &self.ignore_first_record)
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

impl IngestOptions {
    pub fn new(format: DataFormat) -> IngestOptions {
        IngestOptions {
            format,
            mapping_name: None,
            tag: None,
            chunk_bytes_max: CHUNK_BYTES_DEFAULT,
            uploads_in_flight: UPLOADS_IN_FLIGHT_DEFAULT,
            ignore_first_record: false,
            gzip: true,
            progress: None,
        }
    }

    pub fn format(&self) -> DataFormat {
        self.format
    }

    /// A pre-created ingestion mapping of the table (`mappingName`).
    pub fn mapping_name(mut self, name: impl Into<String>) -> IngestOptions {
        self.mapping_name = Some(name.into());
        self
    }

    /// The ingestion tag (idempotency key). The same tag and the same data make a re-run add
    /// only what is missing.
    pub fn tag(mut self, tag: impl Into<String>) -> IngestOptions {
        self.tag = Some(tag.into());
        self
    }

    /// Uncompressed bytes per request (a record longer than this makes one larger request).
    pub fn chunk_bytes_max(mut self, bytes: usize) -> IngestOptions {
        self.chunk_bytes_max = bytes.max(1);
        self
    }

    /// Requests sent concurrently (at least 1).
    pub fn uploads_in_flight(mut self, uploads: usize) -> IngestOptions {
        self.uploads_in_flight = uploads.max(1);
        self
    }

    /// Whether text bodies are gzipped (the default, as the official SDKs do: a network link is
    /// usually slower than compressing). Over loopback, or a link faster than gzip (about
    /// 100 MB/s per core at its fast level), sending them as they are costs less: loading the
    /// bench's 1.46 GB of CSV into a node on the same machine spent 11.5 s of client CPU in gzip
    /// and 14% of the server's in gunzip. Parquet is never gzipped (it is compressed inside).
    pub fn gzip(mut self, gzip: bool) -> IngestOptions {
        self.gzip = gzip;
        self
    }

    /// Skip the source's first record (a csv header).
    pub fn ignore_first_record(mut self, ignore: bool) -> IngestOptions {
        self.ignore_first_record = ignore;
        self
    }

    /// Called after each acknowledged chunk.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&IngestProgress) + Send + Sync + 'static,
    ) -> IngestOptions {
        self.progress = Some(Arc::new(callback));
        self
    }
}

/// Bytes escaped in a path segment or query value: all but RFC 3986's unreserved characters, and
/// `:` (kept readable in `ingest-by:` tags).
const URL_COMPONENT_ESCAPED: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b':');

/// Percent-escapes a path segment or query value.
fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, URL_COMPONENT_ESCAPED).to_string()
}

/// `ConsumedRecordsCount` of a streaming-ingest reply.
fn consumed_records(reply: &[u8]) -> Result<u64> {
    let value: Value = serde_json::from_slice(reply)
        .map_err(|error| Error::protocol(format!("the ingest reply is not JSON: {error}")))?;
    value
        .pointer("/Tables/0/Rows/0/0")
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::protocol("the ingest reply has no ConsumedRecordsCount"))
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|source| Error::Io { path: None, source })
}

impl Client {
    /// Ingests a file; `.gz` files are decompressed first. A Parquet file is re-encoded in
    /// chunks of row groups.
    ///
    /// ```no_run
    /// # async fn example() -> tarn_client::Result<()> {
    /// use tarn_client::{Client, DataFormat, IngestOptions};
    /// let client = Client::new("http://127.0.0.1:8080")?;
    /// let report = client
    ///     .ingest_file("NetDefaultDB", "Events", "events.csv.gz".as_ref(), IngestOptions::new(DataFormat::Csv))
    ///     .await?;
    /// println!("{} rows under tag {}", report.progress.rows, report.tag);
    /// # Ok(()) }
    /// ```
    pub async fn ingest_file(
        &self,
        database: &str,
        table: &str,
        path: &Path,
        options: IngestOptions,
    ) -> Result<IngestReport> {
        let chunks = if options.format == DataFormat::Parquet {
            spawn_parquet_file(path.to_path_buf(), options.chunk_bytes_max)
        } else {
            let file = std::fs::File::open(path).map_err(|source| Error::Io {
                path: Some(path.to_path_buf()),
                source,
            })?;
            spawn_reader(
                ReaderSource {
                    reader: Box::new(file),
                    path: Some(PathBuf::from(path)),
                },
                options.format.record_kind(),
                options.chunk_bytes_max,
            )
        };
        self.ingest_chunks(database, table, options, chunks).await
    }

    /// Ingests what a blocking reader yields (read on a blocking thread; gzip is detected).
    pub async fn ingest_reader(
        &self,
        database: &str,
        table: &str,
        reader: impl std::io::Read + Send + 'static,
        options: IngestOptions,
    ) -> Result<IngestReport> {
        let source = ReaderSource {
            reader: Box::new(reader),
            path: None,
        };
        let chunks = if options.format == DataFormat::Parquet {
            source::spawn_parquet_reader(source, options.chunk_bytes_max)
        } else {
            spawn_reader(
                source,
                options.format.record_kind(),
                options.chunk_bytes_max,
            )
        };
        self.ingest_chunks(database, table, options, chunks).await
    }

    /// Ingests an async stream of bytes (e.g. a request body being received).
    pub async fn ingest_stream(
        &self,
        database: &str,
        table: &str,
        stream: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
        options: IngestOptions,
    ) -> Result<IngestReport> {
        let reader = source::StreamReader::spawn(stream);
        self.ingest_reader(database, table, reader, options).await
    }

    /// Ingests bytes already in memory.
    ///
    /// ```no_run
    /// # async fn example() -> tarn_client::Result<()> {
    /// use tarn_client::{Client, DataFormat, IngestOptions};
    /// let client = Client::new("http://127.0.0.1:8080")?;
    /// let csv = "2024-06-01T00:00:00Z,dev-1,20.5\n2024-06-01T00:00:01Z,dev-2,21.0\n";
    /// client.ingest_bytes("NetDefaultDB", "Readings", csv.into(), IngestOptions::new(DataFormat::Csv)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn ingest_bytes(
        &self,
        database: &str,
        table: &str,
        bytes: Bytes,
        options: IngestOptions,
    ) -> Result<IngestReport> {
        self.ingest_reader(database, table, std::io::Cursor::new(bytes), options)
            .await
    }

    /// Ingests Arrow record batches, sent as Parquet (so every type travels exactly). Columns
    /// are matched to the table's by name. The options' format is ignored.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    /// use tarn_client::{Client, DataFormat, IngestOptions};
    ///
    /// let batch = RecordBatch::try_from_iter([
    ///     ("device", Arc::new(StringArray::from(vec!["dev-1"])) as ArrayRef),
    ///     ("value", Arc::new(Float64Array::from(vec![20.5])) as ArrayRef),
    /// ])?;
    /// let client = Client::new("http://127.0.0.1:8080")?;
    /// client.ingest_batches("NetDefaultDB", "Readings", vec![batch], IngestOptions::new(DataFormat::Parquet)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn ingest_batches(
        &self,
        database: &str,
        table: &str,
        batches: Vec<RecordBatch>,
        options: IngestOptions,
    ) -> Result<IngestReport> {
        let chunks = spawn_batches(batches, options.chunk_bytes_max);
        let options = IngestOptions {
            format: DataFormat::Parquet,
            ..options
        };
        self.ingest_chunks(database, table, options, chunks).await
    }

    async fn ingest_chunks(
        &self,
        database: &str,
        table: &str,
        options: IngestOptions,
        chunks: tokio::sync::mpsc::Receiver<Result<Chunk>>,
    ) -> Result<IngestReport> {
        let tag = options
            .tag
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let progress = self
            .upload_all(database, table, &options, &tag, chunks)
            .await?;
        Ok(IngestReport { tag, progress })
    }

    async fn upload_all(
        &self,
        database: &str,
        table: &str,
        options: &IngestOptions,
        tag: &str,
        chunks: tokio::sync::mpsc::Receiver<Result<Chunk>>,
    ) -> Result<IngestProgress> {
        let chunk_stream = futures::stream::unfold(chunks, |mut receiver| async move {
            receiver.recv().await.map(|chunk| (chunk, receiver))
        });
        let uploads = chunk_stream
            .enumerate()
            .map(|(index, chunk)| async move {
                let chunk = chunk?;
                let rows = self
                    .upload_chunk(database, table, options, tag, index, chunk.bytes)
                    .await?;
                Ok::<_, Error>((rows, chunk.source_bytes))
            })
            .buffered(options.uploads_in_flight);
        futures::pin_mut!(uploads);
        let mut progress = IngestProgress::default();
        while let Some(outcome) = uploads.next().await {
            let (rows, source_bytes) = outcome?;
            progress.chunks += 1;
            progress.rows += rows;
            progress.source_bytes = progress.source_bytes.max(source_bytes);
            if rows == 0 {
                progress.chunks_already_ingested += 1;
            }
            if let Some(callback) = &options.progress {
                callback(&progress);
            }
        }
        Ok(progress)
    }

    /// Sends one chunk under `<tag>.<index>`; the rows the server added (0 when it already had
    /// this chunk).
    async fn upload_chunk(
        &self,
        database: &str,
        table: &str,
        options: &IngestOptions,
        tag: &str,
        index: usize,
        bytes: Vec<u8>,
    ) -> Result<u64> {
        let chunk_tag = percent_encode(&format!("{tag}.{index}"));
        let mut path_and_query = format!(
            "/v1/rest/ingest/{}/{}?streamFormat={}&tags=ingest-by:{chunk_tag}&ingestIfNotExists={chunk_tag}",
            percent_encode(database),
            percent_encode(table),
            options.format.name(),
        );
        if let Some(mapping) = &options.mapping_name {
            path_and_query.push_str(&format!("&mappingName={}", percent_encode(mapping)));
        }
        if options.ignore_first_record && index == 0 {
            path_and_query.push_str("&ignoreFirstRecord=true");
        }
        // Parquet is compressed inside; everything else is gzipped off the I/O threads.
        let (body, content_encoding) = if options.format == DataFormat::Parquet || !options.gzip {
            (bytes, None)
        } else {
            let compressed = tokio::task::spawn_blocking(move || gzip(&bytes))
                .await
                .map_err(|error| Error::Io {
                    path: None,
                    source: std::io::Error::other(error.to_string()),
                })??;
            (compressed, Some("gzip"))
        };
        let outgoing = Outgoing {
            path_and_query,
            body: Bytes::from(body),
            content_type: "application/octet-stream",
            content_encoding,
            timeout: INGEST_REQUEST_TIMEOUT,
            // The tag makes a repeat a no-op, so every retryable error may be retried.
            safety: Safety::Idempotent,
            request_id: Client::new_request_id("executeStreamingIngest"),
        };
        let response = self.send(&outgoing).await?;
        let url = response.url().to_string();
        let reply = response.bytes().await.map_err(|source| Error::Transport {
            url,
            connect: false,
            source,
        })?;
        consumed_records(&reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the reply's record count is read, and a reply without one is a protocol error.
    #[test]
    fn reads_consumed_records() {
        let reply = br#"{"Tables":[{"TableName":"Table_0","Columns":[],"Rows":[[42,"Inactive","Unknown",null]]}]}"#;
        assert_eq!(consumed_records(reply).ok(), Some(42));
        assert!(matches!(
            consumed_records(b"{}"),
            Err(Error::Protocol { .. })
        ));
        assert!(matches!(
            consumed_records(b"garbage"),
            Err(Error::Protocol { .. })
        ));
    }

    // Proves names and tags are escaped for the URL.
    #[test]
    fn escapes_url_parts() {
        assert_eq!(percent_encode("My Table/x"), "My%20Table%2Fx");
        assert_eq!(percent_encode("ingest-by:a.0"), "ingest-by:a.0");
    }
}
