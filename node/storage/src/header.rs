//! The per-extent header value: everything needed to check an extent's bytes and to rebuild its
//! catalog entry (orphan recovery) without reading a column.
//!
//! Stored as `crc32 (4 bytes BE) of the JSON ++ JSON`. JSON because the header is small and read
//! rarely per query (one point lookup, usually from the block cache), and a human can inspect it;
//! the version field comes first so a future format is refused before its shape is parsed.
//!
//! Does not own: column values (`column_codec`) or where the header is stored (`keys`).

use serde::{Deserialize, Serialize};
use tarn_common::{Column, ColumnStats, ExtentId, ExtentMeta, StatValue};

use crate::column_codec::checksum;
use crate::error::{Result, StorageError};

/// Bump when the layout of keys, column values or this header changes; readers refuse versions
/// they do not know instead of misreading them.
pub const HEADER_FORMAT_VERSION: u32 = 1;
const HEADER_CHECKSUM_BYTES: usize = 4;
/// The column name used in errors about the header itself.
pub const HEADER_COLUMN_LABEL: &str = "<header>";

/// What the header records about one stored column value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnValueInfo {
    pub bytes: u64,
    pub crc32: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExtentHeader {
    pub format_version: u32,
    pub meta: ExtentMeta,
    /// One per column of `meta.columns`, same order.
    pub column_values: Vec<ColumnValueInfo>,
}

/// f64 statistics are stored as their bits: JSON has no NaN or infinity, and an infinite
/// min/max is a legitimate statistic.
#[derive(Serialize, Deserialize)]
enum StoredStatValue {
    Bool(bool),
    Int(i64),
    RealBits(u64),
    String(String),
}

#[derive(Serialize, Deserialize)]
struct StoredStats {
    min: Option<StoredStatValue>,
    max: Option<StoredStatValue>,
    null_count: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredHeader {
    format_version: u32,
    extent_id: String,
    row_count: u64,
    size_bytes: u64,
    created_at_nanos: i64,
    columns: Vec<Column>,
    stats: Vec<StoredStats>,
    column_values: Vec<ColumnValueInfo>,
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct VersionProbe {
    format_version: u32,
}

pub fn encode_header(header: &ExtentHeader) -> Result<Vec<u8>> {
    let meta = &header.meta;
    let stored = StoredHeader {
        format_version: header.format_version,
        extent_id: format!("{:032x}", meta.id.0),
        row_count: meta.row_count,
        size_bytes: meta.size_bytes,
        created_at_nanos: meta.created_at_nanos,
        columns: meta.columns.clone(),
        stats: meta.stats.iter().map(store_stats).collect(),
        column_values: header.column_values.clone(),
        tags: meta.tags.clone(),
    };
    let json = serde_json::to_vec(&stored)
        .map_err(|source| StorageError::HeaderEncode { extent: meta.id, source })?;
    let mut value = Vec::with_capacity(HEADER_CHECKSUM_BYTES + json.len());
    value.extend_from_slice(&checksum(&json).to_be_bytes());
    value.extend_from_slice(&json);
    Ok(value)
}

/// Decodes the header stored under `extent`'s header key, checking its checksum, version and
/// internal consistency.
pub fn decode_header(extent: ExtentId, value: &[u8]) -> Result<ExtentHeader> {
    let corrupt = |reason: String| StorageError::Corrupt {
        extent,
        column: HEADER_COLUMN_LABEL.to_string(),
        reason,
    };
    let Some((crc_bytes, json)) = value.split_first_chunk::<HEADER_CHECKSUM_BYTES>() else {
        return Err(corrupt(format!("{} bytes is shorter than a checksum", value.len())));
    };
    let stored_crc = u32::from_be_bytes(*crc_bytes);
    let actual_crc = checksum(json);
    if stored_crc != actual_crc {
        return Err(corrupt(format!("checksum {actual_crc:08x} does not match stored {stored_crc:08x}")));
    }
    let probe: VersionProbe =
        serde_json::from_slice(json).map_err(|error| corrupt(format!("no format version: {error}")))?;
    if probe.format_version != HEADER_FORMAT_VERSION {
        return Err(StorageError::UnsupportedFormat {
            extent,
            found: probe.format_version,
            supported: HEADER_FORMAT_VERSION,
        });
    }
    let stored: StoredHeader =
        serde_json::from_slice(json).map_err(|error| corrupt(format!("unreadable: {error}")))?;

    let expected_id = format!("{:032x}", extent.0);
    if stored.extent_id != expected_id {
        return Err(corrupt(format!("belongs to extent {}, found under {expected_id}", stored.extent_id)));
    }
    let column_count = stored.columns.len();
    if stored.stats.len() != column_count || stored.column_values.len() != column_count {
        return Err(corrupt(format!(
            "{column_count} columns but {} stats and {} column values",
            stored.stats.len(),
            stored.column_values.len()
        )));
    }
    let meta = ExtentMeta {
        id: extent,
        columns: stored.columns,
        stats: stored.stats.into_iter().map(load_stats).collect(),
        row_count: stored.row_count,
        size_bytes: stored.size_bytes,
        created_at_nanos: stored.created_at_nanos,
        tags: stored.tags,
    };
    Ok(ExtentHeader { format_version: stored.format_version, meta, column_values: stored.column_values })
}

fn store_stats(stats: &ColumnStats) -> StoredStats {
    StoredStats {
        min: stats.min.as_ref().map(store_stat_value),
        max: stats.max.as_ref().map(store_stat_value),
        null_count: stats.null_count,
    }
}

fn store_stat_value(value: &StatValue) -> StoredStatValue {
    match value {
        StatValue::Bool(value) => StoredStatValue::Bool(*value),
        StatValue::Int(value) => StoredStatValue::Int(*value),
        StatValue::Real(value) => StoredStatValue::RealBits(value.to_bits()),
        StatValue::String(value) => StoredStatValue::String(value.clone()),
    }
}

fn load_stats(stats: StoredStats) -> ColumnStats {
    ColumnStats {
        min: stats.min.map(load_stat_value),
        max: stats.max.map(load_stat_value),
        null_count: stats.null_count,
    }
}

fn load_stat_value(value: StoredStatValue) -> StatValue {
    match value {
        StoredStatValue::Bool(value) => StatValue::Bool(value),
        StoredStatValue::Int(value) => StatValue::Int(value),
        StoredStatValue::RealBits(bits) => StatValue::Real(f64::from_bits(bits)),
        StoredStatValue::String(value) => StatValue::String(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tarn_common::KustoType;

    fn sample_header() -> ExtentHeader {
        ExtentHeader {
            format_version: HEADER_FORMAT_VERSION,
            meta: ExtentMeta {
                id: ExtentId(0xABCD),
                columns: vec![Column::new("x", KustoType::Real)],
                stats: vec![ColumnStats {
                    min: Some(StatValue::Real(f64::NEG_INFINITY)),
                    max: Some(StatValue::Real(f64::INFINITY)),
                    null_count: 2,
                }],
                row_count: 5,
                size_bytes: 123,
                created_at_nanos: -7,
                tags: vec!["ingest-by:a".to_string()],
            },
            column_values: vec![ColumnValueInfo { bytes: 123, crc32: 0xDEAD_BEEF }],
        }
    }

    /// Proves the header round-trips exactly, infinite real statistics included (plain JSON
    /// would turn them into null).
    #[test]
    fn header_round_trips_with_infinite_stats() -> Result<()> {
        let header = sample_header();
        let bytes = encode_header(&header)?;
        assert_eq!(decode_header(ExtentId(0xABCD), &bytes)?, header);
        Ok(())
    }

    /// Proves a flipped byte, a header read under another extent's key, a short value and an
    /// unknown version are each refused with the right error.
    #[test]
    fn damaged_or_foreign_headers_are_refused() -> Result<()> {
        let header = sample_header();
        let mut bytes = encode_header(&header)?;
        assert!(matches!(decode_header(ExtentId(0xABCE), &bytes), Err(StorageError::Corrupt { .. })));
        assert!(matches!(decode_header(ExtentId(0xABCD), &bytes[..3]), Err(StorageError::Corrupt { .. })));
        if let Some(byte) = bytes.last_mut() {
            *byte ^= 0x01;
        }
        assert!(matches!(decode_header(ExtentId(0xABCD), &bytes), Err(StorageError::Corrupt { .. })));

        let mut future = sample_header();
        future.format_version = HEADER_FORMAT_VERSION + 1;
        let future_bytes = encode_header(&future)?;
        assert!(matches!(
            decode_header(ExtentId(0xABCD), &future_bytes),
            Err(StorageError::UnsupportedFormat { found: 2, supported: 1, .. })
        ));
        Ok(())
    }
}
