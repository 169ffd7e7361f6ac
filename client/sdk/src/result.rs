//! What a query or command returns: tables (a header and Arrow record batches), and the events
//! a streamed result is read as.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use serde::de::DeserializeOwned;

use crate::Result;
use crate::rows::deserialize_rows;
use crate::types::KustoType;

/// What a table of a response is for (`TableKind` in v2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableKind {
    /// A result of the query: what the caller asked for.
    PrimaryResult,
    /// `@ExtendedProperties` (e.g. the `render` visualization).
    QueryProperties,
    /// Statistics and status rows of the request.
    QueryCompletionInformation,
    /// A v1 response's table of contents.
    TableOfContents,
    Other(String),
}

impl TableKind {
    pub(crate) fn parse(name: &str) -> TableKind {
        match name {
            "PrimaryResult" => TableKind::PrimaryResult,
            "QueryProperties" => TableKind::QueryProperties,
            "QueryCompletionInformation" => TableKind::QueryCompletionInformation,
            "TableOfContents" => TableKind::TableOfContents,
            other => TableKind::Other(other.to_string()),
        }
    }
}

/// A table's identity and columns. The schema's Arrow types are the Kusto types' (see
/// [`KustoType::arrow_type`]); [`TableHeader::kusto_types`] names them.
#[derive(Debug, Clone, PartialEq)]
pub struct TableHeader {
    /// `TableId` in v2, the position in v1.
    pub id: u32,
    pub name: String,
    pub kind: TableKind,
    pub schema: SchemaRef,
    /// The column types as the server named them, in schema order.
    pub kusto_types: Vec<KustoType>,
}

impl TableHeader {
    pub fn is_primary(&self) -> bool {
        self.kind == TableKind::PrimaryResult
    }

    pub fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|field| field.name().clone())
            .collect()
    }
}

/// One step of a streamed result.
#[derive(Debug, Clone)]
pub enum QueryEvent {
    /// A table begins; its batches follow.
    TableStart(Arc<TableHeader>),
    /// The next rows of a table.
    Batch(ResultBatch),
    /// A table is complete with this many rows.
    TableEnd {
        table: Arc<TableHeader>,
        row_count: u64,
    },
}

/// Rows of one table.
#[derive(Debug, Clone)]
pub struct ResultBatch {
    pub table: Arc<TableHeader>,
    pub batch: RecordBatch,
}

impl ResultBatch {
    /// The rows deserialized into `T` (a struct by column name, a tuple or `Vec` by position).
    pub fn rows<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        deserialize_rows(&self.batch, 0)
    }
}

/// A whole table, collected.
#[derive(Debug, Clone)]
pub struct ResultTable {
    pub header: Arc<TableHeader>,
    pub batches: Vec<RecordBatch>,
}

impl ResultTable {
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// All rows in one batch (empty tables give an empty batch with the schema).
    pub fn concat(&self) -> Result<RecordBatch> {
        arrow::compute::concat_batches(&self.header.schema, &self.batches)
            .map_err(|source| crate::Error::Arrow { source })
    }

    /// The rows deserialized into `T`; see [`crate::rows`] for how cells map to Rust values.
    pub fn rows<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        let mut rows = Vec::with_capacity(self.num_rows());
        let mut row_offset = 0u64;
        for batch in &self.batches {
            rows.extend(deserialize_rows::<T>(batch, row_offset)?);
            row_offset += batch.num_rows() as u64;
        }
        Ok(rows)
    }
}
