//! The one error type of tarn-storage, and which [`ErrorKind`] each cause is.

use arrow::error::ArrowError;
use tarn_common::{ErrorKind, ExtentId};

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// RocksDB failed (I/O, out of space, lock held by another process).
    #[error("rocksdb failed to {context}: {source}")]
    RocksDb {
        context: &'static str,
        #[source]
        source: rocksdb::Error,
    },

    /// The database opened without a column family that `open` asks it to create.
    #[error("column family `{name}` is missing from the open database")]
    ColumnFamilyMissing { name: &'static str },

    /// The batch handed to `write_extent` does not have the declared columns.
    #[error("extent {extent}: batch does not match its declared columns: {reason}")]
    SchemaMismatch { extent: ExtentId, reason: String },

    /// More columns than a table may have.
    #[error("extent {extent} has {column_count} columns, more than {columns_max}")]
    TooManyColumns { extent: ExtentId, column_count: usize, columns_max: usize },

    /// Arrow could not encode a column (a bug: the batch was validated first).
    #[error("extent {extent}: encoding column `{column}` failed: {source}")]
    Encode {
        extent: ExtentId,
        column: String,
        #[source]
        source: ArrowError,
    },

    /// The header could not be serialized.
    #[error("extent {extent}: encoding the header failed: {source}")]
    HeaderEncode {
        extent: ExtentId,
        #[source]
        source: serde_json::Error,
    },

    /// A value passed its checksum but Arrow could not decode it: written by a broken encoder.
    #[error("extent {extent}: decoding column `{column}` failed: {source}")]
    Decode {
        extent: ExtentId,
        column: String,
        #[source]
        source: ArrowError,
    },

    /// Stored bytes disagree with the header (checksum, length, row count, type) or are missing.
    #[error("extent {extent}: column `{column}` is corrupt: {reason}")]
    Corrupt { extent: ExtentId, column: String, reason: String },

    /// The header was written by a newer (or unknown) format.
    #[error("extent {extent}: header format version {found}, this build reads {supported}")]
    UnsupportedFormat { extent: ExtentId, found: u32, supported: u32 },

    /// Extents are immutable: an id is written once.
    #[error("extent {extent} is already stored")]
    ExtentAlreadyStored { extent: ExtentId },

    /// The catalog names an extent this store does not hold.
    #[error("extent {extent} is not stored on this node")]
    ExtentNotFound { extent: ExtentId },

    /// A key in the `extents` column family is not an extent key: written by something else.
    #[error("key of {key_bytes} bytes in column family `extents` is not an extent key")]
    MalformedKey { key_bytes: usize },

    /// The catalog's metadata for an extent disagrees with the extent's own header.
    #[error("extent {extent}: catalog metadata disagrees with the stored header: {reason}")]
    MetaMismatch { extent: ExtentId, reason: String },

    /// An extent's rows do not fit in memory addressing (only on 32-bit targets).
    #[error("extent {extent} has {row_count} rows, more than this platform can address")]
    RowCountOverflow { extent: ExtentId, row_count: u64 },

    /// Arrow could not assemble the output batch (e.g. a null column in a non-nullable field).
    #[error("extent {extent}: assembling the output batch failed: {source}")]
    Assemble {
        extent: ExtentId,
        #[source]
        source: ArrowError,
    },

    /// `merge_extents` was called with nothing to merge.
    #[error("merge into extent {extent} was given no input extents")]
    EmptyMerge { extent: ExtentId },
}

impl StorageError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            StorageError::RocksDb { .. } => ErrorKind::Unavailable,
            StorageError::ExtentAlreadyStored { .. } => ErrorKind::AlreadyExists,
            StorageError::ColumnFamilyMissing { .. }
            | StorageError::SchemaMismatch { .. }
            | StorageError::TooManyColumns { .. }
            | StorageError::Encode { .. }
            | StorageError::HeaderEncode { .. }
            | StorageError::Decode { .. }
            | StorageError::Corrupt { .. }
            | StorageError::UnsupportedFormat { .. }
            | StorageError::ExtentNotFound { .. }
            | StorageError::MalformedKey { .. }
            | StorageError::MetaMismatch { .. }
            | StorageError::RowCountOverflow { .. }
            | StorageError::Assemble { .. }
            | StorageError::EmptyMerge { .. } => ErrorKind::Internal,
        }
    }
}
