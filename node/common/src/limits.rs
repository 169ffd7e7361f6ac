//! Named limits. Every queue, body, batch and result in Tarn is bounded by one of these; the name
//! says what is bounded and the unit comes last.

/// Largest HTTP request body accepted for ingestion (after decompression).
pub const INGEST_BODY_BYTES_MAX: usize = 1024 * 1024 * 1024;
/// Largest compressed body; gzip bodies are also bounded after inflation by `INGEST_BODY_BYTES_MAX`.
pub const INGEST_REQUEST_BYTES_MAX: usize = 256 * 1024 * 1024;
/// Largest query or command text.
pub const QUERY_TEXT_BYTES_MAX: usize = 1024 * 1024;
/// Deepest nesting of expressions and sub-queries the parser accepts.
pub const KQL_NESTING_DEPTH_MAX: usize = 128;
/// Default result truncation, as in Kusto.
pub const RESULT_ROWS_MAX_DEFAULT: u64 = 500_000;
pub const RESULT_BYTES_MAX_DEFAULT: u64 = 64 * 1024 * 1024;
/// Requests waiting for the group committer of one node, before new ones get 429.
pub const INGEST_QUEUE_REQUESTS_MAX: usize = 1024;
/// Bytes of parsed rows waiting for the group committer, before new requests get 429.
pub const INGEST_QUEUE_BYTES_MAX: usize = 512 * 1024 * 1024;
/// Rows one group commit puts into one extent at most.
pub const GROUP_COMMIT_ROWS_MAX: usize = 1_000_000;
/// Rows a merged extent aims for.
pub const MERGE_EXTENT_ROWS_TARGET: u64 = 1_000_000;
/// Extents in a table smaller than this are merge candidates.
pub const MERGE_EXTENT_ROWS_SMALL_MAX: u64 = 500_000;
/// Queries remembered for `.show queries` / `.show commands`.
pub const RECENT_REQUESTS_MAX: usize = 1000;
/// Default and maximum server timeouts.
pub const QUERY_TIMEOUT_DEFAULT_SECONDS: u64 = 4 * 60;
pub const COMMAND_TIMEOUT_DEFAULT_SECONDS: u64 = 10 * 60;
pub const SERVER_TIMEOUT_MAX_SECONDS: u64 = 60 * 60;
/// Memory one query may use in DataFusion's pool before it fails (not the process: the node).
pub const QUERY_MEMORY_BYTES_MAX: usize = 4 * 1024 * 1024 * 1024;
/// Names (tables, columns, databases).
pub const NAME_BYTES_MAX: usize = 1024;
pub const TABLE_COLUMNS_MAX: usize = 10_000;
