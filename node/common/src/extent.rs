//! Extent metadata as the catalog keeps it: what an extent holds, without its bytes. Pruning reads
//! only this; the bytes live in `tarn-storage`.

use serde::{Deserialize, Serialize};

use crate::types::Column;

/// Identifies an extent across the cluster. Random (v4 UUID bits), never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExtentId(pub u128);

impl std::fmt::Display for ExtentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.0.to_be_bytes();
        write!(
            f,
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
        )
    }
}

/// A column's minimum or maximum, in the column's own terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StatValue {
    Bool(bool),
    /// int, long, datetime (ns since epoch), timespan (ns)
    Int(i64),
    Real(f64),
    /// Strings longer than `STRING_STAT_BYTES_MAX` get no statistics.
    String(String),
}

pub const STRING_STAT_BYTES_MAX: usize = 128;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    pub min: Option<StatValue>,
    pub max: Option<StatValue>,
    pub null_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtentMeta {
    pub id: ExtentId,
    /// The columns stored in the extent, in storage order. A table's schema may have grown since
    /// (`.alter table`, `.create-merge table`): columns missing here read as null.
    pub columns: Vec<Column>,
    /// One entry per column, same order as `columns`.
    pub stats: Vec<ColumnStats>,
    pub row_count: u64,
    /// Encoded bytes of all columns.
    pub size_bytes: u64,
    /// When the extent was sealed, ns since the Unix epoch.
    pub created_at_nanos: i64,
    /// Ingestion tags (`ingest-by:...`, `drop-by:...`).
    pub tags: Vec<String>,
}

impl ExtentMeta {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }
}
