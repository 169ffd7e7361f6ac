//! Why a request body could not be turned into rows. A value that does not parse is not an error
//! here (Kusto stores null and the row is kept; see `RowError`): these are bodies that are not in
//! their format at all, limits, and bad arguments.

use tarn_common::ErrorKind;

pub type Result<T, E = FormatError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(
        "unknown data format '{name}'; expected one of csv, tsv, scsv, sohsv, psv, txt, json, multijson, singlejson, parquet"
    )]
    UnknownFormat { name: String },

    #[error("content encoding '{encoding}' is not supported; send gzip, deflate or identity")]
    UnsupportedContentEncoding { encoding: String },

    #[error("the body is not valid {encoding} data: {source}")]
    Decompression {
        encoding: &'static str,
        source: std::io::Error,
    },

    #[error("the decompressed body exceeds {bytes_max} bytes")]
    InflatedBodyTooLarge { bytes_max: usize },

    #[error(
        "record {record_number}: field {field_index} is {field_bytes} bytes, more than the {bytes_max} allowed"
    )]
    FieldTooLarge {
        record_number: u64,
        field_index: usize,
        field_bytes: usize,
        bytes_max: usize,
    },

    #[error("record {record_number}: not valid CSV: {reason}")]
    InvalidCsv { record_number: u64, reason: String },

    #[error(
        "line {line_number}: the record is {record_bytes} bytes, more than the {bytes_max} allowed"
    )]
    RecordTooLarge {
        line_number: u64,
        record_bytes: usize,
        bytes_max: usize,
    },

    #[error(
        "line {line_number}, column {column_number}: not valid JSON ({reason}) near '{excerpt}'"
    )]
    InvalidJson {
        line_number: u64,
        column_number: u64,
        reason: String,
        excerpt: String,
    },

    #[error("line {line_number}: expected a JSON object{expected_detail}, found '{excerpt}'")]
    JsonNotAnObject {
        line_number: u64,
        expected_detail: &'static str,
        excerpt: String,
    },

    #[error(
        "singlejson body holds more than one JSON value (the second starts on line {line_number})"
    )]
    SingleJsonHasMoreValues { line_number: u64 },

    #[error("the mapping is not valid: {reason}")]
    InvalidMapping { reason: String },

    #[error("mapping entry {entry_index}: path '{path}' is not supported: {reason}")]
    InvalidMappingPath {
        entry_index: usize,
        path: String,
        reason: &'static str,
    },

    #[error("the mapping names column '{column}', which the table does not have")]
    MappingColumnUnknown { column: String },

    #[error(
        "the mapping for column '{column}' has no source: it needs a Path, Field, Ordinal or ConstValue"
    )]
    MappingColumnWithoutSource { column: String },

    #[error("the body is not a valid Parquet file: {reason}")]
    InvalidParquet { reason: String },

    #[error(
        "Parquet column '{file_column}' of type {file_type} cannot be read as {kusto_type} for column '{column}'"
    )]
    ParquetColumnType {
        file_column: String,
        file_type: String,
        column: String,
        kusto_type: &'static str,
    },

    /// A bug: the arrays built for a batch do not match the schema they were built from.
    #[error("internal error: building a record batch failed: {source}")]
    BatchAssembly { source: arrow::error::ArrowError },
}

impl FormatError {
    /// How the server reports this error. Every one is permanent: resending the same body fails the
    /// same way, so clients must not retry it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FormatError::InflatedBodyTooLarge { .. }
            | FormatError::FieldTooLarge { .. }
            | FormatError::RecordTooLarge { .. } => ErrorKind::LimitExceeded,
            FormatError::BatchAssembly { .. } => ErrorKind::Internal,
            FormatError::UnknownFormat { .. }
            | FormatError::UnsupportedContentEncoding { .. }
            | FormatError::Decompression { .. }
            | FormatError::InvalidCsv { .. }
            | FormatError::InvalidJson { .. }
            | FormatError::JsonNotAnObject { .. }
            | FormatError::SingleJsonHasMoreValues { .. }
            | FormatError::InvalidMapping { .. }
            | FormatError::InvalidMappingPath { .. }
            | FormatError::MappingColumnUnknown { .. }
            | FormatError::MappingColumnWithoutSource { .. }
            | FormatError::InvalidParquet { .. }
            | FormatError::ParquetColumnType { .. } => ErrorKind::BadRequest,
        }
    }
}

/// At most this many characters of the offending input are quoted in an error.
pub const EXCERPT_CHARS_MAX: usize = 80;

/// A short, printable excerpt of input for an error message.
pub fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut excerpt: String = text.chars().take(EXCERPT_CHARS_MAX).collect();
    if text.chars().nth(EXCERPT_CHARS_MAX).is_some() {
        excerpt.push('…');
    }
    excerpt
}
