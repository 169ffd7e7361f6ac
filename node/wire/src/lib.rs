//! tarn-wire: Kusto's REST wire format, byte for byte what the official SDKs (Python, Node, Go,
//! Rust, Kqlmagic, Grafana) parse. The contract is `shared/reference/kusto-protocol.md`.
//!
//! Layout:
//! - [`request`]: lenient parsing of query/management request bodies (`db`, `csl`, `properties`
//!   as a JSON string or object, any key case) and the GET query-string form; typed option access,
//!   including every `servertimeout` spelling clients send.
//! - [`value`]: one Arrow cell → one JSON value (§3.4), written straight into a byte buffer.
//! - [`v2`]: the v2 frame stream (`/v2/rest/query`) as a streaming writer: DataSetHeader,
//!   QueryProperties, primary tables (plain or fragmented), QueryCompletionInformation,
//!   DataSetCompletion; result truncation reported in-band as a partial failure.
//! - [`v1`]: `{"Tables":[...]}` bodies for management commands, v1 queries and the streaming
//!   ingest reply.
//! - [`error`]: the OneApi error object (`{"error":{code, message, @type, @message, @context,
//!   @permanent}}`) for whole-request failures and in-band partial failures.
//!
//! Does not own: HTTP (status lines, headers, gzip: tarnd does that with the status from
//! [`tarn_common::ErrorKind`]), query execution, or deciding which errors a query produced. Writers
//! take any `std::io::Write`, so the server decides how bytes reach the socket.

pub mod error;
mod json;
pub mod request;
pub mod v1;
pub mod v2;
pub mod value;

use arrow::datatypes::DataType;
use tarn_common::ErrorKind;

pub use error::{ErrorContext, KustoError, TruncationLimit, error_body};
pub use request::{QueryRequest, RequestProperties};
pub use v1::{
    streaming_ingest_reply, write_v1_management_result, write_v1_query_result, write_v1_tables,
};
pub use v2::{
    QueryContext, ResultLimits, ResultTable, TableStatus, V2Options, V2Writer, Visualization,
};
pub use value::{BatchEncoder, CellEncoder, kusto_type_of, write_json_string};

pub type Result<T, E = WireError> = std::result::Result<T, E>;

/// Everything that can go wrong reading a request or writing a response.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("request body is not valid JSON: {source}")]
    BodyNotJson { source: serde_json::Error },

    #[error("request body must be a JSON object, found {found}")]
    BodyNotObject { found: &'static str },

    #[error("request is missing the query text ('csl')")]
    MissingCsl,

    #[error("request field '{field}' must be {expected}, found {found}")]
    FieldType {
        field: String,
        expected: &'static str,
        found: &'static str,
    },

    #[error("request 'properties' is a string that is not valid JSON: {source}")]
    PropertiesNotJson { source: serde_json::Error },

    #[error("query text is {bytes} bytes, more than the {bytes_max} allowed")]
    QueryTextTooLarge { bytes: usize, bytes_max: usize },

    #[error("request option '{name}' has value {value}, expected {expected}")]
    InvalidOption {
        name: String,
        value: String,
        expected: &'static str,
    },

    #[error("column '{column}' has Arrow type {data_type}, which has no Kusto type")]
    UnsupportedArrowType { column: String, data_type: DataType },

    #[error("column '{column}' row {row}: {kusto_type} value is outside the range Kusto can print")]
    ValueOutOfRange {
        column: String,
        row: usize,
        kusto_type: &'static str,
    },

    #[error("column '{column}' row {row} does not exist (the column has {len} rows)")]
    RowOutOfBounds {
        column: String,
        row: usize,
        len: usize,
    },

    #[error("table '{table}' declares {declared_columns} columns but a batch has {batch_columns}")]
    SchemaMismatch {
        table: String,
        declared_columns: usize,
        batch_columns: usize,
    },

    #[error("v2 writer: '{operation}' is not allowed while {state}")]
    WriterOutOfOrder {
        operation: &'static str,
        state: &'static str,
    },

    #[error("could not convert column '{column}' to a printable layout: {source}")]
    ArrowCast {
        column: String,
        source: arrow::error::ArrowError,
    },

    #[error("writing the response failed: {source}")]
    Io {
        #[from]
        source: std::io::Error,
    },
}

impl WireError {
    /// How the server should report this error: request-shape problems are the client's
    /// (BadRequest); a value or schema the engine produced that cannot be written, or a writer used
    /// out of order, is a Tarn bug (Internal); a failed write means the client went away.
    pub fn kind(&self) -> ErrorKind {
        match self {
            WireError::BodyNotJson { .. }
            | WireError::BodyNotObject { .. }
            | WireError::MissingCsl
            | WireError::FieldType { .. }
            | WireError::PropertiesNotJson { .. }
            | WireError::InvalidOption { .. } => ErrorKind::BadRequest,
            WireError::QueryTextTooLarge { .. } => ErrorKind::LimitExceeded,
            WireError::UnsupportedArrowType { .. }
            | WireError::ValueOutOfRange { .. }
            | WireError::RowOutOfBounds { .. }
            | WireError::SchemaMismatch { .. }
            | WireError::WriterOutOfOrder { .. }
            | WireError::ArrowCast { .. } => ErrorKind::Internal,
            WireError::Io { .. } => ErrorKind::Unavailable,
        }
    }
}
