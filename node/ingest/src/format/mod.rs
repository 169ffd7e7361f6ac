//! Ingestion data formats: a request body (CSV and its relatives, JSON lines, multi-JSON, single
//! JSON, Parquet; gzip or not) becomes Arrow record batches in the target table's schema, following
//! Kusto's bad-row rules.
//!
//! Owns: format names ([`DataFormat`]), ingestion mappings ([`IngestionMapping`]), decompression
//! ([`decompress_if_gzip`]) and parsing ([`parse_body`]). Layout: `delimited` (CSV-like and TXT),
//! `json` (the three JSON formats, over `json_scan`'s zero-copy member lookup), `parquet`,
//! `column` (one Arrow builder per table column, applying the per-type conversions), `assemble`
//! (rows → batches of at most `batch_rows_max` rows, bad-value bookkeeping).
//!
//! Does not own: how text reads as each type (`tarn_common::text::parse`), where batches go next
//! (the commit pipeline in the rest of this crate), mapping storage (the catalog).
//!
//! Bad rows, as in Kusto: a value that does not parse as its column's type is stored as null and
//! reported in [`ParsedBody::errors`]; a missing field or property is null; an empty CSV field is
//! null, or `""` in a string column. A body that is not in its format at all is an error and
//! nothing is returned, so a request is ingested whole or not at all.

mod assemble;
mod column;
mod delimited;
pub mod error;
mod gzip;
mod json;
mod json_scan;
mod mapping;
mod parquet;
#[cfg(test)]
mod tests;

use arrow::record_batch::RecordBatch;
use tarn_common::{Column, KustoType};

pub use error::{FormatError, Result};
pub use gzip::decompress_if_gzip;
pub use mapping::{IngestionMapping, JsonPath, MappingColumn, MappingSource, PathStep, Transform};

/// Largest single CSV field or TXT line. Kusto itself caps string values well below this; the
/// bound is here so one hostile field cannot make a single value the size of the whole body.
pub const FIELD_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Largest single JSON record (a line in `json`, one value in `multijson`/`singlejson`).
pub const RECORD_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Default rows per record batch handed to the commit pipeline.
pub const BATCH_ROWS_MAX_DEFAULT: usize = 64 * 1024;
/// Values that did not parse are counted in full but only this many are described in detail.
pub const ROW_ERRORS_DETAILED_MAX: usize = 100;

/// The ingestion formats Tarn reads. `Json` is JSON lines (one object per line), as Kusto's `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataFormat {
    Csv,
    Tsv,
    Scsv,
    Sohsv,
    Psv,
    Txt,
    Json,
    MultiJson,
    SingleJson,
    Parquet,
}

impl DataFormat {
    /// The format for a Kusto format name in any case (`csv`, `Csv`, `MultiJson`, ...).
    pub fn parse(name: &str) -> Result<DataFormat> {
        let format = match name.to_ascii_lowercase().as_str() {
            "csv" => DataFormat::Csv,
            "tsv" => DataFormat::Tsv,
            "scsv" => DataFormat::Scsv,
            "sohsv" => DataFormat::Sohsv,
            "psv" => DataFormat::Psv,
            "txt" => DataFormat::Txt,
            "json" => DataFormat::Json,
            "multijson" => DataFormat::MultiJson,
            "singlejson" => DataFormat::SingleJson,
            "parquet" => DataFormat::Parquet,
            _ => {
                return Err(FormatError::UnknownFormat {
                    name: name.to_owned(),
                });
            }
        };
        Ok(format)
    }

    /// The Kusto name of the format (lowercase, as the Python SDK sends it).
    pub fn name(self) -> &'static str {
        match self {
            DataFormat::Csv => "csv",
            DataFormat::Tsv => "tsv",
            DataFormat::Scsv => "scsv",
            DataFormat::Sohsv => "sohsv",
            DataFormat::Psv => "psv",
            DataFormat::Txt => "txt",
            DataFormat::Json => "json",
            DataFormat::MultiJson => "multijson",
            DataFormat::SingleJson => "singlejson",
            DataFormat::Parquet => "parquet",
        }
    }

    /// The field separator of the CSV-like formats.
    fn delimiter(self) -> Option<u8> {
        match self {
            DataFormat::Csv => Some(b','),
            DataFormat::Tsv => Some(b'\t'),
            DataFormat::Scsv => Some(b';'),
            DataFormat::Sohsv => Some(0x01),
            DataFormat::Psv => Some(b'|'),
            _ => None,
        }
    }

    /// Whether mappings for this format address values by JSON path (otherwise by ordinal or name).
    pub fn is_json(self) -> bool {
        matches!(
            self,
            DataFormat::Json | DataFormat::MultiJson | DataFormat::SingleJson
        )
    }
}

/// How to parse one body: the knobs Kusto exposes as ingestion properties, and the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Kusto's `ignoreFirstRecord`: the first record of a CSV-like body is a header to skip.
    pub skip_first_record: bool,
    pub batch_rows_max: usize,
    pub field_bytes_max: usize,
    pub record_bytes_max: usize,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            skip_first_record: false,
            batch_rows_max: BATCH_ROWS_MAX_DEFAULT,
            field_bytes_max: FIELD_BYTES_MAX,
            record_bytes_max: RECORD_BYTES_MAX,
        }
    }
}

/// A value that did not parse as its column's type and was stored as null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based record number in the body (a skipped header counts; for JSON, the object's number).
    pub record_number: u64,
    pub column: String,
    pub kusto_type: KustoType,
    /// The start of the value as it was in the body.
    pub value_excerpt: String,
}

/// The rows of one body, in the table's Arrow schema (`tarn_common::types::arrow_schema`).
#[derive(Debug, Clone)]
pub struct ParsedBody {
    pub batches: Vec<RecordBatch>,
    pub rows: u64,
    /// The first [`ROW_ERRORS_DETAILED_MAX`] values stored as null because they did not parse.
    pub errors: Vec<RowError>,
    /// All such values, including those beyond the detailed ones.
    pub errors_total: u64,
}

/// Parses a (decompressed) body into record batches of at most `options.batch_rows_max` rows in
/// the table's schema. `mapping` None maps by ordinal (CSV-like, TXT) or by property/column name
/// (JSON, Parquet; case-sensitive).
pub fn parse_body(
    body: &[u8],
    format: DataFormat,
    schema: &[Column],
    mapping: Option<&IngestionMapping>,
    options: &ParseOptions,
) -> Result<ParsedBody> {
    let sources = mapping::resolve_sources(schema, mapping, format)?;
    match format {
        DataFormat::Csv
        | DataFormat::Tsv
        | DataFormat::Scsv
        | DataFormat::Sohsv
        | DataFormat::Psv => {
            let delimiter = format.delimiter().unwrap_or(b',');
            delimited::parse_delimited(body, delimiter, schema, &sources, options)
        }
        DataFormat::Txt => delimited::parse_txt(body, schema, &sources, options),
        DataFormat::Json => json::parse_json_lines(body, schema, &sources, options),
        DataFormat::MultiJson => json::parse_multi_json(body, schema, &sources, options),
        DataFormat::SingleJson => json::parse_single_json(body, schema, &sources, options),
        DataFormat::Parquet => parquet::parse_parquet(body, schema, &sources, options),
    }
}

/// The body without a UTF-8 byte order mark, which some Windows tools put before text.
fn strip_byte_order_mark(body: &[u8]) -> &[u8] {
    body.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(body)
}
