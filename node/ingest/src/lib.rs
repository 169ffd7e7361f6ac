//! tarn-ingest: from request bytes to committed extents.
//!
//! Owns: the ingestion data formats ([`format`]: CSV-like, JSON lines, multi-JSON, Parquet, gzip,
//! mappings, Kusto's bad-row rules) and the commit pipeline ([`pipeline`]): concurrent requests for
//! a table are grouped by the committer into one extent write (synced) and one Raft entry
//! (`AppendExtents`), and each request is acknowledged only after that entry is committed — so an
//! acknowledged request is durable and becomes visible atomically.
//!
//! Does not own: HTTP (the server parses request parameters and calls in), extent encoding
//! (`tarn-storage`), the catalog rules such as ingestion-tag deduplication (`tarn-meta`'s `apply`),
//! or the hand-off's concurrency (`tarn-handoff`, model-checked with loom).

pub mod format;
pub mod pipeline;

pub use pipeline::{IngestError, IngestOutcome, IngestRequest, Ingestor};
