//! Why a benchmark's input or fixture could not be built. Any of these is a bug in the benchmark
//! or in the crate it drives, never a measurement.

use tarn_ingest::format::FormatError;
use tarn_meta::CommandError;
use tarn_storage::StorageError;

pub type Result<T, E = FixtureError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("generated input did not parse: {0}")]
    Parse(#[from] FormatError),

    #[error(
        "generated input is not clean: {rows_parsed} rows parsed, {values_bad} values stored as null"
    )]
    InputNotClean { rows_parsed: u64, values_bad: u64 },

    #[error("arrow refused the generated batches: {0}")]
    Arrow(#[from] arrow::error::ArrowError),

    #[error("extent store: {0}")]
    Storage(#[from] StorageError),

    #[error("the catalog refused a fixture command: {0}")]
    Catalog(#[from] CommandError),

    #[error("temporary directory for the extent store: {0}")]
    TempDir(#[from] std::io::Error),
}
